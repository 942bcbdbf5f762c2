/// <reference types="vite/client" />
// A run: a fresh convex-test backend with the bench app and both packages
// mounted side by side ("ours", and "published" with its nested batch-worker
// at "published/batchWorker"), every component function instrumented. It
// enqueues N jobs in chunks of 100, then steps the fake clock from timer to
// timer, in time order, until every onComplete has run, and on for a day
// after to count the work that follows.
//
// Why a backend per run: convex-test keeps every scheduled function's row
// for good and scans all of a component's documents on every query, so in
// one long-lived backend each run would be slower than the one before.
import { convexTest } from "convex-test";
import { vi } from "vitest";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import oursTest from "convex-workpool/test";
import publishedTest from "workpool-published/test";
import batchWorkerTest from "@convex-dev/batch-worker/test";
import schema from "./app/schema.js";
import { api } from "./app/_generated/api.js";
import type { PoolTimeline } from "../demo/html.js";
import {
  copyCounts,
  diffCounts,
  emptyCounts,
  instrumentModules,
  type Counts,
  type Modules,
} from "./instrument.js";

const appModules = import.meta.glob("./app/**/*.ts");

export type Pool = "ours" | "published";
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
  id: "ours" | "oursTtl0" | "published" | OptionId;
  pool: Pool;
  statusTtl?: number;
  enqueue?: EnqueueExtras;
  title: string;
};

export const VARIANTS: Variant[] = [
  { id: "ours", pool: "ours", title: "ours (default retention)" },
  { id: "oursTtl0", pool: "ours", statusTtl: 0, title: "ours (statusTtl 0)" },
  { id: "published", pool: "published", title: "published 0.4.12" },
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

export type Workload = { kind: Kind; maxParallelism: number };

export type RunResult = {
  variant: Variant["id"];
  kind: Kind;
  maxParallelism: number;
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
  /** Real time from the first enqueue to the step of the last onComplete. */
  wallMs: number;
  /** Real time of the enqueue calls alone (included in wallMs). */
  enqueueWallMs: number;
  /** Timers fired until the last onComplete. */
  steps: number;
  /** Running jobs, queue and start lags over time, if asked for (BENCH_HTML). */
  timeline?: PoolTimeline;
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
  published: emptyCounts(),
};

type Global = { __benchDone?: number; __benchEvents?: [number, 1 | -1][] };
const g = globalThis as Global;

// Instrumented once; each backend registers the same maps.
const oursModules = instrumentModules(oursTest.modules, () => live.ours);
const publishedModules = instrumentModules(
  publishedTest.modules,
  () => live.published,
);
const batchWorkerModules = instrumentModules(
  batchWorkerTest.modules,
  () => live.published,
  "batchWorker/",
);

/**
 * A fresh backend with both packages, on a fresh fake clock (timers and
 * Date only; performance stays real) set to the start time.
 */
function createBackend() {
  vi.useRealTimers();
  vi.useFakeTimers({
    toFake: [
      "setTimeout",
      "clearTimeout",
      "setInterval",
      "clearInterval",
      "Date",
    ],
  });
  vi.setSystemTime(START_TIME);
  const t = convexTest(schema, appModules);
  type AnyTest = Parameters<typeof oursTest.register>[0];
  const registerAs = (
    name: string,
    s: SchemaDefinition<GenericSchema, boolean>,
    modules: Modules,
  ) => (t as unknown as AnyTest).registerComponent(name, s, modules);
  registerAs("ours", oursTest.schema, oursModules);
  registerAs("published", publishedTest.schema, publishedModules);
  registerAs(
    "published/batchWorker",
    batchWorkerTest.schema,
    batchWorkerModules,
  );
  return t;
}
type Backend = ReturnType<typeof createBackend>;

async function step(t: Backend) {
  await vi.advanceTimersToNextTimerAsync();
  await t.finishInProgressScheduledFunctions();
}

let runSeq = 0;

/** Enqueues `n` jobs for `variant` and drives the clock until all have completed. */
export async function runWorkload(
  variant: Variant,
  workload: Workload,
  n: number,
  options: { timeline?: boolean } = {},
): Promise<RunResult> {
  const run = `${variant.id}-${workload.kind}-p${workload.maxParallelism}-${n}-${++runSeq}`;
  const t = createBackend();
  const counts = emptyCounts();
  live.ours = emptyCounts();
  live.published = emptyCounts();
  live[variant.pool] = counts;
  g.__benchDone = 0;
  g.__benchEvents = [];

  const start = Date.now();
  const wall0 = realNow();
  await enqueueAll(t, variant, workload, n, run);
  const enqueueWallMs = realNow() - wall0;

  const steps = await drain(t, n, run);
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

  await stepFor(t, AFTER_MS, run);
  const after = diffCounts(counts, main);
  live[variant.pool] = emptyCounts();
  if ((g.__benchDone ?? 0) !== n)
    throw new Error(`${run}: ${g.__benchDone} onCompletes for ${n} jobs`);
  const left = await pendingWork(t, variant.pool);
  if (left.length > 0)
    throw new Error(
      `${run}: the pool still holds ${left.join(", ")} after the run`,
    );

  return {
    variant: variant.id,
    kind: workload.kind,
    maxParallelism: workload.maxParallelism,
    n,
    counts: main,
    after,
    makespanMs,
    wallMs,
    enqueueWallMs,
    steps,
    ...(options.timeline
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

/** Fires timers in time order up to a sentinel `ms` of scheduler time later. */
async function stepFor(t: Backend, ms: number, run: string) {
  let over = false;
  setTimeout(() => {
    over = true;
  }, ms);
  for (let s = 0; !over; s++) {
    if (s > 100_000)
      throw new Error(
        `${run}: still busy ${s} timers after the last onComplete`,
      );
    await step(t);
  }
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
    if (vi.getTimerCount() === 0) {
      await t.finishInProgressScheduledFunctions();
      if ((g.__benchDone ?? 0) >= n) break;
      if (vi.getTimerCount() === 0) {
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
  const workload: Workload = { kind: "action", maxParallelism: 10 };
  const t = createBackend();
  live.ours = emptyCounts();
  live.published = emptyCounts();
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
  const tables =
    pool === "ours"
      ? [
          "work",
          "pendingStart",
          "pendingCompletion",
          "pendingCancelation",
          "payload",
        ]
      : ["work", "pendingStart", "pendingCompletion", "pendingCancelation"];
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
