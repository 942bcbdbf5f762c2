// Who runs the loop (src/component/wake.ts): an enqueue always schedules a
// loop call, which ends at once in a full pool; a completion schedules one
// only while the pool is full (or when it queued work); below the cap a
// completion waits for the next call or the watchdog, and `stats` counts
// it at once.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { RECOVERY_INTERVAL_MS, SECOND } from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
import { advance, drain, initConvexTest, runUntil, snapshot, START_LAG_MS, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function runsOf(t: Test, tag: string) {
  return await t.run((ctx) => ctx.db.query("runs").withIndex("by_tag", (q) => q.eq("tag", tag)).collect());
}
const loopCalls = async (t: Test) => (await snapshot(t)).scheduledByName["loop:main"] ?? 0;

describe("who runs the loop", () => {
  test("in a full pool an enqueue's loop call ends at once; the completion that frees the slot starts the job", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 1 });
    await t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "long", durationMs: 10 * SECOND }] });
    await runUntil(t, async () => (await runsOf(t, "long")).length === 1 && (await snapshot(t)).loop.full);
    const before = await snapshot(t);

    const [waiting] = await t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "waiting" }] });
    await runUntil(t, async () => (await snapshot(t)).loop.state !== "running");
    const after = await snapshot(t);
    // Its call ran, and wrote nothing: the loop's state is as it was.
    expect(after.scheduledByName["loop:main"]).toBe(before.scheduledByName["loop:main"]! + 1);
    expect(after.poolState).toEqual(before.poolState);
    expect(after.work.find((w) => w._id === waiting)?.state).toBe("pending");

    // The long job's completion kicks the loop (the pool is full): the
    // waiting job starts as soon as the slot is free.
    await runUntil(t, async () => (await runsOf(t, "waiting")).length === 1);
    const longEnded = (await snapshot(t)).work.find((w) => w._id !== waiting)!.finishedAt as number;
    const started = (await runsOf(t, "waiting"))[0]!.at;
    expect(started - longEnded).toBeLessThanOrEqual(START_LAG_MS);
  });

  test("below its cap a completion schedules no loop call; stats counts it at once, and the watchdog takes it in within a minute", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "quick" }] });
    await runUntil(t, async () => (await snapshot(t)).work[0]?.state === "finished");
    const s = await snapshot(t);
    // One loop call: the enqueue's. The completion is not taken in yet.
    expect(await loopCalls(t)).toBe(1);
    expect(s.counts.pendingCompletion).toBe(1);
    expect(s.poolState?.running.map((e) => e.workId)).toEqual([id]);
    const stats = await t.query(api.pools.stats, {});
    expect(stats).toMatchObject({ running: 0, pending: 0, lastMinute: { succeeded: 1 } });

    await advance(t, RECOVERY_INTERVAL_MS + SECOND, SECOND);
    const later = await snapshot(t);
    expect(later.counts.pendingCompletion).toBe(0);
    expect(later.poolState?.running).toEqual([]);
    // Counted once: from the completion row before, from the loop's counts now.
    expect((await t.query(api.pools.stats, {})).lastHour).toMatchObject({ succeeded: 1 });
    await drain(t);
    expect((await snapshot(t)).pendingScheduled).toEqual([]);
  });

  test("below its cap the next enqueue's loop call takes earlier completions in before it starts its job", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "first" }] });
    await runUntil(t, async () => (await snapshot(t)).work[0]?.state === "finished");
    expect((await snapshot(t)).counts.pendingCompletion).toBe(1);
    await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "second" }] });
    await runUntil(t, async () => (await runsOf(t, "second")).length === 1);
    const s = await snapshot(t);
    // The first job's slot was freed by the second job's loop call.
    expect(s.poolState?.running.map((e) => e.workId)).not.toContain(s.work.find((w) => (w.fnArgs as { tag?: string } | undefined)?.tag === "first")?._id);
    expect(await loopCalls(t)).toBe(2);
  });
});
