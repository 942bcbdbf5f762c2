// The engine end to end, through the public client: jobs of each kind run
// once, onComplete gets what it should, the cap holds, pools are independent,
// pausing works, and a drained pool goes idle.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./fixture/_generated/api.js";
import { drain, initConvexTest, runUntil, snapshot, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function completions(t: Test) {
  return await t.run((ctx) => ctx.db.query("completions").collect());
}
async function runsOf(t: Test, tag: string) {
  return await t.run((ctx) => ctx.db.query("runs").withIndex("by_tag", (q) => q.eq("tag", tag)).collect());
}
async function maxInFlight(t: Test, pool = "workpool") {
  const row = await t.run((ctx) => ctx.db.query("gauges").withIndex("by_pool", (q) => q.eq("pool", pool)).unique());
  return row?.max ?? 0;
}

describe("each kind of job", () => {
  test.each(["action", "mutation", "query"] as const)(
    "a %s job runs once and onComplete gets its id, context and return value",
    async (kind) => {
      const t = initConvexTest();
      const context = { user: "ada", nested: { list: [1, 2, 3], flag: true } };
      const [id] = await t.mutation(api.pools.enqueue, {
        kind,
        args: [{ tag: "job", returns: { answer: 42 } }],
        callback: "record",
        options: { context },
      });
      await drain(t);
      const done = await completions(t);
      expect(done).toHaveLength(1);
      expect(done[0]!.workId).toBe(id);
      expect(done[0]!.context).toEqual(context);
      expect(done[0]!.result).toEqual({ kind: "success", returnValue: { answer: 42 } });
      if (kind !== "query") expect(await runsOf(t, "job")).toHaveLength(1);
    },
  );

  test.each(["action", "mutation", "query"] as const)(
    "a %s job that throws ends failed with the thrown message",
    async (kind) => {
      const t = initConvexTest();
      const [id] = await t.mutation(api.pools.enqueue, {
        kind,
        args: [{ tag: "bad", fail: "boom: the job failed" }],
        callback: "record",
      });
      await drain(t);
      const done = await completions(t);
      expect(done).toHaveLength(1);
      expect(done[0]!.workId).toBe(id);
      expect(done[0]!.result).toEqual({ kind: "failed", error: expect.stringContaining("boom: the job failed") });
    },
  );

  test("query jobs run from a worker action, so their reads join no mutation's read set; mutations still run in one", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "query",
      args: [{ tag: "q1" }, { tag: "q2" }, { tag: "q3", fail: "no" }],
      batch: true,
      callback: "record",
    });
    await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "m1" }], callback: "record" });
    await drain(t);
    const s = await snapshot(t);
    // One worker action ran the three queries (started together); the
    // mutation job had a worker mutation of its own.
    expect(s.scheduledByName["worker:runActions"]).toBe(1);
    expect(s.scheduledByName["worker:runMutation"]).toBe(1);
    const done = await completions(t);
    const byTag = Object.fromEntries(done.map((c) => [c.result.kind === "success" ? c.result.returnValue.tag : "failed", c.result.kind]));
    expect(byTag).toEqual({ q1: "success", q2: "success", m1: "success", failed: "failed" });
    // A failed query is not retried: it ran once and ended.
    expect(done).toHaveLength(4);
  });

  test("a failed mutation's writes roll back, and onComplete still runs", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "rolled-back", fail: "nope" }],
      callback: "record",
    });
    await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "kept" }] });
    await drain(t);
    const writes = await t.run((ctx) => ctx.db.query("writes").collect());
    expect(writes.map((w) => w.tag)).toEqual(["kept"]);
    expect((await completions(t))[0]!.result.kind).toBe("failed");
  });
});

describe("onCompleteExcludeKinds", () => {
  test("skips onComplete for the excluded kinds only", async () => {
    const t = initConvexTest();
    const options = { onCompleteExcludeKinds: ["success"] };
    const [ok] = await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "ok" }], callback: "record", options });
    const [bad] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "bad", fail: "no" }],
      callback: "record",
      options,
    });
    await drain(t);
    const done = await completions(t);
    expect(done.map((c) => c.workId)).toEqual([bad]);
    expect(done.map((c) => c.workId)).not.toContain(ok);
  });

  test("an empty list excludes nothing", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "query",
      args: [{ tag: "q" }],
      callback: "record",
      options: { onCompleteExcludeKinds: [] },
    });
    await drain(t);
    expect(await completions(t)).toHaveLength(1);
  });
});

