/// <reference types="vite/client" />
// A run: a fresh convex-test backend with the bench app and the three
// packages mounted side by side ("ours", and the published 0.5.0 and 0.4.12
// as "published050" and "published0412", each with its nested batch-worker
// at "<name>/batchWorker"), every component function instrumented. A batch
// workload enqueues N jobs in calls of 100 at one instant; a stream workload
// enqueues one job per user mutation, one every `intervalMs` of scheduler
// time. Either way the fake clock then steps from timer to timer, in time
// order, until every onComplete has run, and on for a day after to count the
// work that follows. A run can also be audited for write conflicts
// (`audit: true`): test/audit's recorder sees every transaction of the
// package's components for the whole run, and the run's result carries the
// conflict report (this package and 0.5.0, which have kind tables).
//
// Why a backend per run: convex-test keeps every scheduled function's row
// for good and scans all of a component's documents on every query, so in
// one long-lived backend each run would be slower than the one before.
import { convexTest } from "convex-test";
import FakeTimers from "@sinonjs/fake-timers";
import oursTest from "convex-workpool/test";
import published050Test from "workpool-published-050/test";
import published0412Test from "workpool-published/test";
import schema from "./app/schema.js";
import { api } from "./app/_generated/api.js";
import type { PoolTimeline } from "../demo/html.js";
import {
  OUR_KIND_TABLE,
  PUBLISHED_050_KIND_TABLE,
  SERIAL_KINDS,
  attachConflictAudit,
  conflictReport,
  kindsUnder,
  type ConflictReport,
} from "../test/audit/index.js";
import {
  copyCounts,
  diffCounts,
  emptyCounts,
  instrumentModules,
  type Counts,
  type Modules,
} from "./instrument.js";

const appModules = import.meta.glob("./app/**/*.ts");

/** The packages, by the name the bench app mounts them under. */
export type Pool = "ours" | "published050" | "published0412";
export const POOLS: Pool[] = ["ours", "published050", "published0412"];
export type Kind = "action" | "mutation";

export type Priority = "high" | "normal" | "low";

/** Per-job options of the options section (this package only). */
export type EnqueueExtras = {
  /** One distinct idempotency key per job (`idempotencyKeys`). */
  idempotency?: boolean;
  /** Serialization keys (`keys`): `k<index>`, or `k<index % 10>`. */
  serialKeys?: "distinct" | "mod10";
  /** One priority for all jobs, or "mixed": high, normal, low by turns, per enqueue call of 100. */
  priority?: Priority | "mixed";
};

export type OptionId =
  | "baseline"
  | "idempotency"
  | "keysDistinct"
  | "keys10"
  | "priorityHigh"
  | "priorityMixed";

export type Variant = {
  id: "ours" | "oursTtl0" | "pub050" | "pub0412" | OptionId;
  pool: Pool;
  statusTtl?: number;
  enqueue?: EnqueueExtras;
  title: string;
};

export const VARIANTS: Variant[] = [
  { id: "ours", pool: "ours", title: "ours (default retention)" },
  { id: "oursTtl0", pool: "ours", statusTtl: 0, title: "ours (statusTtl 0)" },
  { id: "pub050", pool: "published050", title: "published 0.5.0" },
  { id: "pub0412", pool: "published0412", title: "published 0.4.12" },
];

const MIXED: Priority[] = ["high", "normal", "low"];

/**
 * The options section: this package with its default retention, each
 * per-job option alone against the same workload without it.
 */
export const OPTION_VARIANTS: (Variant & { id: OptionId })[] = [
  { id: "baseline", pool: "ours", title: "baseline (no option)" },
  {
    id: "idempotency",
    pool: "ours",
    enqueue: { idempotency: true },
    title: "`idempotencyKeys`, a distinct key per job",
  },
  {
    id: "keysDistinct",
    pool: "ours",
    enqueue: { serialKeys: "distinct" },
    title: "`keys`, a distinct key per job (no contention)",
  },
  {
    id: "keys10",
    pool: "ours",
    enqueue: { serialKeys: "mod10" },
    title: "`keys`, 10 keys round-robin (`k${i % 10}`)",
  },
  {
    id: "priorityHigh",
    pool: "ours",
    enqueue: { priority: "high" },
    title: '`priority: "high"` for all',
  },
  {
    id: "priorityMixed",
    pool: "ours",
    enqueue: { priority: "mixed" },
    title: "priorities mixed: high, normal, low by turns, per call of 100",
  },
];

/**
 * `batch`: all jobs enqueued at one instant, 100 per enqueue call. `stream`:
 * one job per user mutation, a mutation every `intervalMs` of scheduler
 * time.
 */
