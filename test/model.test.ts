// Randomized model test (DESIGN §8): fast-check generates sequences of
// enqueues (each kind, single and batch, delays, retry policies, callbacks,
// excluded kinds, serialization keys, priorities), cancels, cancelAlls, cap
// changes (pause, lower, raise), clock advances and faults: a loop call
// that fails at any of its failpoints, after which the pool must be going
// again within RESUME_BOUND_MS (no completion waits longer than a recovery
// interval to be taken in; with a slot free, no due job left in a queue); the loop's calls to itself held by
// Convex an hour past their time for a while (the same bound after); payloads:
// contexts of half the largest value, under Convex's production limits; and report faults (the next few
// reports of action workers fail, or commit while the worker sees them
// fail: invariant 12 says neither changes any outcome). Each sequence
// drives the real component through convex-test and a small reference model
// side by side.
//
// After every step: running ≤ the cap in force (jobs in flight when the cap
// is lowered may finish); each job's status equals what the model derives
// from the job's own log of its runs (pending: previousAttempts = attempts
// run; running: the attempt in flight; finished: attempts = runs), and only
// moves along the state machine, never past maxAttempts; no job has run
// before it was due; a job canceled while pending never runs again; a job
// with a key starts only after every earlier job with its key finished (so
// two never run at once, and a retrying job keeps its key); `stats` agrees
// with the statuses (running, pending split into due, delayed and backing
// off, and the hour's outcomes). At the end: each job has exactly the
// outcome the model predicts, exactly one onComplete (none if excluded or
// not set), runs ≤ maxAttempts, and the pool is idle with nothing scheduled.
//
// MODEL_RUNS=2000 npx vitest run test/model.test.ts runs many more.
import fc from "fast-check";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { HOUR, LOOP_STALL_MS, MAX_VALUE_BYTES, RECOVERY_INTERVAL_MS, SECOND, STATS_HOUR_BUCKET_MS } from "../src/component/constants.js";
import type { Failpoint, HeldCall } from "../src/component/faults.js";
import { api } from "./fixture/_generated/api.js";
import { COMMIT_TICK_MS, drain, functionClock, initConvexTest, settleInFlight, snapshot, type Test } from "./setup.js";

const RUNS = Number(process.env.MODEL_RUNS ?? 200);
const KINDS = ["success", "failed", "canceled"] as const;
type Kind = (typeof KINDS)[number];

type Spec = {
  fnType: "action" | "mutation" | "query";
  /** Attempts that throw, from the first; 0 = never, 99 = always. */
  failRuns: number;
  nonRetryable: boolean;
  durationMs: number;
};
type Enqueue = {
  op: "enqueue";
  fnType: Spec["fnType"];
  items: { failRuns: number; durationMs: number }[];
  nonRetryable: boolean;
  maxAttempts: number;
  delayMs: number;
  callback: boolean;
  exclude: Kind[];
  /** Handed to onComplete unchanged (any Convex value). */
  context: unknown;
  /** Serialization key for every item of this enqueue. */
  key?: string;
  priority?: "high" | "normal" | "low";
};
type Op =
  | Enqueue
  | { op: "cancel"; pick: number }
  | { op: "cancelAll" }
  | { op: "cap"; cap: number }
  | { op: "reportFaults"; point: ReportFault; times: number }
  | { op: "advance"; ms: number }
  | { op: "loopFault"; point: LoopFailpoint }
  | { op: "holdLoop" };
type LoopFailpoint = Extract<Failpoint, `loop:${string}`>;
/** A report that fails (rolls back), or commits while its worker sees it fail. */
type ReportFault = Extract<Failpoint, "report:afterSettle" | "worker:afterReport">;

/**
 * A context of half the largest value accepted (a payload row of its own):
 * the fixture's onComplete stores what it gets in one document, which must
 * fit in Convex's 1 MiB. (test/byte-budgets.test.ts covers the maximum.)
 */
