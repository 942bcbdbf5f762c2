// The demo itself: the example app's three pools at work on the embedded
// backend (convex-test, in-process, on a fake clock), shown live, then
// summed up and checked. run.ts is its command line.
//
// - emailWorkpool (cap 10, 3 attempts with backoff): N emails to a flaky
//   provider (~30% of attempts fail); "@invalid.example" addresses fail at
//   once with NonRetryableError. Priorities mixed: one in eight is a password
//   reset ("high"), half are a newsletter ("low"), the rest "normal";
//   every tenth is requested twice, and its idempotencyKey (the address)
//   gets the second request the first one's job;
// - scrapeWorkpool (cap 5): N/3 pages of 5 sites, keyed by site (one request
//   per site at a time, in order), half of them delayed, a few of those
//   canceled while queued; and a two-step pipeline, 5 runs, chained with
//   onComplete;
// - counterPool (cap 1): 200 callers increment one counter.
// The live display's numbers come from the pools' own stats (the example
// app's `workpools.poolStats` query); the summary's from the jobs' statuses,
// and a check says whether the two agree. The run is deterministic for a
// given seed. Exit code 1 if a check fails.
import type { Priority, Status } from "convex-workpool";
import { api } from "../example/convex/_generated/api.js";
import { counterPool, emailPool, scrapePool } from "../example/convex/workpools.js";
import type { DemoOptions } from "./args.js";
import { startBackend } from "./backend.js";
import { createDisplay, printSummary, type Mode, type Output } from "./display.js";
import { PoolLog, type PoolKey } from "./events.js";
import type { PoolTimeline, TimelineReport } from "./html.js";
import { seconds, type Check, type PoolSummary, type PoolView } from "./layout.js";

type PoolStats = typeof api.workpools.poolStats._returnType;
const POOLS: { key: PoolKey; name: keyof PoolStats; cap: number }[] = [
  { key: "email", name: "emailWorkpool", cap: emailPool.options.maxParallelism ?? 10 },
  { key: "scrape", name: "scrapeWorkpool", cap: scrapePool.options.maxParallelism ?? 10 },
  { key: "counter", name: "counterPool", cap: counterPool.options.maxParallelism ?? 10 },
];
const MAX_EMAIL_ATTEMPTS = emailPool.options.defaultRetryBehavior?.maxAttempts ?? 1;
const INCREMENTS = 200;
const PIPELINE_RUNS = 5;
const COUNTER_KEY = "demo";
/** Scraped sites: each site's pages are one key. */
const SITES = 5;
const START_TIME = Date.UTC(2025, 0, 1, 9);
/** The live display samples the pools this often (scheduler time). */
const SAMPLE_EVERY_MS = 200;
/** After the last onComplete, the run goes on this long, to catch a late duplicate. */
const GRACE_MS = 1000;
/** A run still unfinished after this much scheduler time has failed. */
const GIVE_UP_MS = 10 * 60_000;
/** The queue series of the HTML page: pool.stats()'s three kinds of pending job. */
const QUEUE_SERIES = [
  { field: "pendingDue", label: "pendingDue: due, waiting for a slot (or its key)" },
  { field: "pendingDelayed", label: "pendingDelayed: not due yet" },
  { field: "pendingBackingOff", label: "pendingBackingOff: waiting to retry" },
] as const;
// The display's outcome counts are stats' lastHour: the run never lasts an
// hour of scheduler time (GIVE_UP_MS), so they cover every job.

/** What a run returns: whether every check passed, the summary's rows, and the timeline for the HTML page. */
export type DemoResult = { ok: boolean; checks: Check[]; pools: PoolSummary[]; timeline: TimelineReport };

/**
 * Runs the demo with `options`, writing to `out` in `mode`. Puts the global
 * Math.random back when done (the run seeds it) and removes its fake clock.
 */
export async function runDemo(options: DemoOptions, mode: Mode, out: Output): Promise<DemoResult> {
  const savedRandom = Math.random;
  try {
    return await run(options, mode, out);
  } finally {
    Math.random = savedRandom;
  }
}

