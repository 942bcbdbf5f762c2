// Live pool statistics (`Workpool.stats`): running, pending split into due,
// delayed and backing off, the oldest due job's wait, and outcomes of the
// last minute and hour. Counts are exact whatever the backlog, and each
// event is counted once: idempotent re-enqueues, cancels of delayed jobs
// and retries included. Ages are the pool's clock readings, so they match
// the fake time that passed to a commit tick (setup.ts, COMMIT_TICK_MS).
import type { PoolStats } from "convex-workpool";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { DELAYED_FOLD_MIN_INTERVAL_MS, HOUR, INBOX_PARK_AFTER_ROWS, MINUTE } from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
import { advance, initConvexTest, runUntil, runUntilSettled, settleInFlight, snapshot, type Test } from "./setup.js";

const T0 = new Date("2026-01-01T00:00:00Z").getTime();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

type Stats = PoolStats;
type Outcomes = PoolStats["lastHour"];
const NONE: Outcomes = { succeeded: 0, failed: 0, canceled: 0, retries: 0 };

async function stats(t: Test, pool: "workpool" | "otherPool" = "workpool"): Promise<Stats> {
  const s: Stats = await t.query(api.pools.stats, { pool });
  // Whatever else holds, the parts add up.
  expect(s.pendingDue + s.pendingDelayed + s.pendingBackingOff).toBe(s.pending);
  return s;
}
/** The pending and running counts only. */
function counts(s: Stats) {
  const { running, pending, pendingDue, pendingDelayed, pendingBackingOff } = s;
  return { running, pending, pendingDue, pendingDelayed, pendingBackingOff };
}
const IDLE = { running: 0, pending: 0, pendingDue: 0, pendingDelayed: 0, pendingBackingOff: 0 };

type Job = { tag: string; durationMs?: number; fail?: string; failRuns?: number };
async function enqueue(
  t: Test,
  args: Job | Job[],
  options: Record<string, unknown> = {},
  kind: "action" | "mutation" = "action",
) {
  return await t.mutation(api.pools.enqueue, {
    kind,
    args: Array.isArray(args) ? args : [args],
    batch: Array.isArray(args),
    options,
    poolOptions: { statusTtl: Infinity },
    callback: "record",
  });
}
const jobs = (prefix: string, n: number, extra: Omit<Job, "tag"> = {}) =>
  Array.from({ length: n }, (_, i) => ({ tag: `${prefix}${i}`, ...extra }));
/** A status's previousAttempts (undefined once finished). */
const previousAttempts = (s: object) => (s as { previousAttempts?: number }).previousAttempts;
async function pause(t: Test) {
  await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
}
async function completions(t: Test) {
  return await t.run((ctx) => ctx.db.query("completions").collect());
}

describe("an empty pool", () => {
  test("has zeros, no oldest age, and the default cap", async () => {
    const t = initConvexTest();
    expect(await stats(t)).toEqual({
      maxParallelism: 10,
      ...IDLE,
      oldestPendingAgeMs: null,
      lastMinute: NONE,
      lastHour: NONE,
    });
  });

  test("reports the configured cap", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 4 });
    expect((await stats(t)).maxParallelism).toBe(4);
    await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
    expect((await stats(t)).maxParallelism).toBe(0);
    // The other pool is separate.
    expect((await stats(t, "otherPool")).maxParallelism).toBe(10);
  });

  test("a pool that ran jobs and is idle again has nothing pending or running", async () => {
    const t = initConvexTest();
    await enqueue(t, jobs("j", 3));
    await runUntilSettled(t);
    const s = await stats(t);
    expect(counts(s)).toEqual(IDLE);
    expect(s.oldestPendingAgeMs).toBeNull();
    expect(s.lastMinute).toEqual({ ...NONE, succeeded: 3 });
  });
});