const LARGE_CONTEXT = "x".repeat(Math.floor(MAX_VALUE_BYTES / 2));
const enqueueArb: fc.Arbitrary<Enqueue> = fc.record({
  op: fc.constant("enqueue" as const),
  fnType: fc.constantFrom("action" as const, "action" as const, "mutation" as const, "query" as const),
  items: fc.array(
    fc.record({ failRuns: fc.constantFrom(0, 0, 1, 2, 99), durationMs: fc.constantFrom(0, 0, 300, 2000) }),
    { minLength: 1, maxLength: 3 },
  ),
  nonRetryable: fc.boolean(),
  maxAttempts: fc.constantFrom(1, 2, 3),
  delayMs: fc.constantFrom(0, 0, 700, 4000),
  callback: fc.boolean(),
  exclude: fc.subarray([...KINDS], { maxLength: 2 }),
  context: fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.record({ user: fc.string({ maxLength: 8 }), tags: fc.array(fc.boolean(), { maxLength: 4 }) }),
    fc.constant(LARGE_CONTEXT),
  ),
  key: fc.constantFrom(undefined, undefined, "k1", "k2"),
  priority: fc.constantFrom(undefined, "high" as const, "normal" as const, "low" as const),
}, { requiredKeys: ["op", "fnType", "items", "nonRetryable", "maxAttempts", "delayMs", "callback", "exclude", "context"] });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: enqueueArb },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: "cancelAll" as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cap" as const), cap: fc.constantFrom(0, 1, 2, 4) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("reportFaults" as const),
      point: fc.constantFrom<ReportFault>("report:afterSettle", "worker:afterReport"),
      // Up to 4 are retried by the worker itself; more go by a scheduled delivery.
      times: fc.constantFrom(1, 3, 8),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(0, 100, 600, 2500, 10_000) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("loopFault" as const),
      point: fc.constantFrom("loop:afterCompletions" as const, "loop:afterStarts" as const, "loop:beforeCommit" as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "holdLoop" as const }) },
);

/**
 * How long a pool may take to resume after one failed loop call (DESIGN §8
 * invariant 11): the watchdog looks at least once per recovery interval and
 * restarts a loop silent for LOOP_STALL_MS; a few seconds more for the
 * restarted call and what it starts.
 */
const RESUME_BOUND_MS = LOOP_STALL_MS + RECOVERY_INTERVAL_MS + 10 * SECOND;
const RESUME_STEP_MS = 5 * SECOND;

/** Failures still to inject at each failpoint, in the sequence running now. */
let faultsLeft: Partial<Record<Failpoint, number>> = {};
function injectFaults(point: Failpoint) {
  if ((faultsLeft[point] ?? 0) > 0) {
    faultsLeft[point]! -= 1;
    throw new Error(`injected fault at ${point}`);
  }
}

/** Makes the next loop run throw at `point` (null: disarm the loop's failpoints). */
function armLoopFault(point: LoopFailpoint | null) {
  faultsLeft["loop:afterCompletions"] = 0;
  faultsLeft["loop:afterStarts"] = 0;
  faultsLeft["loop:beforeCommit"] = 0;
  if (point !== null) faultsLeft[point] = 1;
}

/** Steps the fake clock by `ms`, letting what comes due run at its time. */
async function advanceBy(ms: number) {
  for (let waited = 0; waited < ms; waited += RESUME_STEP_MS) {
    await vi.advanceTimersByTimeAsync(RESUME_STEP_MS);
    await settleInFlight(testInRun!);
  }
}
let testInRun: Test | null = null;

/** Convex holds (an hour past its time) each call the loop makes to itself for a later time, while `on`. */
function holdLoopCalls(on: boolean) {
  (globalThis as { __workpoolHold?: (call: HeldCall) => number }).__workpoolHold = on
    ? (call) => (call === "loop:sleep" ? HOUR : 0)
    : undefined;
}

/**
 * The pool resumed: with a slot free, no due job waits in a queue, and no
 * completion has waited longer than a recovery interval (below its cap, a
 * completion kicks no one: the next kick or the watchdog takes it in).
 */
async function expectResumed(t: Test, capState: { cap: number }) {
  const s = await snapshot(t);
  const label = `not going again a bound after a failed or held loop call: ${JSON.stringify({ loop: s.loop, counts: s.counts, scheduled: s.pendingScheduled, pool: s.poolState, now: Date.now() })}`;
  if (s.oldestCompletionAt !== null) {
    expect(Date.now() - s.oldestCompletionAt, label).toBeLessThanOrEqual(RECOVERY_INTERVAL_MS + RESUME_STEP_MS);
  }
  if ((s.poolState?.running.length ?? 0) < capState.cap) expect(s.dueQueued, label).toBe(0);
}