describe("batch enqueue", () => {
  test.each(["action", "mutation", "query"] as const)(
    "a %s batch returns distinct ids in argument order",
    async (kind) => {
      const t = initConvexTest();
      const tags = Array.from({ length: 25 }, (_, i) => `item-${i}`);
      const ids = await t.mutation(api.pools.enqueue, {
        kind,
        args: tags.map((tag) => ({ tag, returns: tag })),
        batch: true,
        callback: "record",
      });
      expect(ids).toHaveLength(tags.length);
      expect(new Set(ids).size).toBe(tags.length);
      await drain(t);
      const byId = new Map((await completions(t)).map((c) => [c.workId, c.result.returnValue]));
      expect(ids.map((id) => byId.get(id))).toEqual(tags);
    },
  );

  test.each(["action", "mutation", "query"] as const)("an empty %s batch returns []", async (kind) => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, { kind, args: [], batch: true });
    expect(ids).toEqual([]);
    expect((await snapshot(t)).counts.work).toBe(0);
  });
});

describe("calling the pool from an action", () => {
  test("enqueue and status work from an action", async () => {
    const t = initConvexTest();
    const [id] = await t.action(api.pools.enqueueFromAction, {
      kind: "action",
      args: [{ tag: "from-action" }],
      callback: "record",
    });
    expect(await t.action(api.pools.statusFromAction, { id: id! })).toEqual({
      state: "pending",
      previousAttempts: 0,
    });
    await drain(t);
    expect(await completions(t)).toHaveLength(1);
  });
});

describe("the parallelism cap", () => {
  test.each([1, 3, 10])("with cap %i and a backlog of 4× the cap plus 3, never more run at once, and the cap is reached", async (cap) => {
    const t = initConvexTest();
    const n = cap * 4 + 3;
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: Array.from({ length: n }, (_, i) => ({ tag: `j${i}`, durationMs: 1000 + (i % 3) * 250 })),
      batch: true,
      poolOptions: { maxParallelism: cap },
      callback: "record",
    });
    await drain(t);
    expect(await maxInFlight(t)).toBe(cap);
    expect(await completions(t)).toHaveLength(n);
  });

  test("a serial pool (cap 1) makes non-atomic read-modify-write actions exact", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.slowIncrements, {
      name: "serial",
      count: 20,
      durationMs: 100,
      poolOptions: { maxParallelism: 1 },
    });
    await drain(t);
    const counter = await t.run((ctx) => ctx.db.query("counters").first());
    expect(counter?.value).toBe(20);
  });

  test("the same read-modify-write loses increments when the pool runs them in parallel", async () => {
    // Shows that the serial test above can fail: overlap breaks the counter.
    const t = initConvexTest();
    await t.mutation(api.pools.slowIncrements, {
      name: "parallel",
      count: 20,
      durationMs: 100,
      poolOptions: { maxParallelism: 5 },
    });
    await drain(t);
    const counter = await t.run((ctx) => ctx.db.query("counters").first());
    expect(counter?.value).toBeLessThan(20);
  });

  test("pools have independent caps", async () => {
    const t = initConvexTest();
    const jobs = (pool: string) =>
      Array.from({ length: 12 }, (_, i) => ({ tag: `${pool}-${i}`, pool, durationMs: 500 }));
    await t.mutation(api.pools.enqueue, {
      pool: "workpool",
      kind: "action",
      args: jobs("workpool"),
      poolOptions: { maxParallelism: 2 },
    });
    await t.mutation(api.pools.enqueue, {
      pool: "otherPool",
      kind: "action",
      args: jobs("otherPool"),
      poolOptions: { maxParallelism: 5 },
    });
    await drain(t);
    expect(await maxInFlight(t, "workpool")).toBe(2);
    expect(await maxInFlight(t, "otherPool")).toBe(5);
  });

  test("maxParallelism 0 pauses starting; raising it with config.update resumes", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "p1" }, { tag: "p2" }, { tag: "p3" }],
      poolOptions: { maxParallelism: 0 },
    });
    await drain(t);
    expect(await runsOf(t, "p1")).toHaveLength(0);
    expect(await t.query(api.pools.status, { ids })).toEqual(
      ids.map(() => ({ state: "pending", previousAttempts: 0 })),
    );
    await t.mutation(api.pools.setConfig, { maxParallelism: 2 });
    await drain(t);
    for (const tag of ["p1", "p2", "p3"]) expect(await runsOf(t, tag)).toHaveLength(1);
  });

  test("maxParallelism 0 pauses; raising it through the class option resumes", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "q1" }],
      poolOptions: { maxParallelism: 0 },
    });
    await drain(t);
    expect(await runsOf(t, "q1")).toHaveLength(0);
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "q2" }],
      poolOptions: { maxParallelism: 3 },
    });
    await drain(t);
    expect(await runsOf(t, "q1")).toHaveLength(1);
    expect(await runsOf(t, "q2")).toHaveLength(1);
    expect((await snapshot(t)).config?.maxParallelism).toBe(3);
  });
});

