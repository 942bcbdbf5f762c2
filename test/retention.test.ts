// Retention of finished outcomes (DESIGN §2 statusTtl, §5 status, §7 sweep):
// within a job's statusTtl its status says how it ended; after it, status is
// plain `finished` and the row is gone. The TTL is the one the job was
// enqueued with, and the loop deletes expired rows in bounded batches with
// no scheduled function per job, then goes idle.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { DAY, HOUR, LOOP_STALL_MS, MINUTE, RECOVERY_INTERVAL_MS, SECOND, SWEEP_BATCH } from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
import { advance, drain, functionClock, initConvexTest, runUntil, runUntilSettled, snapshot, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function statusOf(t: Test, id: string) {
  return t.query(api.pools.statusOne, { id });
}
async function allFinished(t: Test) {
  return (await snapshot(t)).work.every((w) => w.state === "finished");
}
/**
 * Fires the next timer and waits for what it started. Only for pools with no
 * action waiting on a timer (queries and mutations), where waiting is safe.
 */
async function step(t: Test) {
  // Synchronous: a loop call scheduled while it runs waits for the next step.
  vi.advanceTimersToNextTimer();
  await t.finishInProgressScheduledFunctions();
}

/** Moves the clock by `ms` and lets what came due run (no action in flight waits on a timer here). */
async function elapse(t: Test, ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
  await t.finishInProgressScheduledFunctions();
}

describe("default retention (24 h)", () => {
  test("within 24 h status says how a job ended; after 24 h it is plain finished and the row is gone", async () => {
    const t = initConvexTest();
    const [ok] = await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "ok" }] });
    const [bad] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "bad", fail: "it broke" }],
    });
    await runUntil(t, () => allFinished(t));
    // The functions' clock, which can run a commit tick or so ahead of the fake one.
    const finishedAt = await functionClock(t);

    const okStatus = { state: "finished", outcome: "success", attempts: 1, finishedAt: expect.any(Number) };
    const badStatus = {
      state: "finished",
      outcome: "failed",
      attempts: 1,
      finishedAt: expect.any(Number),
      error: expect.stringContaining("it broke"),
    };
    expect(await statusOf(t, ok!)).toEqual(okStatus);
    expect(await statusOf(t, bad!)).toEqual(badStatus);
    const okFinishedAt = ((await statusOf(t, ok!)) as { finishedAt: number }).finishedAt;
    expect(okFinishedAt).toBeGreaterThanOrEqual(finishedAt - MINUTE);
    expect(okFinishedAt).toBeLessThanOrEqual(finishedAt);

    await elapse(t, DAY - 2 * MINUTE);
    expect(await statusOf(t, ok!)).toEqual(okStatus);
    expect(await statusOf(t, bad!)).toEqual(badStatus);
    expect((await snapshot(t)).counts.work).toBe(2);

    await elapse(t, 3 * MINUTE);
    await drain(t);
    expect(await statusOf(t, ok!)).toEqual({ state: "finished" });
    expect(await statusOf(t, bad!)).toEqual({ state: "finished" });
    expect((await snapshot(t)).counts.work).toBe(0);
  });

  test("a canceled job is retained the same way", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "never" }],
      poolOptions: { maxParallelism: 0 },
    });
    await t.mutation(api.pools.cancel, { id: id! });
    await runUntil(t, () => allFinished(t));
    expect(await statusOf(t, id!)).toEqual({
      state: "finished",
      outcome: "canceled",
      attempts: 0,
      finishedAt: expect.any(Number),
    });
    await elapse(t, DAY + 2 * MINUTE);
    await drain(t);
    expect(await statusOf(t, id!)).toEqual({ state: "finished" });
    expect((await snapshot(t)).counts.work).toBe(0);
  });
});

describe("statusTtl 0 and Infinity", () => {
  test("with statusTtl 0 the row is deleted as the job finishes, and status is plain finished", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "gone-ok" }, { tag: "gone-bad", fail: "nope" }],
      poolOptions: { statusTtl: 0 },
      callback: "record",
    });
    await runUntil(t, async () => (await t.run((ctx) => ctx.db.query("completions").collect())).length === 2);
    // No clock advance needed: nothing waits for a sweep.
    expect((await snapshot(t)).counts.work).toBe(0);
    expect(await t.query(api.pools.status, { ids })).toEqual([{ state: "finished" }, { state: "finished" }]);
  });

  test("with statusTtl Infinity the outcome is still there after a simulated year, and nothing wakes for it", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "forever" }],
      poolOptions: { statusTtl: Infinity },
    });
    await drain(t);
    const before = await statusOf(t, id!);
    expect(before).toMatchObject({ state: "finished", outcome: "success", attempts: 1 });

    vi.advanceTimersByTime(365 * DAY);
    await drain(t);
    expect(await statusOf(t, id!)).toEqual(before);
    const s = await snapshot(t);
    expect(s.counts.work).toBe(1);
    expect(s.work[0]!.expiresAt).toBeUndefined();
    expect(s.loop.state).toBe("idle");
    expect(s.pendingScheduled).toEqual([]);
  });
});