type Status = { state: string; previousAttempts?: number; outcome?: Kind; attempts?: number; finishedAt?: number };
type ModelJob = {
  id: string;
  tag: string;
  spec: Spec;
  maxAttempts: number;
  dueAt: number;
  callback: boolean;
  exclude: Kind[];
  context: unknown;
  key?: string;
  /** The job's status when a cancel was applied to it, and its runs then. */
  canceled?: { status: Status; runs: number };
  last: Status;
};

/** The outcome and number of recorded runs the model expects. */
function expected(job: ModelJob): { outcome: Kind; runs: number } {
  const { spec } = job;
  const fails = (attempt: number) => attempt <= spec.failRuns;
  // Only actions and successful mutations leave `runs` rows.
  const runsOf = (attempts: number, ok: boolean) =>
    spec.fnType === "action" ? attempts : spec.fnType === "mutation" && ok && attempts > 0 ? 1 : 0;
  const natural = (): { outcome: Kind; runs: number } => {
    if (spec.fnType !== "action") {
      const ok = !fails(1);
      return { outcome: ok ? "success" : "failed", runs: runsOf(1, ok) };
    }
    if (spec.nonRetryable && fails(1)) return { outcome: "failed", runs: 1 };
    const attempts = Math.min(spec.failRuns + 1, job.maxAttempts);
    return { outcome: spec.failRuns < job.maxAttempts ? "success" : "failed", runs: attempts };
  };
  const c = job.canceled;
  if (c === undefined || c.status.state === "finished") return natural();
  const k = c.status.previousAttempts ?? 0;
  if (c.status.state === "pending") return { outcome: "canceled", runs: runsOf(k, true) };
  // Running at the cancel: that attempt finishes; no retry follows it.
  const attempt = k + 1;
  if (!fails(attempt)) return { outcome: "success", runs: runsOf(attempt, true) };
  const wouldRetry = spec.fnType === "action" && !spec.nonRetryable && attempt < job.maxAttempts;
  return { outcome: wouldRetry ? "canceled" : "failed", runs: runsOf(attempt, false) };
}

const ORDER = { pending: 0, running: 1, finished: 2 } as const;

/**
 * The status must agree exactly with the job's own log of its runs: an
 * action logs each attempt as it starts; a mutation logs only a success (a
 * failure rolls back); a query logs nothing.
 */
function expectStatusMatchesRuns(job: ModelJob, status: Status & { attempts?: number }, runs: number) {
  const label = `${job.tag} status ${JSON.stringify(status)} with ${runs} runs`;
  if (job.spec.fnType === "action") {
    if (status.state === "pending") expect(status.previousAttempts, label).toBe(runs);
    // Running: the worker may not have logged this attempt's start yet.
    if (status.state === "running") expect([runs, runs - 1], label).toContain(status.previousAttempts);
    if (status.state === "finished") expect(status.attempts, label).toBe(runs);
    return;
  }
  if (status.state === "pending") {
    expect(status.previousAttempts, label).toBe(0);
    expect(runs, label).toBe(0);
  }
  if (status.state === "finished" && job.spec.fnType === "mutation") {
    expect(runs, label).toBe(status.outcome === "success" ? 1 : 0);
    expect(status.attempts, label).toBe(status.outcome === "canceled" ? 0 : 1);
  }
}