export type Workload =
  | { shape: "batch"; kind: Kind; maxParallelism: number }
  | { shape: "stream"; kind: Kind; maxParallelism: number; intervalMs: number };

/** A short stable name of a workload (report anchors, run names, BENCH_BIG). */
export function workloadId(w: Workload): string {
  return w.shape === "batch"
    ? `batch-${w.kind}-p${w.maxParallelism}`
    : `stream${w.intervalMs}ms-${w.kind}-p${w.maxParallelism}`;
}

export function sameWorkload(a: Workload, b: Workload): boolean {
  return workloadId(a) === workloadId(b);
}

export type RunResult = {
  variant: Variant["id"];
  workload: Workload;
  n: number;
  /** Component work from the first enqueue to the timer step of the last onComplete. */
  counts: Counts;
  /**
   * Component work after that, until the pool has nothing left to do: the
   * last loop runs, idle polling, and (one day later) the sweep of retained
   * outcomes.
   */
  after: Counts;
  /** Scheduler time from the first enqueue to the last onComplete's row. */
  makespanMs: number;
  /** Scheduler time from a job's enqueue to its onComplete: mean and max. */
  latencyMs: { mean: number; max: number };
  /** Real time from the first enqueue to the step of the last onComplete. */
  wallMs: number;
  /** Real time of the enqueue calls alone (included in wallMs). */
  enqueueWallMs: number;
  /** Timers fired until the last onComplete. */
  steps: number;
  /** Running jobs, queue and start lags over time, if asked for (BENCH_HTML). */
  timeline?: PoolTimeline;
  /** The conflict audit of the run, if asked for (`audit: true`). */
  conflicts?: ConflictAudited;
};

/**
 * A run's conflict audit (test/audit, docs/conflict-audit.md): every
 * transaction of the package's components from the first enqueue to the end
 * of the day after the drain, paired in the audit's default window.
 */
export type ConflictAudited = {
  report: ConflictReport;
  /** Transactions recorded (queries and failed mutations included). */
  transactions: number;
  /** Real ms of the pair computation (the recording's cost is in wallMs). */
  reportMs: number;
};

/**
 * Kinds of each audited package's transactions (test/audit/kinds.ts), by
 * function path inside its mount. 0.4.12 has no table: it is not audited.
 */
export const AUDIT_KIND_TABLES: Partial<
  Record<Pool, Readonly<Record<string, string>>>
> = {
  ours: OUR_KIND_TABLE,
  published050: PUBLISHED_050_KIND_TABLE,
};

/**
 * Scheduler time the bench keeps stepping after the last onComplete: past the
 * default statusTtl (24 h), so that the sweep of retained outcomes is counted.
 */
export const AFTER_MS = 25 * 60 * 60_000;
export const CHUNK = 100;
const START_TIME = Date.UTC(2025, 0, 1);

// Real clock, captured before timers are faked (only timers and Date are).
const realNow = performance.now.bind(performance);

/** Where each package's component functions count right now (a scratch object between runs). */
const live: Record<Pool, Counts> = {
  ours: emptyCounts(),
  published050: emptyCounts(),
  published0412: emptyCounts(),
};
function resetLive() {
  for (const pool of POOLS) live[pool] = emptyCounts();
}

type Global = { __benchDone?: number; __benchEvents?: [number, 1 | -1][] };
const g = globalThis as Global;

type AnyTest = Parameters<typeof oursTest.register>[0];
type Registrar = { register: (t: AnyTest, name: string) => unknown };
const REGISTRARS: Record<Pool, Registrar> = {
  ours: oursTest,
  published050: published050Test,
  published0412: published0412Test,
};

/**
 * Instrumented module maps, made once per (modules, component path) and
 * registered by every backend: each counts into `live[pool]` at call time.
 */
const instrumented = new Map<Modules, Map<string, Modules>>();

/**
 * Registers `pool` with its package's own `register` (which also registers
 * its nested components, e.g. the published package's batch-worker at
 * `<name>/batchWorker`), through a stand-in for `t` whose
 * `registerComponent` instruments the modules of every component it is
 * given. Nested components count into their package's counts, their
 * functions prefixed by their path (`batchWorker/loop:loop`).
 */