describe("pending: due and delayed", () => {
  test("a paused pool with 5 due and 3 delayed jobs; the wait grows; delayed turn due at their second", async () => {
    const t = initConvexTest();
    await pause(t);
    await enqueue(t, jobs("due", 5));
    await enqueue(t, jobs("later", 3), { runAfter: 60_000 });
    let s = await stats(t);
    expect(counts(s)).toEqual({ running: 0, pending: 8, pendingDue: 5, pendingDelayed: 3, pendingBackingOff: 0 });
    expect(s.oldestPendingAgeMs).toBeWithinATickOf(0);
    await advance(t, 20_000, 1000);
    s = await stats(t);
    expect(counts(s)).toEqual({ running: 0, pending: 8, pendingDue: 5, pendingDelayed: 3, pendingBackingOff: 0 });
    expect(s.oldestPendingAgeMs).toBeWithinATickOf(20_000);
    // The last ms before their second, and its first: no loop needs to run for the count to change.
    vi.setSystemTime(T0 + 59_999);
    expect((await stats(t)).pendingDelayed).toBe(3);
    vi.setSystemTime(T0 + 60_000);
    s = await stats(t);
    expect(counts(s)).toEqual({ running: 0, pending: 8, pendingDue: 8, pendingDelayed: 0, pendingBackingOff: 0 });
    expect(s.oldestPendingAgeMs).toBeWithinATickOf(60_000);
    // Once the loop has run (and folded the delayed count), the same.
    await advance(t, 61_000, 1000);
    s = await stats(t);
    expect(counts(s)).toEqual({ running: 0, pending: 8, pendingDue: 8, pendingDelayed: 0, pendingBackingOff: 0 });
    expect(s.oldestPendingAgeMs).toBeWithinATickOf(121_000);
    // Resumed, all run.
    await t.mutation(api.pools.setConfig, { maxParallelism: 10 });
    await runUntilSettled(t);
    s = await stats(t);
    expect(counts(s)).toEqual(IDLE);
    expect(s.lastMinute.succeeded).toBe(8);
  });

  test("a delay within the current second counts as due; one in the next second as delayed", async () => {
    const t = initConvexTest();
    await pause(t);
    vi.setSystemTime(T0 + 200);
    await enqueue(t, { tag: "same-second" }, { runAt: T0 + 999 });
    await enqueue(t, { tag: "next-second" }, { runAt: T0 + 1000 });
    const s = await stats(t);
    expect(counts(s)).toEqual({ running: 0, pending: 2, pendingDue: 1, pendingDelayed: 1, pendingBackingOff: 0 });
    // The oldest age is that of due queue entries: the same-second job is not due yet.
    expect(s.oldestPendingAgeMs).toBeNull();
  });

  test("only delayed jobs pending: no oldest age until one is due", async () => {
    const t = initConvexTest();
    await enqueue(t, { tag: "later" }, { runAfter: 30_000 });
    expect((await stats(t)).oldestPendingAgeMs).toBeNull();
    expect(counts(await stats(t))).toEqual({ ...IDLE, pending: 1, pendingDelayed: 1 });
    await runUntilSettled(t);
    expect(counts(await stats(t))).toEqual(IDLE);
    expect((await stats(t)).lastMinute.succeeded).toBe(1);
  });

  test("a job waiting for its key is pending and due", async () => {
    const t = initConvexTest();
    await enqueue(t, { tag: "head", durationMs: 5000 }, { key: "k" });
    await enqueue(t, jobs("waiter", 2), { key: "k" });
    await runUntil(t, async () => (await stats(t)).running === 1);
    expect(counts(await stats(t))).toEqual({ running: 1, pending: 2, pendingDue: 2, pendingDelayed: 0, pendingBackingOff: 0 });
    await runUntilSettled(t);
    expect(counts(await stats(t))).toEqual(IDLE);
    expect((await stats(t)).lastMinute.succeeded).toBe(3);
  });
});