describe("transactions", () => {
  test("an enqueue inside a mutation that then throws leaves nothing behind", async () => {
    const t = initConvexTest();
    await expect(
      t.mutation(api.pools.enqueue, {
        kind: "action",
        args: [{ tag: "ghost" }],
        callback: "record",
        thenThrow: true,
      }),
    ).rejects.toThrow("the enqueuing mutation failed");
    await drain(t);
    expect(await runsOf(t, "ghost")).toHaveLength(0);
    expect(await completions(t)).toHaveLength(0);
    const s = await snapshot(t);
    expect(s.counts).toMatchObject({ work: 0, pendingStart: 0, startQueue: 0, slots: 0, poolState: 0 });
    expect(s.pendingScheduled).toEqual([]);
  });

  test("onComplete can enqueue follow-up work: a chain of four steps", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "step1" }],
      callback: "chain",
      options: { context: { step: 1, steps: 4 } },
    });
    await drain(t);
    const done = await completions(t);
    expect(done.map((c) => c.context.step)).toEqual([1, 2, 3, 4]);
    expect(done.every((c) => c.result.kind === "success")).toBe(true);
    for (const tag of ["step1", "step2", "step3", "step4"]) expect(await runsOf(t, tag)).toHaveLength(1);
  });
});

describe("idle", () => {
  test("a drained pool goes fully idle: nothing runs or is scheduled afterwards", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: Array.from({ length: 30 }, (_, i) => ({ tag: `i${i}`, durationMs: 100 })),
      poolOptions: { maxParallelism: 4, statusTtl: 0 },
      callback: "record",
    });
    // finishAllScheduledFunctions throws "too many iterations" if the pool
    // kept rescheduling itself.
    await drain(t, 200);
    const s = await snapshot(t);
    expect(s.pendingScheduled).toEqual([]);
    expect(s.loop.state).toBe("idle");
    expect(s.poolState?.running).toEqual([]);
    expect(s.counts).toMatchObject({ work: 0, pendingStart: 0, startQueue: 0, pendingCompletion: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  test("a pool whose only job is two hours away sleeps until then: no loop run or watchdog every minute", async () => {
    const t = initConvexTest();
    // Some work first, so the pool has been active (a watchdog was set).
    await t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "now" }], poolOptions: { statusTtl: 0 } });
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "later" }],
      options: { runAfter: 2 * 60 * 60 * 1000 },
      poolOptions: { statusTtl: 0 },
      callback: "record",
    });
    await runUntil(t, async () => (await completions(t)).length === 1);
    const s = await snapshot(t);
    expect(await runsOf(t, "later")).toHaveLength(1);
    // Each scheduled at most a handful of times over the two hours (wake,
    // start, completion), not once a minute (120).
    expect(s.scheduledByName["loop:main"]).toBeLessThanOrEqual(6);
    expect(s.scheduledByName["loop:watchdog"] ?? 0).toBeLessThanOrEqual(4);
  });
});

describe("status", () => {
  test("goes pending → running → finished, and says how it ended", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "s", durationMs: 5000 }],
    });
    const status = () => t.query(api.pools.statusOne, { id: id! });
    expect(await status()).toEqual({ state: "pending", previousAttempts: 0 });
    await runUntil(t, async () => (await status()).state === "running");
    expect(await status()).toEqual({ state: "running", previousAttempts: 0 });
    await runUntil(t, async () => (await status()).state === "finished");
    expect(await status()).toEqual({
      state: "finished",
      outcome: "success",
      attempts: 1,
      finishedAt: expect.any(Number),
    });
  });

  test("statusBatch returns statuses in the order of the ids", async () => {
    const t = initConvexTest();
    const [a] = await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "a" }] });
    const [b] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "b", fail: "x" }],
    });
    await runUntil(t, async () => (await snapshot(t)).work.every((w) => w.state === "finished"));
    const [sb, sa] = await t.query(api.pools.status, { ids: [b!, a!] });
    expect(sb).toMatchObject({ state: "finished", outcome: "failed", error: expect.stringContaining("x") });
    expect(sa).toMatchObject({ state: "finished", outcome: "success" });
  });
});