describe("a job keeps the retention it was enqueued with", () => {
  test("a later enqueue with another statusTtl does not change earlier jobs, finished or still pending", async () => {
    const t = initConvexTest();
    // Enqueued with 1 minute of retention, while the pool is paused.
    const [short] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "short" }],
      poolOptions: { maxParallelism: 0, statusTtl: MINUTE },
    });
    // Enqueued later with infinite retention; this also resumes the pool.
    const [long] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "long" }],
      poolOptions: { maxParallelism: 2, statusTtl: Infinity },
    });
    await runUntil(t, () => allFinished(t));
    // And a third, with retention 0, after both finished.
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "none" }],
      poolOptions: { statusTtl: 0 },
    });
    await elapse(t, 2 * HOUR);
    await drain(t);

    expect(await statusOf(t, short!)).toEqual({ state: "finished" });
    expect(await statusOf(t, long!)).toMatchObject({ state: "finished", outcome: "success" });
    expect((await snapshot(t)).counts.work).toBe(1);
  });

  test("a job enqueued with the default keeps 24 h even if the pool later uses statusTtl 0", async () => {
    const t = initConvexTest();
    const [kept] = await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "kept" }] });
    await runUntil(t, () => allFinished(t));
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "dropped" }],
      poolOptions: { statusTtl: 0 },
    });
    await runUntil(t, async () => (await snapshot(t)).counts.work === 1);
    await elapse(t, HOUR);
    expect(await statusOf(t, kept!)).toMatchObject({ state: "finished", outcome: "success" });
  });
});

describe("the sweep of expired outcomes", () => {
  test("200 expired rows are deleted at most SWEEP_BATCH per loop iteration, with no scheduled function per job, and the pool then goes idle", async () => {
    const t = initConvexTest();
    const n = 200;
    // Canceling them in a paused pool is the cheapest way to 200 finished rows.
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: n }, (_, i) => ({ tag: `q${i}` })),
      poolOptions: { maxParallelism: 0, statusTtl: 1000 },
    });
    await t.mutation(api.pools.cancelAll, { limit: n });
    await t.finishInProgressScheduledFunctions();
    while (!(await allFinished(t))) await step(t);
    expect((await snapshot(t)).counts.work).toBe(n);

    // One loop iteration per step.
    const counts: number[] = [n];
    let maxScheduled = 0;
    let steps = 0;
    while (counts[counts.length - 1]! > 0 && steps < 50) {
      await step(t);
      const s = await snapshot(t);
      counts.push(s.counts.work!);
      maxScheduled = Math.max(maxScheduled, s.pendingScheduled.length);
      steps += 1;
    }
    expect(counts[counts.length - 1]).toBe(0);
    const deletedPerStep = counts.slice(1).map((c, i) => counts[i]! - c);
    expect(Math.max(...deletedPerStep)).toBeLessThanOrEqual(SWEEP_BATCH);
    expect(deletedPerStep.filter((d) => d > 0)).toHaveLength(Math.ceil(n / SWEEP_BATCH));
    // The loop alone sweeps: its next call and the watchdog that guards it
    // are all that is ever scheduled, however many rows expire.
    expect(maxScheduled).toBeLessThanOrEqual(2);
    expect(steps).toBeLessThanOrEqual(Math.ceil(n / SWEEP_BATCH) + 2);

    const s = await snapshot(t);
    expect(s.loop.state).toBe("idle");
    // At most the watchdog, due within a recovery interval: it runs once,
    // finds the pool idle and ends (core/plan.ts#watchdogAction).
    expect(s.pendingScheduled.filter((f) => f.name !== "loop:watchdog")).toEqual([]);
    for (const f of s.pendingScheduled) expect(f.scheduledTime).toBeLessThanOrEqual(Date.now() + RECOVERY_INTERVAL_MS);
    expect(s.counts).toMatchObject({ work: 0, pendingCancelation: 0, pendingCompletion: 0, payload: 0 });
    // A canceled scheduled function keeps its timer in convex-test; firing
    // what is left runs nothing.
    await drain(t);
    expect((await snapshot(t)).pendingScheduled).toEqual([]);
  });

  test("an idle pool holding only retained outcomes sleeps until the first expiry, not in ticks", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "r" }],
      poolOptions: { statusTtl: HOUR },
    });
    // Below its cap the job's completion kicks no one: the watchdog takes it
    // in within a minute, and so learns when the outcome expires.
    await runUntilSettled(t);
    const s = await snapshot(t);
    const finishedAt = s.work[0]!.finishedAt as number;
    expect(s.loop).toMatchObject({ state: "scheduled", wakeAt: finishedAt + HOUR });
    // The sleeping call, and the watchdog that checks it ran: no more than
    // one of each, however long the pool waits.
    const byName = (name: string) => s.pendingScheduled.filter((f) => f.name === name);
    expect(byName("loop:main")).toEqual([{ name: "loop:main", scheduledTime: finishedAt + HOUR, state: "pending" }]);
    expect(byName("loop:watchdog")).toHaveLength(1);
    expect(s.pendingScheduled).toHaveLength(2);
    // Past its first look (a minute on), the watchdog waits for the wake.
    await advance(t, 2 * RECOVERY_INTERVAL_MS, SECOND);
    const later = await snapshot(t);
    expect(later.pendingScheduled).toEqual([
      { name: "loop:main", scheduledTime: finishedAt + HOUR, state: "pending" },
      { name: "loop:watchdog", scheduledTime: finishedAt + HOUR + LOOP_STALL_MS, state: "pending" },
    ]);
  });
});