describe("running and backing off", () => {
  test("at cap 2 with 5 slow jobs, running is 2 and pending the rest, until all are done", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 2 });
    await enqueue(t, jobs("slow", 5, { durationMs: 1000 }));
    await runUntil(t, async () => (await stats(t)).running === 2);
    let s = await stats(t);
    expect(counts(s)).toEqual({ running: 2, pending: 3, pendingDue: 3, pendingDelayed: 0, pendingBackingOff: 0 });
    // Enqueued at T0: their wait is the scheduler's hops since.
    expect(s.oldestPendingAgeMs).toBeWithinATickOf(Date.now() - T0);
    expect(s.maxParallelism).toBe(2);
    // Sample after every step: never more than the cap running, and every job accounted for.
    await runUntil(t, async () => {
      const now = await stats(t);
      expect(now.running).toBeLessThanOrEqual(2);
      expect(now.running + now.pending + now.lastMinute.succeeded).toBeGreaterThanOrEqual(5);
      return (await completions(t)).length === 5 && (await snapshot(t)).counts.pendingCompletion === 0;
    });
    s = await stats(t);
    expect(counts(s)).toEqual(IDLE);
    expect(s.lastMinute).toEqual({ ...NONE, succeeded: 5 });
  });

  test("a job failing once shows as backing off during its backoff, and its retry is counted", async () => {
    const t = initConvexTest();
    const retry = { maxAttempts: 3, initialBackoffMs: 10_000, base: 2 };
    const [id] = await enqueue(t, { tag: "flaky", fail: "flaky", failRuns: 1 }, { retry });
    await runUntil(t, async () => previousAttempts(await t.query(api.pools.statusOne, { id: id! })) === 1);
    // The loop has taken in the failed attempt once its slot is free.
    await runUntil(t, async () => (await stats(t)).running === 0);
    let s = await stats(t);
    expect(counts(s)).toEqual({ running: 0, pending: 1, pendingDue: 0, pendingDelayed: 0, pendingBackingOff: 1 });
    expect(s.lastMinute).toEqual({ ...NONE, retries: 1 });
    // Still backing off 4 s later (the backoff is at least 5 s).
    await advance(t, 4000, 500);
    expect(counts(await stats(t))).toEqual({ running: 0, pending: 1, pendingDue: 0, pendingDelayed: 0, pendingBackingOff: 1 });
    await runUntilSettled(t);
    s = await stats(t);
    expect(counts(s)).toEqual(IDLE);
    expect(s.lastMinute).toEqual({ ...NONE, succeeded: 1, retries: 1 });
    expect(s.lastHour).toEqual({ ...NONE, succeeded: 1, retries: 1 });
  });

  test("a job that fails for good counts its retries and one failure", async () => {
    const t = initConvexTest();
    const retry = { maxAttempts: 3, initialBackoffMs: 100, base: 2 };
    await enqueue(t, { tag: "doomed", fail: "always" }, { retry });
    await runUntilSettled(t);
    const s = await stats(t);
    expect(counts(s)).toEqual(IDLE);
    expect(s.lastMinute).toEqual({ ...NONE, failed: 1, retries: 2 });
  });

  test("canceling a job while it backs off ends its backing off", async () => {
    const t = initConvexTest();
    const retry = { maxAttempts: 3, initialBackoffMs: 60_000, base: 2 };
    const [id] = await enqueue(t, { tag: "flaky", fail: "flaky" }, { retry });
    await runUntil(t, async () => (await stats(t)).pendingBackingOff === 1);
    await t.mutation(api.pools.cancel, { id: id! });
    await runUntil(t, async () => (await completions(t)).length === 1);
    const s = await stats(t);
    expect(counts(s)).toEqual(IDLE);
    expect(s.lastMinute).toEqual({ ...NONE, canceled: 1, retries: 1 });
  });
});