async function checkStep(t: Test, jobs: ModelJob[], capState: { cap: number; over: number }) {
  // Running ≤ cap in force; jobs already running when the cap was lowered
  // may finish, but none starts while the pool is at or above the cap.
  const s = await snapshot(t);
  const running = s.poolState?.running.length ?? 0;
  capState.over = Math.min(capState.over, running);
  expect(running).toBeLessThanOrEqual(Math.max(capState.cap, capState.over));

  if (jobs.length === 0) return;
  const statuses = (await t.query(api.pools.status, { ids: jobs.map((j) => j.id) })) as Status[];
  const runs = await t.run((ctx) => ctx.db.query("runs").collect());
  jobs.forEach((job, i) => {
    const now = statuses[i]!;
    const before = job.last;
    // Status moves along the state machine only: never back from finished,
    // previousAttempts never decreasing and below maxAttempts.
    if (before.state === "finished") expect(now.state).toBe("finished");
    if (now.state !== "finished" && before.state !== "finished") {
      expect(now.previousAttempts!).toBeGreaterThanOrEqual(before.previousAttempts!);
      if (now.previousAttempts === before.previousAttempts) {
        expect(ORDER[now.state as keyof typeof ORDER]).toBeGreaterThanOrEqual(ORDER[before.state as keyof typeof ORDER]);
      }
      expect(now.previousAttempts!).toBeLessThan(job.maxAttempts);
    }
    job.last = now;
    const mine = runs.filter((r) => r.tag === job.tag);
    for (const r of mine) expect(r.at).toBeGreaterThanOrEqual(job.dueAt);
    if (job.canceled?.status.state === "pending") expect(mine.length).toBe(job.canceled.runs);
    expectStatusMatchesRuns(job, now, mine.length);
  });
  checkKeys(jobs, runs);
  await checkStats(t, jobs);
}

/** Whether a job has begun an attempt, by its status. */
const started = (s: Status) =>
  s.state === "running" || (s.previousAttempts ?? 0) > 0 || (s.state === "finished" && (s.attempts ?? 0) > 0);

/**
 * Keyed serialization: a job with a key has begun only once every job
 * enqueued before it with that key finished, and its first run came after
 * their ends.
 */
function checkKeys(jobs: ModelJob[], runs: { tag: string; at: number }[]) {
  jobs.forEach((job, j) => {
    if (job.key === undefined || !started(job.last)) return;
    const firstRun = Math.min(...runs.filter((r) => r.tag === job.tag).map((r) => r.at));
    for (const earlier of jobs.slice(0, j)) {
      if (earlier.key !== job.key) continue;
      const label = `${job.tag} (${JSON.stringify(job.last)}) began before ${earlier.tag} (${JSON.stringify(earlier.last)}) of key ${job.key} finished`;
      expect(earlier.last.state, label).toBe("finished");
      if (Number.isFinite(firstRun)) expect(firstRun, label).toBeGreaterThanOrEqual(earlier.last.finishedAt!);
    }
  });
}

/**
 * `stats` against the statuses: the same jobs running, pending and finished.
 * Stats are the loop's counts: an attempt that ended holds its slot until the
 * loop's next pass, which follows at once (a timer due within a commit tick,
 * setup.ts). So first let the loop catch up with reported attempts, then
 * compare with fresh statuses.
 */
async function checkStats(t: Test, jobs: ModelJob[]) {
  for (let pass = 0; pass < 10 && (await snapshot(t)).counts.pendingCompletion! > 0; pass++) {
    await vi.advanceTimersByTimeAsync(COMMIT_TICK_MS);
    await settleInFlight(t);
  }
  // The queries' clock (no commit in between), which may be a tick ahead of the fake clock.
  const now = await functionClock(t);
  const statuses = (await t.query(api.pools.status, { ids: jobs.map((j) => j.id) })) as Status[];
  const stats = await t.query(api.pools.stats, {});
  const current = jobs.map((job, i) => ({ job, last: statuses[i]! }));
  const of = (f: (j: { job: ModelJob; last: Status }) => boolean) => current.filter(f).length;
  const pending = (j: { last: Status }) => j.last.state === "pending";
  const fresh = (j: { last: Status }) => pending(j) && (j.last.previousAttempts ?? 0) === 0;
  const delayed = (j: { job: ModelJob; last: Status }) => fresh(j) && Math.floor(j.job.dueAt / 1000) * 1000 > now;
  const label = JSON.stringify(current.map((j) => [j.job.tag, j.last]));
  expect(stats, label).toMatchObject({
    running: of((j) => j.last.state === "running"),
    pending: of(pending),
    pendingBackingOff: of((j) => pending(j) && (j.last.previousAttempts ?? 0) > 0),
    pendingDelayed: of(delayed),
    pendingDue: of((j) => fresh(j) && !delayed(j)),
  });
  // The hour's outcomes: those counted in a minute bucket that overlaps the
  // last hour. The loop counts an outcome when it frees the slot, after
  // finishedAt (a moment after, or, while Convex holds the loop's calls, up
  // to the resume bound after), so a job that finished shortly before the
  // window's first bucket may or may not be counted.
  const bucketEnd = (at: number) => (Math.floor(at / STATS_HOUR_BUCKET_MS) + 1) * STATS_HOUR_BUCKET_MS;
  const hourFrom = now - HOUR;
  for (const [kind, field] of [["success", "succeeded"], ["failed", "failed"], ["canceled", "canceled"]] as const) {
    const ended = current.filter((j) => j.last.state === "finished" && j.last.outcome === kind).map((j) => j.last.finishedAt!);
    const surely = ended.filter((f) => bucketEnd(f) > hourFrom).length;
    const maybe = ended.filter((f) => bucketEnd(f) <= hourFrom && bucketEnd(f + COUNTED_WITHIN_MS) > hourFrom).length;
    expect(stats.lastHour[field], `${field} in the last hour: ${label}`).toBeGreaterThanOrEqual(surely);
    expect(stats.lastHour[field], `${field} in the last hour: ${label}`).toBeLessThanOrEqual(surely + maybe);
  }
}

