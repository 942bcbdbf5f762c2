// Timing (DESIGN §4): delays in all four spellings, for single and batch
// enqueue of every kind; past times mean now; a delayed job holds no slot;
// and no polling delay: scheduler time is measured on the fake clock. A job
// never starts before it is due, and starts within START_LAG_MS of it (a
// few of convex-test's commit ticks; see setup.ts).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./fixture/_generated/api.js";
import { chainOnTime, initConvexTest, runUntil, runUntilSettled, type Test } from "./setup.js";

const T0 = new Date("2026-01-01T00:00:00Z").getTime();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

async function completions(t: Test) {
  return await t.run((ctx) => ctx.db.query("completions").collect());
}

describe("delays", () => {
  const spellings = [
    ["runAfter", () => ({ runAfter: 5000 })],
    ["delayMs", () => ({ delayMs: 5000 })],
    ["runAt", () => ({ runAt: T0 + 5000 })],
    ["runAtTime", () => ({ runAtTime: T0 + 5000 })],
  ] as const;
  const kinds = ["action", "mutation", "query"] as const;
  const cases = spellings.flatMap(([name, options]) =>
    kinds.flatMap((kind) => [false, true].map((batch) => [name, kind, batch, options] as const)),
  );
  test.each(cases)("%s on a %s job (batch: %s) starts when due, without delay, and is pending until then", async (_name, kind, batch, options) => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, {
      kind,
      args: batch ? [{ tag: "d1" }, { tag: "d2" }] : [{ tag: "d1" }],
      batch,
      options: options(),
      callback: "record",
    });
    await vi.advanceTimersByTimeAsync(4999);
    await t.finishInProgressScheduledFunctions();
    expect(await completions(t)).toHaveLength(0);
    expect(await t.query(api.pools.status, { ids })).toEqual(ids.map(() => ({ state: "pending", previousAttempts: 0 })));
    await runUntil(t, async () => (await completions(t)).length === ids.length);
    // onComplete runs in the same scheduler turn as a zero-length job.
    for (const c of await completions(t)) expect(c.at).toBeOnTime(T0 + 5000);
  });

  test("a time in the past means now, behind jobs already due", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "first" }],
      poolOptions: { maxParallelism: 1 },
      callback: "record",
    });
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "past" }],
      options: { runAt: T0 - 60_000 },
      callback: "record",
    });
    await runUntilSettled(t);
    const done = await completions(t);
    expect(done.map((c) => c.result.returnValue.tag)).toEqual(["first", "past"]);
    // Both at once: "past" as soon as "first" freed the only slot.
    expect(done.map((c) => c.at - T0)).toEqual(chainOnTime([0, 0]));
  });

  test("a delayed job holds no slot: a later, immediate job runs first", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "later" }],
      options: { runAfter: 10_000 },
      poolOptions: { maxParallelism: 1 },
      callback: "record",
    });
    await t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "now", durationMs: 1000 }], callback: "record" });
    await runUntilSettled(t);
    const done = await completions(t);
    expect(done.map((c) => c.result.returnValue.tag)).toEqual(["now", "later"]);
    expect(done[0]!.at - T0).toBeOnTime(1000);
    expect(done[1]!.at - T0).toBeOnTime(10_000);
  });

  test("among due jobs, the earlier due time starts first, then enqueue order", async () => {
    const t = initConvexTest();
    const enqueue = (tag: string, runAfter: number) =>
      t.mutation(api.pools.enqueue, {
        kind: "mutation",
        args: [{ tag }],
        options: { runAfter },
        poolOptions: { maxParallelism: 0 },
        callback: "record",
      });
    await enqueue("b-3s", 3000);
    await enqueue("a-1s", 1000);
    await enqueue("c-3s", 3000);
    await enqueue("d-2s", 2000);
    vi.setSystemTime(T0 + 10_000);
    // Resume with one slot: all are due; order is by due time, then enqueue.
    await t.mutation(api.pools.setConfig, { maxParallelism: 1 });
    await runUntilSettled(t);
    expect((await completions(t)).map((c) => c.result.returnValue.tag)).toEqual(["a-1s", "d-2s", "b-3s", "c-3s"]);
  });
});

describe("no polling delay", () => {
  test.each(["action", "mutation"] as const)(
    "200 zero-length %s jobs at cap 10 all finish with no polling delay: a start lag for each of a slot's 20 starts",
    async (kind) => {
      const t = initConvexTest();
      await t.mutation(api.pools.enqueue, {
        kind,
        args: Array.from({ length: 200 }, (_, i) => ({ tag: `z${i}` })),
        batch: true,
        poolOptions: { maxParallelism: 10, statusTtl: 0 },
        callback: "record",
      });
      await runUntil(t, async () => (await completions(t)).length === 200);
      // 200 jobs through 10 slots are 20 starts in a row; the scheduler's
      // hops (commit ticks under convex-test) are all the time that passes,
      // a start lag per start at most: a poll of even a few milliseconds per
      // turn would show.
      const times = (await completions(t)).map((c) => c.at - T0);
      expect(Math.max(...times)).toBeOnTime(0, 200 / 10);
    },
  );

  test("a job that finishes frees its slot for the next at once", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: Array.from({ length: 5 }, (_, i) => ({ tag: `s${i}`, durationMs: 1000 })),
      batch: true,
      poolOptions: { maxParallelism: 1, statusTtl: 0 },
      callback: "record",
    });
    await runUntil(t, async () => (await completions(t)).length === 5);
    expect((await completions(t)).map((c) => c.at - T0)).toEqual(chainOnTime([1000, 2000, 3000, 4000, 5000]));
  });
});