describe("outcomes of the last minute and hour", () => {
  test("successes, failures and cancels are counted once each, and leave the minute and then the hour", async () => {
    const t = initConvexTest();
    await enqueue(t, jobs("ok", 3), {}, "mutation");
    await enqueue(t, jobs("bad", 2, { fail: "no" }), {}, "mutation");
    const later = await enqueue(t, jobs("later", 2), { runAfter: 30 * MINUTE }, "mutation");
    for (const id of later) await t.mutation(api.pools.cancel, { id });
    await runUntilSettled(t);
    expect(await completions(t)).toHaveLength(7);
    const expected = { succeeded: 3, failed: 2, canceled: 2, retries: 0 };
    let s = await stats(t);
    expect(counts(s)).toEqual(IDLE);
    expect(s.lastMinute).toEqual(expected);
    expect(s.lastHour).toEqual(expected);
    // Two minutes on: gone from the last minute, still in the last hour.
    await advance(t, 2 * MINUTE, 1000);
    s = await stats(t);
    expect(s.lastMinute).toEqual(NONE);
    expect(s.lastHour).toEqual(expected);
    // Later outcomes add to the hour without reviving the old minute.
    await enqueue(t, { tag: "more" }, {}, "mutation");
    await runUntilSettled(t);
    s = await stats(t);
    expect(s.lastMinute).toEqual({ ...NONE, succeeded: 1 });
    expect(s.lastHour).toEqual({ ...expected, succeeded: 4 });
    // Two hours on: gone from both.
    vi.setSystemTime(Date.now() + 2 * HOUR);
    s = await stats(t);
    expect(s.lastMinute).toEqual(NONE);
    expect(s.lastHour).toEqual(NONE);
    expect(counts(s)).toEqual(IDLE);
  });

  test("outcomes 50 s ago are still in the last minute; 80 s ago they are not", async () => {
    const t = initConvexTest();
    await enqueue(t, jobs("ok", 2), {}, "mutation");
    // Not runUntilSettled: below the cap, the loop takes their completions
    // in a minute later (the watchdog), and stats counts them before that.
    await runUntil(t, async () => (await snapshot(t)).work.every((w) => w.state === "finished"));
    // They ran at once: the clock is still at T0, but for the scheduler's hops.
    expect(Date.now()).toBeOnTime(T0);
    vi.setSystemTime(T0 + 50_000);
    expect((await stats(t)).lastMinute).toEqual({ ...NONE, succeeded: 2 });
    vi.setSystemTime(T0 + 80_000);
    expect((await stats(t)).lastMinute).toEqual(NONE);
    expect((await stats(t)).lastHour).toEqual({ ...NONE, succeeded: 2 });
  });

  test("each pool counts its own", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, { pool: "otherPool", kind: "mutation", args: [{ tag: "o1" }, { tag: "o2" }] });
    await enqueue(t, { tag: "w" }, {}, "mutation");
    await runUntilSettled(t);
    await runUntilSettled(t, "otherPool");
    expect((await stats(t)).lastMinute.succeeded).toBe(1);
    expect((await stats(t, "otherPool")).lastMinute.succeeded).toBe(2);
  });
});