/** How soon after a job's finishedAt the loop counts its outcome, at most, in these runs. */
const COUNTED_WITHIN_MS = RESUME_BOUND_MS;

async function runSequence(ops: Op[]) {
  faultsLeft = {};
  // Convex's production limits on every transaction: jobs may carry a
  // context at the largest size accepted.
  const t = initConvexTest({ transactionLimits: true });
  testInRun = t;
  const jobs: ModelJob[] = [];
  const capState = { cap: 4, over: 0 };
  const poolOptions = { maxParallelism: 4, statusTtl: Infinity };
  await t.mutation(api.pools.setConfig, { maxParallelism: 4 });
  let tagCounter = 0;

  const runsOf = async (tag: string) =>
    (await t.run((ctx) => ctx.db.query("runs").withIndex("by_tag", (q) => q.eq("tag", tag)).collect())).length;

  for (const op of ops) {
    if (op.op === "enqueue") {
      const specs = op.items.map((item) => ({
        tag: `job${tagCounter++}`,
        spec: {
          fnType: op.fnType,
          failRuns: op.fnType === "action" ? item.failRuns : item.failRuns > 0 ? 99 : 0,
          nonRetryable: op.nonRetryable,
          durationMs: op.fnType === "action" ? item.durationMs : 0,
        } satisfies Spec,
      }));
      const args = specs.map(({ tag, spec }) => ({
        tag,
        ...(spec.durationMs ? { durationMs: spec.durationMs } : {}),
        ...(spec.failRuns > 0 ? { fail: "planned failure", failRuns: spec.failRuns, nonRetryable: spec.nonRetryable } : {}),
      }));
      const maxAttempts = op.fnType === "action" ? op.maxAttempts : 1;
      const options = {
        ...(op.delayMs ? { runAfter: op.delayMs } : {}),
        ...(op.fnType === "action" ? { retry: { maxAttempts, initialBackoffMs: 500, base: 2 } } : {}),
        ...(op.exclude.length ? { onCompleteExcludeKinds: op.exclude } : {}),
        ...(op.context !== undefined ? { context: op.context } : {}),
        ...(op.key !== undefined ? { key: op.key } : {}),
        ...(op.priority !== undefined ? { priority: op.priority } : {}),
      };
      // The enqueue's own clock, which may be a tick ahead of the fake clock:
      // delays count from it.
      const now = await functionClock(t);
      const ids = await t.mutation(api.pools.enqueue, {
        kind: op.fnType,
        args,
        batch: args.length > 1,
        options,
        poolOptions: { ...poolOptions, maxParallelism: capState.cap },
        ...(op.callback ? { callback: "record" as const } : {}),
      });
      ids.forEach((id, i) =>
        jobs.push({
          id,
          tag: specs[i]!.tag,
          spec: specs[i]!.spec,
          maxAttempts,
          dueAt: now + op.delayMs,
          callback: op.callback,
          exclude: op.exclude,
          context: op.context,
          ...(op.key !== undefined ? { key: op.key } : {}),
          last: { state: "pending", previousAttempts: 0 },
        }),
      );
    } else if (op.op === "cancel") {
      if (jobs.length === 0) continue;
      const job = jobs[op.pick % jobs.length]!;
      const status = (await t.mutation(api.pools.statusThenCancel, { id: job.id })) as Status;
      job.canceled ??= { status, runs: await runsOf(job.tag) };
    } else if (op.op === "cancelAll") {
      if (jobs.length === 0) continue;
      const statuses = (await t.query(api.pools.status, { ids: jobs.map((j) => j.id) })) as Status[];
      const runs = await Promise.all(jobs.map((j) => runsOf(j.tag)));
      await t.mutation(api.pools.cancelAll, { limit: 2 });
      jobs.forEach((job, i) => (job.canceled ??= { status: statuses[i]!, runs: runs[i]! }));
    } else if (op.op === "reportFaults") {
      faultsLeft[op.point] = (faultsLeft[op.point] ?? 0) + op.times;
    } else if (op.op === "cap") {
      const running = (await snapshot(t)).poolState?.running.length ?? 0;
      if (op.cap < capState.cap) capState.over = Math.max(capState.over, running);
      capState.cap = op.cap;
      await t.mutation(api.pools.setConfig, { maxParallelism: op.cap });
    } else if (op.op === "holdLoop") {
      // For a while Convex holds every call the loop makes to itself for a
      // later time, an hour past it; then calls run on time again. The
      // watchdog must replace the held ones: a bound later, the pool is
      // going again.
      holdLoopCalls(true);
      await advanceBy(RESUME_BOUND_MS);
      holdLoopCalls(false);
      await advanceBy(RESUME_BOUND_MS);
      await expectResumed(t, capState);
    } else if (op.op === "loopFault") {
      // The next loop run fails; within the bound the pool must be going again.
      armLoopFault(op.point);
      await advanceBy(RESUME_BOUND_MS);
      armLoopFault(null);
      await expectResumed(t, capState);
    } else {
      await vi.advanceTimersByTimeAsync(op.ms);
      await settleInFlight(t);
    }
    await checkStep(t, jobs, capState);
  }

  // Let everything finish: resume a paused pool, then drain.
  if (capState.cap === 0) await t.mutation(api.pools.setConfig, { maxParallelism: 1 });
  await drain(t);
  await checkStep(t, jobs, { cap: Math.max(capState.cap, 1), over: 0 });

  const completions = await t.run((ctx) => ctx.db.query("completions").collect());
  for (const job of jobs) {
    const want = expected(job);
    const label = `${job.tag} ${JSON.stringify({ spec: job.spec, maxAttempts: job.maxAttempts, canceled: job.canceled })}`;
    expect(job.last, label).toMatchObject({ state: "finished", outcome: want.outcome });
    expect(await runsOf(job.tag), label).toBe(want.runs);
    const calls = completions.filter((c) => c.workId === job.id);
    const wantCalls = job.callback && !job.exclude.includes(want.outcome) ? 1 : 0;
    expect(calls.length, label).toBe(wantCalls);
    if (wantCalls) {
      expect(calls[0]!.result.kind, label).toBe(want.outcome);
      expect(calls[0]!.context, label).toEqual(job.context);
    }
  }
  const s = await snapshot(t);
  expect(s.pendingScheduled).toEqual([]);
  expect(s.poolState?.running ?? []).toEqual([]);
  expect(s.counts).toMatchObject({ pendingStart: 0, startQueue: 0, pendingCompletion: 0, pendingCancelation: 0, cancelAllRequest: 0 });
}

const T0 = new Date("2026-01-01T00:00:00Z").getTime();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
  (globalThis as { __workpoolFailpoint?: (p: Failpoint) => void }).__workpoolFailpoint = injectFaults;
  // Workers warn of each failed report.
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  (globalThis as { __workpoolFailpoint?: unknown }).__workpoolFailpoint = undefined;
  holdLoopCalls(false);
  vi.restoreAllMocks();
});

test("random sequences of enqueue, cancel, cap changes, loop and report faults, and time keep every invariant", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
      await runSequence(ops);
    }),
    { numRuns: RUNS, ...(process.env.MODEL_SEED ? { seed: Number(process.env.MODEL_SEED) } : {}) },
  );
}, 600_000);