function registerInstrumented(t: AnyTest, pool: Pool) {
  const inner = t as unknown as {
    registerComponent: (name: string, s: unknown, m: Modules) => unknown;
  };
  const proxy = new Proxy(inner, {
    get(target, prop) {
      if (prop !== "registerComponent") {
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (name: string, s: unknown, modules: Modules) => {
        const nested = name.startsWith(`${pool}/`)
          ? name.slice(pool.length + 1) + "/"
          : "";
        if (nested === "" && name !== pool)
          throw new Error(`${pool} registered a component named ${name}`);
        let byPath = instrumented.get(modules);
        if (!byPath) instrumented.set(modules, (byPath = new Map()));
        let wrapped = byPath.get(name);
        if (!wrapped) {
          wrapped = instrumentModules(modules, () => live[pool], nested);
          byPath.set(name, wrapped);
        }
        return target.registerComponent(name, s, wrapped);
      };
    },
  });
  REGISTRARS[pool].register(proxy as unknown as AnyTest, pool);
}

type InstalledClock = ReturnType<typeof FakeTimers.install>;
/** The fake clock of the current backend (timers and Date; performance stays real). */
let clock: InstalledClock | null = null;

/**
 * A fresh backend with all three packages, on a fresh fake clock (timers
 * and Date only; performance stays real) set to the start time.
 */
function createBackend() {
  clock?.uninstall();
  clock = FakeTimers.withGlobal(globalThis).install({
    now: START_TIME,
    toFake: [
      "setTimeout",
      "clearTimeout",
      "setInterval",
      "clearInterval",
      "Date",
    ],
  });
  const t = convexTest(schema, appModules);
  for (const pool of POOLS) registerInstrumented(t, pool);
  return t;
}
type Backend = ReturnType<typeof createBackend>;

/** Puts the real timers and Date back (at the end of the bench). */
export function restoreClock() {
  clock?.uninstall();
  clock = null;
}

function theClock(): InstalledClock {
  if (!clock) throw new Error("no backend");
  return clock;
}

/**
 * Fires the next timer, one only (the clock jumps to its time; timers due at
 * the same instant fire in the order they were set, one step each), and
 * waits until every function in flight has finished. One at a time, so the
 * order in which functions run does not depend on how fast the machine
 * runs them: vitest's `advanceTimersToNextTimerAsync` fires every timer due
 * at that instant at once, and whichever of the functions they start takes
 * the transaction lock first then depends on real time (modules not yet
 * loaded, JIT), which changed the published packages' makespans between a
 * first run and the next.
 */
async function step(t: Backend) {
  theClock().next();
  await t.finishInProgressScheduledFunctions();
}

let runSeq = 0;

/** Enqueues `n` jobs for `variant` and drives the clock until all have completed. */
export async function runWorkload(
  variant: Variant,
  workload: Workload,
  n: number,
  options: { timeline?: boolean; audit?: boolean } = {},
): Promise<RunResult> {
  const run = `${variant.id}-${workloadId(workload)}-${n}-${++runSeq}`;
  const t = createBackend();
  const kindTable = AUDIT_KIND_TABLES[variant.pool];
  if (options.audit && kindTable === undefined)
    throw new Error(`${run}: no conflict-audit kinds for ${variant.pool}`);
  // The package's own components only: its nested batch-worker included,
  // the app and the other packages left out.
  const audit = options.audit
    ? attachConflictAudit(t, {
        components: (p) =>
          p === variant.pool || p.startsWith(`${variant.pool}/`),
      })
    : null;
  const counts = emptyCounts();
  resetLive();
  live[variant.pool] = counts;
  g.__benchDone = 0;
  g.__benchEvents = [];

  const start = Date.now();
  const wall0 = realNow();
  let enqueueWallMs: number;
  let steps = 0;
  if (workload.shape === "batch") {
    await enqueueAll(t, variant, workload, n, run);
    enqueueWallMs = realNow() - wall0;
  } else {
    const streamed = await enqueueStream(t, variant, workload, n, run);
    enqueueWallMs = streamed.enqueueWallMs;
    steps = streamed.steps;
  }

  steps += await drain(t, n, run);
  const wallMs = realNow() - wall0;
  const main = copyCounts(counts);
  const events = [...(g.__benchEvents ?? [])];

  const rows = await t.run(
    async (ctx) =>
      await ctx.db
        .query("done")
        .withIndex("by_run", (q) => q.eq("run", run))
        .collect(),
  );
  if (rows.length !== n || new Set(rows.map((r) => r.workId)).size !== n) {
    throw new Error(
      `${run}: expected ${n} onComplete rows for distinct jobs, found ${rows.length}`,
    );
  }
  const makespanMs = Math.max(...rows.map((r) => r.at)) - start;
  const latencies = rows.map((r) => r.at - r.enqueuedAt);
  const latencyMs = {
    mean: latencies.reduce((a, b) => a + b, 0) / n,
    max: Math.max(...latencies),
  };

  await stepFor(t, AFTER_MS, run);
  const after = diffCounts(counts, main);
  resetLive();
  audit?.detach();
  let conflicts: ConflictAudited | undefined;
  if (audit !== null && kindTable !== undefined) {
    const r0 = realNow();
    const report = conflictReport(audit.transactions, {
      jobs: n,
      kindOf: kindsUnder(variant.pool, kindTable),
      serial: SERIAL_KINDS,
    });
    conflicts = {
      report,
      transactions: audit.transactions.length,
      reportMs: realNow() - r0,
    };
  }
  if ((g.__benchDone ?? 0) !== n)
    throw new Error(`${run}: ${g.__benchDone} onCompletes for ${n} jobs`);
  const left = await pendingWork(t, variant.pool);
  if (left.length > 0)
    throw new Error(
      `${run}: the pool still holds ${left.join(", ")} after the run`,
    );

  return {
    variant: variant.id,
    workload,
    n,
    counts: main,
    after,
    makespanMs,
    latencyMs,
    wallMs,
    enqueueWallMs,
    steps,
    ...(conflicts ? { conflicts } : {}),
    // Batches only: the page takes every job as enqueued at the start.
    ...(options.timeline && workload.shape === "batch"
      ? {
          timeline: timelineOf(
            `${variant.title}, ${workload.kind}s, maxParallelism ${workload.maxParallelism}, ${n} jobs`,
            events,
            start,
            n,
            workload.maxParallelism,
          ),
        }
      : {}),
  };
}

/**
 * A run as the HTML page draws it, from the app's starts and onCompletes
 * up to the last onComplete. Running: jobs started whose onComplete has
 * not run yet (a slot as the app sees it); queue: jobs not started yet.
 * Two points per instant of scheduler time, its peak and where it ended,
 * so a burst within one instant still shows. Every job is enqueued at
 * `start`, so its start lag is its start's time since then.
 */
function timelineOf(
  name: string,
  events: [number, 1 | -1][],
  start: number,
  n: number,
  cap: number,
): PoolTimeline {
  const line: PoolTimeline = {
    name,
    x: [0],
    running: [0],
    cap: [cap],
    queue: [{ label: "not started yet", values: [n] }],
    startLagsMs: [],
  };
  const point = (atMs: number, running: number, started: number) => {
    line.x.push((atMs - start) / 1000);
    line.running.push(running);
    line.cap.push(cap);
    line.queue[0]!.values.push(n - started);
  };
  let running = 0;
  let started = 0;
  for (let i = 0; i < events.length;) {
    const at = events[i]![0];
    let peak = { running, started };
    for (; i < events.length && events[i]![0] === at; i++) {
      const delta = events[i]![1];
      running += delta;
      if (delta === 1) {
        started++;
        line.startLagsMs.push(at - start);
      }
      if (running > peak.running) peak = { running, started };
    }
    if (peak.running > running) point(at, peak.running, peak.started);
    point(at, running, started);
  }
  return line;
}

/**
 * Fires timers in time order up to a sentinel `ms` of scheduler time later;
 * returns the number of timers fired (the sentinel included).
 */
async function stepFor(t: Backend, ms: number, run: string): Promise<number> {
  let over = false;
  setTimeout(() => {
    over = true;
  }, ms);
  let s = 0;
  for (; !over; s++) {
    if (s > 100_000)
      throw new Error(`${run}: still busy after ${s} timers in ${ms} ms`);
    await step(t);
  }
  return s;
}

/**
 * A stream: `n` user mutations that enqueue one job each, one every
 * `intervalMs` of scheduler time; between two, the clock steps from timer to
 * timer (the pool works) up to the next arrival.
 */
async function enqueueStream(
  t: Backend,
  variant: Variant,
  workload: Workload & { shape: "stream" },
  n: number,
  run: string,
): Promise<{ enqueueWallMs: number; steps: number }> {
  let enqueueWallMs = 0;
  let steps = 0;
  for (let i = 0; i < n; i++) {
    const w0 = realNow();
    await t.mutation(api.jobs.enqueueOne, {
      pool: variant.pool,
      kind: workload.kind,
      i,
      maxParallelism: workload.maxParallelism,
      ...(variant.statusTtl !== undefined
        ? { statusTtl: variant.statusTtl }
        : {}),
      run,
    });
    enqueueWallMs += realNow() - w0;
    if (i < n - 1) steps += await stepFor(t, workload.intervalMs, run);
  }
  return { enqueueWallMs, steps };
}

/** Enqueues `n` jobs of `variant`, in calls of CHUNK, all at the same instant. */
async function enqueueAll(
  t: Backend,
  variant: Variant,
  workload: Workload,
  n: number,
  run: string,
) {
  const extras = variant.enqueue ?? {};
  for (let i = 0, call = 0; i < n; i += CHUNK, call++) {
    const priority =
      extras.priority === "mixed"
        ? MIXED[call % MIXED.length]!
        : extras.priority;
    await t.mutation(api.jobs.enqueueChunk, {
      pool: variant.pool,
      kind: workload.kind,
      n: Math.min(CHUNK, n - i),
      maxParallelism: workload.maxParallelism,
      ...(variant.statusTtl !== undefined
        ? { statusTtl: variant.statusTtl }
        : {}),
      run,
      first: i,
      ...(extras.idempotency ? { idempotency: true } : {}),
      ...(extras.serialKeys ? { serialKeys: extras.serialKeys } : {}),
      ...(priority !== undefined ? { priority } : {}),
    });
  }
}

/**
 * Steps the clock from timer to timer until `n` onCompletes have run;
 * returns the number of timers fired.
 */
async function drain(t: Backend, n: number, run: string): Promise<number> {
  let steps = 0;
  const maxSteps = 200 * n + 10_000;
  while ((g.__benchDone ?? 0) < n) {
    if (theClock().countTimers() === 0) {
      await t.finishInProgressScheduledFunctions();
      if ((g.__benchDone ?? 0) >= n) break;
      if (theClock().countTimers() === 0) {
        throw new Error(
          `${run}: nothing left to run after ${g.__benchDone} of ${n} onCompletes`,
        );
      }
    }
    await step(t);
    if (++steps > maxSteps)
      throw new Error(
        `${run}: still ${n - (g.__benchDone ?? 0)} jobs left after ${steps} timers`,
      );
  }
  return steps;
}

export type StatsProbe = {
  /** What the probe looked at. */
  state: string;
  /** Work of the one `stats` call (its component query). */
  counts: Counts;
  /** What it returned. */
  stats: {
    pending: number;
    running: number;
    lastHour?: { succeeded: number };
    [k: string]: unknown;
  };
};

/**
 * One `pool.stats` call (the query of the pool mounted as `ours`) with `n`
 * jobs enqueued (actions, maxParallelism 10, default retention) and the
 * loop not yet run; then again a minute of scheduler time after all `n`
 * have completed (the loop has settled; their outcomes are retained).
 */
export async function probeStats(n: number): Promise<StatsProbe[]> {
  const run = `stats-${n}-${++runSeq}`;
  const variant = OPTION_VARIANTS[0]!;
  const workload: Workload = {
    shape: "batch",
    kind: "action",
    maxParallelism: 10,
  };
  const t = createBackend();
  resetLive();
  g.__benchDone = 0;
  const probe = async (state: string): Promise<StatsProbe> => {
    const counts = emptyCounts();
    live.ours = counts;
    const stats = (await t.query(
      api.jobs.oursStats,
      {},
    )) as StatsProbe["stats"];
    live.ours = emptyCounts();
    return { state, counts, stats };
  };
  await enqueueAll(t, variant, workload, n, run);
  const pending = await probe(`${n} jobs pending, the loop not yet run`);
  await drain(t, n, run);
  await stepFor(t, 60_000, run);
  const done = await probe(
    `the same ${n} jobs completed a minute ago, their outcomes retained`,
  );
  return [pending, done];
}

type ComponentRunner = {
  runInComponent: <T>(
    path: string,
    fn: (ctx: { db: any }) => Promise<T>,
  ) => Promise<T>;
};

/**
 * What a settled pool should no longer hold a day after its last job: jobs,
 * queue rows, pending scheduled functions. Anything left is reported as an
 * error of the run.
 */
async function pendingWork(t: Backend, pool: Pool): Promise<string[]> {
  // Not in convex-test's types: runs a function in a component's context.
  const { runInComponent } = t as unknown as ComponentRunner;
  // The same five tables in all three packages' schemas.
  const tables = [
    "work",
    "pendingStart",
    "pendingCompletion",
    "pendingCancelation",
    "payload",
  ];
  return await runInComponent(pool, async (ctx) => {
    const found: string[] = [];
    for (const table of tables) {
      const n = ((await ctx.db.query(table).collect()) as unknown[]).length;
      if (n > 0) found.push(`${n} ${table} rows`);
    }
    const scheduled = (await ctx.db.system
      .query("_scheduled_functions")
      .collect()) as { state: { kind: string } }[];
    const pending = scheduled.filter(
      (s) => s.state.kind === "pending" || s.state.kind === "inProgress",
    ).length;
    if (pending > 0) found.push(`${pending} pending scheduled functions`);
    return found;
  });
}