describe("cancels and idempotent enqueues are counted once", () => {
  test("canceling a delayed job lowers pending and delayed", async () => {
    const t = initConvexTest();
    await pause(t);
    await enqueue(t, { tag: "due" });
    const delayed = await enqueue(t, jobs("later", 3), { runAfter: 60_000 });
    await t.mutation(api.pools.cancel, { id: delayed[1]! });
    await runUntil(t, async () => (await completions(t)).length === 1);
    const s = await stats(t);
    expect(counts(s)).toEqual({ running: 0, pending: 3, pendingDue: 1, pendingDelayed: 2, pendingBackingOff: 0 });
    expect(s.lastMinute).toEqual({ ...NONE, canceled: 1 });
    // Once their time comes, the two left are due; the canceled one is not counted again.
    vi.setSystemTime(T0 + 60_000);
    expect(counts(await stats(t))).toEqual({ running: 0, pending: 3, pendingDue: 3, pendingDelayed: 0, pendingBackingOff: 0 });
    await advance(t, 60_000, 1000);
    expect(counts(await stats(t))).toEqual({ running: 0, pending: 3, pendingDue: 3, pendingDelayed: 0, pendingBackingOff: 0 });
  });

  test("canceling a delayed job after its time came (before the loop counted it due) is counted once", async () => {
    const t = initConvexTest();
    await pause(t);
    const [id] = await enqueue(t, { tag: "later" }, { runAfter: 5000 });
    vi.setSystemTime(T0 + 6000);
    expect(counts(await stats(t))).toEqual({ ...IDLE, pending: 1, pendingDue: 1 });
    await t.mutation(api.pools.cancel, { id: id! });
    await runUntil(t, async () => (await completions(t)).length === 1);
    expect(counts(await stats(t))).toEqual(IDLE);
    // Counted in the 10-second bucket of T0 + 6 s: in the last minute until T0 + 70 s.
    await advance(t, 60_000, 1000);
    expect(counts(await stats(t))).toEqual(IDLE);
    expect((await stats(t)).lastMinute).toEqual({ ...NONE, canceled: 1 });
    await advance(t, 10_000, 1000);
    expect((await stats(t)).lastMinute).toEqual(NONE);
    expect((await stats(t)).lastHour).toEqual({ ...NONE, canceled: 1 });
  });

  test("canceling every due job of a paused pool leaves nothing pending", async () => {
    const t = initConvexTest();
    await pause(t);
    const ids = await enqueue(t, jobs("j", 3));
    await t.mutation(api.pools.cancelAll, {});
    await runUntil(t, async () => (await completions(t)).length === 3);
    const s = await stats(t);
    expect(counts(s)).toEqual(IDLE);
    expect(s.lastMinute).toEqual({ ...NONE, canceled: 3 });
    expect(ids).toHaveLength(3);
    // The canceled jobs' ids stay in the paused pool's start queue, but no
    // pending job is waiting: no age.
    await vi.advanceTimersByTimeAsync(5000);
    expect((await stats(t)).oldestPendingAgeMs).toBeNull();
  });

  test("oldestPendingAgeMs counts a job waiting for its key, and the retry of a job whose backoff is over", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 2 });
    // The head of key "k" runs for a minute; the second job with the key waits.
    await enqueue(t, [{ tag: "head", durationMs: 60_000 }], { key: "k" });
    await enqueue(t, [{ tag: "waiter" }], { key: "k" });
    await runUntil(t, async () => (await stats(t)).running === 1);
    await vi.advanceTimersByTimeAsync(10_000);
    await settleInFlight(t);
    const s = await stats(t);
    expect(counts(s)).toMatchObject({ running: 1, pending: 1, pendingDue: 1 });
    // The waiter's wait: the 10 s, and the scheduler's hops before them, since it was enqueued at T0.
    expect(s.oldestPendingAgeMs).toBeWithinATickOf(Date.now() - T0);
  });

  test("re-enqueues with the same idempotencyKey add nothing, in one transaction or several", async () => {
    const t = initConvexTest();
    await pause(t);
    const call = { kind: "action" as const, args: [{ tag: "once" }], options: { idempotencyKey: "k" } };
    await t.mutation(api.pools.enqueueSeveral, { calls: [call, call] });
    await t.mutation(api.pools.enqueue, call);
    await t.mutation(api.pools.enqueue, { ...call, options: { idempotencyKey: "d", runAfter: 60_000 } });
    await t.mutation(api.pools.enqueue, { ...call, options: { idempotencyKey: "d", runAfter: 60_000 } });
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "a" }, { tag: "b" }, { tag: "c" }],
      batch: true,
      options: { idempotencyKeys: ["k", "x", "x"] },
    });
    // "k" once, "d" once (delayed), "x" once.
    expect(counts(await stats(t))).toEqual({ running: 0, pending: 3, pendingDue: 2, pendingDelayed: 1, pendingBackingOff: 0 });
  });

  test("an enqueue rolled back with its mutation counts nothing", async () => {
    const t = initConvexTest();
    await pause(t);
    await expect(
      t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "x" }, { tag: "y" }], batch: true, thenThrow: true }),
    ).rejects.toThrow("the enqueuing mutation failed");
    expect(counts(await stats(t))).toEqual(IDLE);
  });
});

