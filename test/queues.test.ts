// Where queued jobs wait (queues.ts, loop.ts#openQueues): writers put them in
// the `pendingStart` inbox, stamped with their commit timestamp; the loop
// reads the inbox only up to its snapshot, starts due rows from it, and
// moves rows not yet due to its own `startQueue`. Due order must hold
// across both, however long the inbox grows, and cancel must win over a
// start.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  INBOX_ROWS_PER_ITERATION,
  SECOND,
} from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
import {
  functionClock,
  initConvexTest,
  runUntil,
  runUntilSettled,
  snapshot,
  type Test,
} from "./setup.js";

const T0 = new Date("2026-01-01T00:00:00Z").getTime();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

async function enqueueOne(
  t: Test,
  tag: string,
  options: Record<string, unknown> = {},
  maxParallelism?: number,
) {
  const [id] = await t.mutation(api.pools.enqueue, {
    kind: "mutation",
    args: [{ tag }],
    options,
    ...(maxParallelism !== undefined
      ? { poolOptions: { maxParallelism } }
      : {}),
    callback: "record",
  });
  return id!;
}
async function runTags(t: Test) {
  return (await t.run((ctx) => ctx.db.query("runs").collect())).map(
    (r) => r.tag,
  );
}

describe("the inbox and the loop's own queue", () => {
  test("a delayed job wakes an idle loop only when it is due, straight from the inbox", async () => {
    const t = initConvexTest();
    await enqueueOne(t, "later", { runAfter: 30 * SECOND });
    const asleep = await snapshot(t);
    expect(asleep.loop).toMatchObject({
      state: "scheduled",
      wakeAt: T0 + 30 * SECOND,
    });
    expect(asleep.counts).toMatchObject({ pendingStart: 1, startQueue: 0 });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["later"]);
    expect((await snapshot(t)).counts).toMatchObject({
      pendingStart: 0,
      startQueue: 0,
    });
  });

  test("a delayed job the loop reads before it is due moves to startQueue, and the loop sleeps until then", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "slow", durationMs: 2 * SECOND }],
    });
    await runUntil(t, async () => (await runTags(t)).length === 1);
    // The delayed job's kick is for its due time; a job due now kicks the
    // loop at once, and it reads the delayed job's inbox row 30 s early.
    await enqueueOne(t, "later", { runAfter: 30 * SECOND });
    await enqueueOne(t, "now");
    await runUntil(t, async () => (await snapshot(t)).counts.startQueue === 1);
    const s = await snapshot(t);
    expect(s.counts).toMatchObject({ pendingStart: 0, startQueue: 1 });
    const later = s.work.find(
      (w) => (w.fnArgs as { tag: string } | undefined)?.tag === "later",
    )!;
    expect(s.loop).toMatchObject({
      state: "scheduled",
      wakeAt: later.readyAt,
    });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["slow", "now", "later"]);
    // The kick for its due time found its row taken in, and ended at once;
    // the loop's own timer started it.
    const started = (await t.run((ctx) => ctx.db.query("runs").collect())).find(
      (r) => r.tag === "later",
    )!.at;
    expect(started).toBeGreaterThanOrEqual(T0 + 30 * SECOND);
  });

  test("an inbox longer than one iteration's row budget still starts in exact due order", async () => {
    const t = initConvexTest();
    // Paused: every single enqueue is an inbox row of its own, none read yet.
    const n = INBOX_ROWS_PER_ITERATION + 7;
    // Due times in a scrambled order: job i is due (i · 37 mod n) + 1 ms after its enqueue.
    const dueOffset = (i: number) => ((i * 37) % n) + 1;
    for (let i = 0; i < n; i++)
      await enqueueOne(t, `j${i}`, { runAfter: dueOffset(i) }, 0);
    expect((await snapshot(t)).counts.pendingStart).toBe(n);
    // Each enqueue ran a millisecond or so after the last (convex-test's
    // commit clock), so the due times are read back from the rows: due
    // time first, then enqueue order.
    const rows = (await snapshot(t)).work as unknown as Array<{
      readyAt: number;
      _creationTime: number;
      fnArgs: { tag: string };
    }>;
    const expected = [...rows]
      .sort(
        (a, b) => a.readyAt - b.readyAt || a._creationTime - b._creationTime,
      )
      .map((w) => w.fnArgs.tag);
    expect(new Set(rows.map((w) => w.readyAt)).size).toBeGreaterThan(n / 2);
    expect(expected).not.toEqual(rows.map((w) => w.fnArgs.tag));
    vi.setSystemTime(T0 + 10 * SECOND);
    await t.mutation(api.pools.setConfig, { maxParallelism: 1 });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(expected);
  }, 300_000);

  test("jobs due at the same time start in enqueue order, whichever queue holds them", async () => {
    const t = initConvexTest();
    // The first two pass through startQueue (not due when the loop sees
    // them); the last two are due when the loop first reads them.
    await enqueueOne(t, "a", { runAt: T0 + 5 * SECOND }, 0);
    await enqueueOne(t, "b", { runAt: T0 + 5 * SECOND }, 0);
    await t.mutation(api.pools.setConfig, { maxParallelism: 1 });
    await runUntil(t, async () => (await snapshot(t)).counts.startQueue === 2);
    await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
    vi.setSystemTime(T0 + 5 * SECOND);
    await enqueueOne(t, "c", { runAt: T0 + 5 * SECOND }, 0);
    await enqueueOne(t, "d", { runAt: T0 }, 0);
    await t.mutation(api.pools.setConfig, { maxParallelism: 1 });
    await runUntilSettled(t);
    // d's due time in the past means now: T0 + 5 s, the same as the others.
    expect(await runTags(t)).toEqual(["a", "b", "c", "d"]);
  });

  test("a job canceled while its row sits in the inbox never starts, and its row is used up", async () => {
    const t = initConvexTest();
    const id = await enqueueOne(t, "doomed", {}, 0);
    await enqueueOne(t, "kept", {}, 0);
    await t.mutation(api.pools.cancel, { id });
    // Flagged at once, before the loop has read either row.
    const flagged = (await snapshot(t)).work.find((w) => w._id === id);
    expect(flagged).toMatchObject({ state: "pending", cancelRequested: true });
    await t.mutation(api.pools.setConfig, { maxParallelism: 5 });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["kept"]);
    const done = await t.run((ctx) => ctx.db.query("completions").collect());
    expect(done.map((c) => [c.workId, c.result.kind]).sort()).toEqual(
      [
        [id, "canceled"],
        [done.find((c) => c.workId !== id)!.workId, "success"],
      ].sort(),
    );
    expect((await snapshot(t)).counts).toMatchObject({
      pendingStart: 0,
      startQueue: 0,
      pendingCancelation: 0,
    });
  });

  test("canceling a running job queues no request for the loop: its attempt ends, with no retry", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "slow", durationMs: 1000, fail: "boom" }],
      options: { retry: { maxAttempts: 3, initialBackoffMs: 10, base: 1 } },
      callback: "record",
    });
    await runUntil(t, async () => (await runTags(t)).length === 1);
    await t.mutation(api.pools.cancel, { id: id! });
    expect((await snapshot(t)).counts.pendingCancelation).toBe(0);
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["slow"]);
    const done = await t.run((ctx) => ctx.db.query("completions").collect());
    expect(done.map((c) => c.result.kind)).toEqual(["canceled"]);
  });

  test("a cap above START_BATCH fills every slot at once: the loop goes on while due jobs and free slots remain", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: Array.from({ length: 300 }, (_, i) => ({ tag: `long${i}`, durationMs: 10 * SECOND })),
      batch: true,
    });
    await t.mutation(api.pools.setConfig, { maxParallelism: 200 });
    await runUntil(t, async () => (await snapshot(t)).poolState?.running.length === 200);
    // All 200 started before the first job could end (each takes 10 s).
    expect(await functionClock(t)).toBeLessThan(T0 + 10 * SECOND);
  }, 120_000);

  test("a key's next job released by a cancel in the start step is started, not left asleep in startQueue", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
    // 64 fillers and A (key k): cancelAll's first page flags 64 of them
    // before the loop runs; A, covered by its barrier but not flagged yet,
    // is canceled by the loop's start step, which releases B.
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: 64 }, (_, i) => ({ tag: `filler${i}` })),
      batch: true,
    });
    await enqueueOne(t, "A", { key: "k" }, 0);
    await t.mutation(api.pools.cancelAll, {});
    await enqueueOne(t, "B", { key: "k" }, 0);
    await t.mutation(api.pools.setConfig, { maxParallelism: 1 });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["B"]);
  }, 120_000);
});