async function run({ jobs, seed }: DemoOptions, mode: Mode, out: Output): Promise<DemoResult> {
  // ---- The work -----------------------------------------------------------------------

  const random = seeded(seed);
  // The pools draw their backoff jitter from Math.random: seed it too, so a
  // seed replays the whole run, timings included.
  Math.random = seeded(seed + 1);
  const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));

  const priorityOf = (i: number): Priority => (i % 8 === 5 ? "high" : i % 2 === 0 ? "low" : "normal");
  const emails = Array.from({ length: jobs }, (_, i) => ({
    email: i % 15 === 7 ? `user${i}@invalid.example` : `user${i}@example.com`,
    durationMs: between(100, 2000),
    priority: priorityOf(i),
  }));
  const siteOf = (url: string) => new URL(url).host;
  const pages = Array.from({ length: Math.ceil(jobs / 3) }, (_, i) => ({
    url: `https://site${i % SITES}.example/page/${i}`,
    durationMs: between(100, 2000),
    delayMs: i % 2 === 1 ? between(1000, 8000) : 0,
  }));
  /** Emails requested a second time: every tenth. */
  const repeated = (i: number) => i % 10 === 3;
  /** Delayed pages canceled right after enqueue: every fifth. */
  const toCancel = (i: number) => i % 10 === 1;

  // ---- Run ----------------------------------------------------------------------------

  const wallStart = performance.now();
  const backend = await startBackend(START_TIME);
  const { t, clock } = backend;
  const elapsed = () => clock.now - START_TIME;
  const poolLog = new PoolLog();
  poolLog.capture();

  const ids = {} as Record<PoolKey, string[]>;
  /** Each job's latest status, per pool (a work id is unique within its pool only), the pipeline's steps included. */
  const latest: Record<PoolKey, Map<string, Status>> = { email: new Map(), scrape: new Map(), counter: new Map() };
  let canceled: string[] = [];
  const repeatedIds: string[] = [];
  let pipelineDone = 0;
  let doneAt: number | null = null;
  let seen: typeof api.demo.observed._returnType;
  let finalStats: PoolStats;
  const display = createDisplay(mode, out);
  /** Every sample of every pool's stats, for the HTML page. */
  const timelines: PoolTimeline[] = POOLS.map(({ name }) => ({
    name,
    x: [],
    running: [],
    cap: [],
    queue: QUEUE_SERIES.map(({ label }) => ({ label, values: [] })),
    startLagsMs: [],
  }));
  /** Samples the pools (see `sample`) at scheduler time `atMs`, and keeps them for the page. */
  const sampleAt = async (atMs: number): Promise<PoolView[]> => {
    const views = await sample();
    views.forEach((view, i) => {
      const line = timelines[i]!;
      line.x.push(atMs / 1000);
      line.running.push(view.running);
      line.cap.push(view.maxParallelism);
      QUEUE_SERIES.forEach(({ field }, j) => line.queue[j]!.values.push(view[field]));
    });
    return views;
  };

  try {
    // Everything is enqueued at scheduler time 0.
    await t.mutation(api.demo.setLogLevel, { logLevel: "INFO" });
    ids.email = await t.mutation(api.demo.sendEmails, { seed, emails });
    // Some requests arrive twice (double clicks): each gets its first job back.
    repeatedIds.push(...(await t.mutation(api.demo.sendEmails, { seed, emails: emails.filter((_, i) => repeated(i)) })));
    ids.scrape = await t.mutation(api.demo.scrapePages, { pages });
    canceled = ids.scrape.filter((_, i) => toCancel(i));
    await t.mutation(api.demo.cancel, { pool: "scrape", ids: canceled });
    ids.counter = await Promise.all(
      Array.from({ length: INCREMENTS }, () => t.mutation(api.demo.increment, { key: COUNTER_KEY })),
    );
    for (let i = 1; i <= PIPELINE_RUNS; i++) await t.mutation(api.pipeline.start, { input: `report ${i}` });

    // Fire timers one at a time, in time order; a timer of our own says when
    // to sample (every SAMPLE_EVERY_MS of scheduler time).
    let sampleDue = true;
    const sampler = clock.setInterval(() => (sampleDue = true), SAMPLE_EVERY_MS);
    while (elapsed() < GIVE_UP_MS) {
      if (sampleDue) {
        sampleDue = false;
        display.update(elapsed(), await sampleAt(elapsed()), note());
        if (await allDone()) {
          doneAt = elapsed();
          break;
        }
      }
      await backend.step();
    }
    clock.clearInterval(sampler);
    // Let what is due right after the end run too (a late or duplicate onComplete would show).
    const endAt = elapsed();
    while (elapsed() - endAt < GRACE_MS && (await backend.step()));
    // The page's timeline ends at the sample that found everything done;
    // the clock may have jumped far ahead (to a watchdog) since.
    display.finish(doneAt ?? elapsed(), doneAt === null ? await sampleAt(elapsed()) : await sample(), note());
    seen = await t.query(api.demo.observed, { counterKey: COUNTER_KEY });
    finalStats = await t.query(api.workpools.poolStats, {});
  } finally {
    poolLog.release();
    backend.stop();
  }

  /** Every job the pool logged as enqueued: the demo's own, and the pipeline's steps. */
  function jobsOf(key: PoolKey): string[] {
    return poolLog.enqueued[key];
  }

  /**
   * The pools as their stats see them, for the display. On the way, the status
   * of every job not yet finished (a finished status is final), for the end of
   * the run and the summary, and the pipeline's progress.
   */
  async function sample(): Promise<PoolView[]> {
    for (const { key } of POOLS) {
      const open = jobsOf(key).filter((id) => latest[key].get(id)?.state !== "finished");
      if (open.length === 0) continue;
      const statuses = await t.query(api.demo.statuses, { pool: key, ids: open });
      open.forEach((id, i) => latest[key].set(id, statuses[i]!));
    }
    const runs = await t.run((ctx) => ctx.db.query("pipelineRuns").collect());
    pipelineDone = runs.filter((r) => r.step2 !== undefined).length;
    const stats = await t.query(api.workpools.poolStats, {});
    return POOLS.map(({ name }) => {
      const s = stats[name];
      const { succeeded, failed, canceled } = s.lastHour;
      return {
        name,
        maxParallelism: s.maxParallelism,
        running: s.running,
        pendingDue: s.pendingDue,
        pendingDelayed: s.pendingDelayed,
        pendingBackingOff: s.pendingBackingOff,
        oldestPendingAgeMs: s.oldestPendingAgeMs,
        succeeded,
        failed,
        canceled,
      };
    });
  }

  /** Every job finished and had its onComplete, and every pipeline run did both steps. */
  async function allDone(): Promise<boolean> {
    const unfinished = POOLS.some(({ key }) => jobsOf(key).some((id) => latest[key].get(id)?.state !== "finished"));
    if (unfinished || pipelineDone < PIPELINE_RUNS) return false;
    const { completions } = await t.query(api.demo.observed, { counterKey: COUNTER_KEY });
    return completions.length >= POOLS.reduce((n, { key }) => n + ids[key].length, 0);
  }

  function note() {
    return `${canceled.length} queued scrapes canceled; pipeline: ${pipelineDone}/${PIPELINE_RUNS} runs chained step1 -> onComplete -> step2`;
  }

  // ---- Summary and checks -----------------------------------------------------------------

  const attemptsOfKey = new Map(seen.attempts.map((a) => [a.key, a.count]));
  const firstStartOfKey = new Map(seen.attempts.map((a) => [a.key, a.firstAt - START_TIME]));
  const gaugeMax = new Map(seen.gauges.map((g) => [g.name, g.max]));

  function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  }
  const mostRunning = (key: PoolKey) => Math.max(poolLog.maxRunning[key], gaugeMax.get(key) ?? 0);
  const outcomeOf = (key: PoolKey, id: string) => {
    const s = latest[key].get(id);
    return s?.state === "finished" ? s : undefined;
  };

  // The summary's rows count every job of each pool (the pipeline's steps too),
  // by status; onComplete calls are checked for the demo's own jobs.
  const rows: PoolSummary[] = [];
  let jobCount = 0, missing = 0, twice = 0, disagree = 0, unlogged = 0;
  for (const { key, name, cap } of POOLS) {
    const calls = seen.completions.filter((c) => c.pool === key);
    const callsOf = new Map<string, number>();
    for (const c of calls) callsOf.set(c.workId, (callsOf.get(c.workId) ?? 0) + 1);
    jobCount += ids[key].length;
    missing += ids[key].filter((id) => !callsOf.has(id)).length;
    twice += ids[key].filter((id) => (callsOf.get(id) ?? 0) > 1).length;
    disagree += calls.filter((c) => outcomeOf(key, c.workId)?.outcome !== c.outcome).length;
    unlogged += ids[key].filter((id) => !jobsOf(key).includes(id)).length;
    const outcomes = jobsOf(key).map((id) => outcomeOf(key, id));
    const attempts = outcomes.map((s) => s?.attempts ?? 0);
    const count = (outcome: string) => outcomes.filter((s) => s?.outcome === outcome).length;
    rows.push({
      name,
      maxParallelism: cap,
      jobs: jobsOf(key).length,
      succeeded: count("success"),
      failed: count("failed"),
      canceled: count("canceled"),
      attempts: attempts.reduce((a, b) => a + b, 0),
      retries: attempts.reduce((a, b) => a + Math.max(0, b - 1), 0),
      makespanMs: Math.max(0, ...outcomes.map((s) => (s?.finishedAt ?? START_TIME) - START_TIME)),
      lagP50Ms: percentile(poolLog.startLags[key], 0.5),
      lagP95Ms: percentile(poolLog.startLags[key], 0.95),
      peakRunning: mostRunning(key),
    });
  }
  const canceledUrls = pages.filter((_, i) => toCancel(i)).map((p) => p.url);
  const delayed = pages.filter((p, i) => p.delayMs > 0 && !toCancel(i));
  const early = delayed.filter((p) => (firstStartOfKey.get(p.url) ?? Infinity) < p.delayMs).length;
  const emailOutcomes = ids.email.map((id, i) => ({ email: emails[i]!.email, status: outcomeOf("email", id) }));
  const goodRuns = seen.pipelineRuns.filter((r) => r.step1 === r.input.toUpperCase() && r.step2 === `${r.step1}!`);

  // Keys: per site, the most fetches at once, and whether its pages started in enqueue order.
  const sites = [...new Set(pages.map((p) => siteOf(p.url)))];
  const mostPerSite = Math.max(0, ...sites.map((site) => gaugeMax.get(`site:${site}`) ?? 0));
  const outOfOrder = sites.filter((site) => {
    const starts = pages
      .filter((p, i) => siteOf(p.url) === site && !toCancel(i))
      .map((p) => firstStartOfKey.get(p.url) ?? NaN);
    return !starts.every((at, j) => j === 0 || at > starts[j - 1]!);
  });

  // Priorities: when the emails of each priority first started (all due at 0).
  const firstStarts = (priority: Priority) =>
    emails.filter((e) => e.priority === priority).map((e) => firstStartOfKey.get(e.email) ?? Infinity);
  const [high, normal, low] = [firstStarts("high"), firstStarts("normal"), firstStarts("low")];
  const median = (values: number[]) => percentile(values, 0.5);
  const last = (values: number[]) => Math.max(0, ...values);

  // Stats at the end, against the statuses: nothing left, the same outcomes.
  const statsOff = POOLS.filter(({ name }, i) => {
    const s = finalStats[name];
    const row = rows[i]!;
    return s.pending !== 0 || s.running !== 0 || s.lastHour.succeeded !== row.succeeded || s.lastHour.failed !== row.failed ||
      s.lastHour.canceled !== row.canceled || s.lastHour.retries !== row.retries;
  });

  // Idempotent enqueue: the second requests got the first ones' ids, and the
  // pool holds one job per address.
  const firstIds = ids.email.filter((_, i) => repeated(i));
  const emailJobs = new Set(poolLog.enqueued.email).size;

  const checks: Check[] = [
    {
      ok: POOLS.every(({ key, cap }) => mostRunning(key) <= cap),
      what: "cap held",
      detail: `most running at once ${POOLS.map(({ key, cap }) => `${key} ${mostRunning(key)}/${cap}`).join(", ")}`,
    },
    {
      ok: seen.counter === INCREMENTS,
      what: "counter exact",
      detail: `${seen.counter}/${INCREMENTS} after ${INCREMENTS} concurrent increments through the serial pool`,
    },
    {
      ok: missing + twice + disagree + unlogged === 0 && seen.completions.length === jobCount,
      what: "one onComplete per job",
      detail: `${jobCount} jobs with the demo's onComplete, ${seen.completions.length} calls: ${missing} missing, ${twice} twice, ${disagree} disagreeing with status` +
        (unlogged > 0 ? `, ${unlogged} not in the pool's log` : ""),
    },
    {
      ok: mostPerSite <= 1 && outOfOrder.length === 0,
      what: "keyed jobs one at a time, in order",
      detail: `${pages.length} scrapes keyed by site (${sites.length} sites): most fetches of one site at once ${mostPerSite}, ` +
        `${sites.length - outOfOrder.length}/${sites.length} sites fetched in enqueue order`,
    },
    {
      ok: last(high) <= median(normal) && median(normal) <= median(low),
      what: "high priority first",
      detail: `emails' first attempts started, median: high ${seconds(median(high))} (last ${seconds(last(high))}), ` +
        `normal ${seconds(median(normal))}, low ${seconds(median(low))}`,
    },
    {
      ok: repeatedIds.length > 0 && repeatedIds.every((id, n) => id === firstIds[n]) && emailJobs === ids.email.length,
      what: "idempotent enqueue",
      detail: `${repeatedIds.length} emails requested twice: ${repeatedIds.filter((id, n) => id === firstIds[n]).length} got their first job back; ` +
        `${emailJobs} email jobs for ${ids.email.length} addresses`,
    },
    {
      ok: canceled.every((id) => outcomeOf("scrape", id)?.outcome === "canceled" && outcomeOf("scrape", id)?.attempts === 0) &&
        canceledUrls.every((url) => !attemptsOfKey.has(url)),
      what: "canceled jobs never ran",
      detail: `${canceled.length} delayed scrapes canceled while queued: ${canceledUrls.filter((u) => attemptsOfKey.has(u)).length} ran`,
    },
    {
      ok: early === 0 && delayed.every((p) => firstStartOfKey.has(p.url)),
      what: "delays held",
      detail: `${delayed.length} delayed scrapes, ${early} started before their delay was over`,
    },
    {
      ok: emailOutcomes.every(({ email, status }) =>
        status !== undefined &&
        (status.attempts ?? 0) <= MAX_EMAIL_ATTEMPTS &&
        status.attempts === attemptsOfKey.get(email) &&
        (!email.endsWith("@invalid.example") || (status.outcome === "failed" && status.attempts === 1))),
      what: "retry policy",
      detail: `at most ${MAX_EMAIL_ATTEMPTS} attempts per email, NonRetryableError after 1, status attempts = the app's own count`,
    },
    {
      ok: goodRuns.length === PIPELINE_RUNS && seen.pipelineRuns.length === PIPELINE_RUNS,
      what: "pipeline complete",
      detail: `${goodRuns.length}/${PIPELINE_RUNS} runs have step1 and step2`,
    },
    {
      ok: statsOff.length === 0,
      what: "stats agree with statuses",
      detail: `at the end, pool.stats: ${POOLS.map(({ key, name }) => `${key} ${finalStats[name].pending} pending/${finalStats[name].running} running`).join(", ")}; ` +
        `last hour's outcomes and retries = the statuses' in ${POOLS.length - statsOff.length}/${POOLS.length} pools` +
        (statsOff[0] ? ` (${statsOff[0].key}: ${JSON.stringify(finalStats[statsOff[0].name].lastHour)})` : ""),
    },
    {
      ok: doneAt !== null && poolLog.runningNow() === 0 && poolLog.problems.length === 0,
      what: "finished cleanly",
      detail: doneAt === null
        ? `work still unfinished after ${seconds(elapsed())} of scheduler time`
        : `pools idle at the end (${poolLog.runningNow()} running), ${poolLog.problems.length} warnings or errors logged` +
          (poolLog.problems[0] ? `, the first: ${poolLog.problems[0].slice(0, 300)}` : ""),
    },
  ];

  const lastOnComplete = Math.max(...rows.map((r) => r.makespanMs));
  const wall = (performance.now() - wallStart) / 1000;
  const scenario =
    `seed ${seed}: ${jobs} emails, ${pages.length} pages, ${INCREMENTS} increments, ` +
    `${PIPELINE_RUNS} pipeline runs (their ${2 * PIPELINE_RUNS} steps among scrapeWorkpool's jobs)`;
  printSummary(
    out,
    rows,
    checks,
    `${scenario}; ${seconds(lastOnComplete)} of scheduler time in ${wall.toFixed(1)} s real time.`,
  );
  POOLS.forEach(({ key }, i) => timelines[i]!.startLagsMs.push(...poolLog.startLags[key]));
  return {
    ok: checks.every((c) => c.ok),
    checks,
    pools: rows,
    timeline: {
      title: "convex-workpool demo",
      subtitle: `${scenario}. Scheduler time is the simulated clock of the in-process backend, not real time.`,
      xLabel: "scheduler time, s",
      samplesNote: `sampled from pool.stats() every ${SAMPLE_EVERY_MS / 1000} s of scheduler time`,
      pools: timelines,
    },
  };
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function seeded(s: number) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}