describe("counts ride on the queue rows enqueue inserts", () => {
  test("a paused pool flooded with single enqueues counts every job, and the loop keeps the inbox short", async () => {
    const t = initConvexTest();
    await pause(t);
    const n = 3 * INBOX_PARK_AFTER_ROWS;
    for (let i = 0; i < n; i++) await enqueue(t, { tag: `p${i}` }, i % 3 === 0 ? { runAfter: 10 * MINUTE } : {});
    await advance(t, 1000, 100);
    expect(counts(await stats(t))).toEqual({ ...IDLE, pending: n, pendingDue: (2 * n) / 3, pendingDelayed: n / 3 });
    // No slot free: the loop moved the inbox to its own queue rather than
    // leave stats to read a row per enqueue.
    expect((await snapshot(t)).counts.pendingStart).toBeLessThanOrEqual(INBOX_PARK_AFTER_ROWS);
    await t.mutation(api.pools.setConfig, { maxParallelism: 10 });
    // Until the due jobs ran and the loop freed their slots.
    await runUntil(t, async () => (await completions(t)).length === (2 * n) / 3 && (await stats(t)).running === 0);
    expect(counts(await stats(t))).toEqual({ ...IDLE, pending: n / 3, pendingDelayed: n / 3 });
  });

  test("jobs that all wait for their key are counted from a queue row of their own", async () => {
    const t = initConvexTest();
    await enqueue(t, { tag: "head", durationMs: 5000 }, { key: "k" });
    await runUntil(t, async () => (await stats(t)).running === 1);
    // One call, both jobs behind the running head: no job id is queued.
    await enqueue(t, jobs("behind", 2), { key: "k" });
    expect((await snapshot(t)).inboxIds).toBe(0);
    expect(counts(await stats(t))).toEqual({ ...IDLE, running: 1, pending: 2, pendingDue: 2 });
    await runUntilSettled(t);
    expect(counts(await stats(t))).toEqual(IDLE);
  });
});

test("keyed enqueues behind a head due tomorrow are taken in soon, not left to pile up for stats", async () => {
  const t = initConvexTest();
  await enqueue(t, { tag: "head" }, { key: "k", runAfter: 24 * HOUR });
  await runUntil(t, async () => (await snapshot(t)).loop.state === "scheduled");
  // Each call's jobs all wait for the key: nothing to start, only counts.
  for (let i = 0; i < 3; i++) await enqueue(t, { tag: `behind${i}` }, { key: "k" });
  // The head's queue row (the loop sleeps until it is due, not yet having
  // run) and the three calls' tally rows.
  expect((await snapshot(t)).counts.pendingStart).toBe(4);
  await advance(t, DELAYED_FOLD_MIN_INTERVAL_MS + 1000, 500);
  expect((await snapshot(t)).counts.pendingStart).toBe(0);
  expect(counts(await stats(t))).toEqual({ ...IDLE, pending: 4, pendingDue: 3, pendingDelayed: 1 });
});

describe("a large backlog", () => {
  test("2,000 due and 500 delayed jobs are counted exactly", async () => {
    const t = initConvexTest({ transactionLimits: true });
    await pause(t);
    for (let i = 0; i < 2; i++) {
      await t.mutation(api.pools.enqueue, { kind: "noop", args: Array.from({ length: 1000 }, () => ({})), batch: true });
    }
    await t.mutation(api.pools.enqueue, {
      kind: "noop",
      args: Array.from({ length: 500 }, () => ({})),
      batch: true,
      options: { runAfter: 10 * MINUTE },
    });
    await advance(t, 5000, 1000);
    const s = await stats(t);
    expect(counts(s)).toEqual({ running: 0, pending: 2500, pendingDue: 2000, pendingDelayed: 500, pendingBackingOff: 0 });
    expect(s.oldestPendingAgeMs).toBeWithinATickOf(5000);
  });
});
