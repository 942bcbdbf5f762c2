// Idempotent enqueue: with an idempotencyKey, enqueue returns the job of this
// pool that holds the key (pending, running, or finished within its
// statusTtl) instead of enqueuing again, in one transaction or across
// several; batches take one key per job. Bad keys are refused before
// anything is stored.
import type { FunctionArgs } from "convex/server";
import { ConvexError } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { MAX_IDEMPOTENCY_KEY_LENGTH, MINUTE } from "../src/component/constants.js";
import { api, components } from "./fixture/_generated/api.js";
import { drain, initConvexTest, runUntil, snapshot, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function completions(t: Test) {
  return await t.run((ctx) => ctx.db.query("completions").collect());
}
async function runsOf(t: Test, tag: string) {
  return await t.run((ctx) => ctx.db.query("runs").withIndex("by_tag", (q) => q.eq("tag", tag)).collect());
}
function statusOf(t: Test, id: string) {
  return t.query(api.pools.statusOne, { id });
}
/** Several enqueues in one transaction; the first id of each. */
async function inOneTransaction(t: Test, calls: FunctionArgs<typeof api.pools.enqueueSeveral>["calls"]) {
  return (await t.mutation(api.pools.enqueueSeveral, { calls })).map((ids) => ids[0]!);
}
/** One enqueue of an action tagged `tag`, with onComplete recording. */
async function enqueueKeyed(t: Test, tag: string, key: string, extra: Record<string, unknown> = {}) {
  const [id] = await t.mutation(api.pools.enqueue, {
    kind: "action",
    args: [{ tag }],
    callback: "record",
    options: { idempotencyKey: key },
    ...extra,
  });
  return id!;
}

describe("one transaction", () => {
  test("the same key twice gives one job, which runs once with one onComplete", async () => {
    const t = initConvexTest();
    const call = { kind: "action" as const, args: [{ tag: "welcome" }], callback: "record" as const, options: { idempotencyKey: "welcome:ada" } };
    const [first, second] = await inOneTransaction(t, [call, call]);
    expect(second).toBe(first);
    const s = await snapshot(t);
    expect(s.counts.work).toBe(1);
    expect(s.counts.pendingStart).toBe(1);
    await drain(t);
    expect(await runsOf(t, "welcome")).toHaveLength(1);
    expect((await completions(t)).map((c) => c.workId)).toEqual([first]);
  });

  test("a rolled-back enqueue leaves no key behind", async () => {
    const t = initConvexTest();
    const call = { kind: "action" as const, args: [{ tag: "x" }], options: { idempotencyKey: "k" } };
    await expect(t.mutation(api.pools.enqueueSeveral, { calls: [call], thenThrow: true })).rejects.toThrow(
      "the enqueuing mutation failed",
    );
    expect((await snapshot(t)).counts.work).toBe(0);
    const id = await enqueueKeyed(t, "x", "k");
    expect((await snapshot(t)).work.map((w) => w._id)).toEqual([id]);
  });
});

describe("separate transactions", () => {
  test("while the job is pending, the same key returns its id and enqueues nothing", async () => {
    const t = initConvexTest();
    const first = await enqueueKeyed(t, "p", "k", { poolOptions: { maxParallelism: 0 } });
    const before = await snapshot(t);
    const second = await enqueueKeyed(t, "p", "k", { poolOptions: { maxParallelism: 0 } });
    expect(second).toBe(first);
    const after = await snapshot(t);
    expect(after.counts).toEqual(before.counts);
    expect(after.work).toEqual(before.work);
  });

  test("while the job is running, the same key returns its id and it is not run again", async () => {
    const t = initConvexTest();
    const [first] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "slow", durationMs: 5000 }],
      callback: "record",
      options: { idempotencyKey: "k" },
    });
    await runUntil(t, async () => (await statusOf(t, first!)).state === "running");
    expect(await enqueueKeyed(t, "slow", "k")).toBe(first);
    await drain(t);
    expect(await runsOf(t, "slow")).toHaveLength(1);
    expect((await completions(t)).map((c) => c.workId)).toEqual([first]);
  });

  test("after the job finished, within its statusTtl, the same key returns its id and its outcome stays", async () => {
    const t = initConvexTest();
    const first = await enqueueKeyed(t, "done", "k");
    await runUntil(t, async () => (await completions(t)).length === 1);
    const finished = await statusOf(t, first);
    expect(finished).toMatchObject({ state: "finished", outcome: "success" });
    expect(await enqueueKeyed(t, "done", "k")).toBe(first);
    expect((await snapshot(t)).counts.work).toBe(1);
    await vi.advanceTimersByTimeAsync(MINUTE);
    await t.finishInProgressScheduledFunctions();
    expect(await runsOf(t, "done")).toHaveLength(1);
    expect(await completions(t)).toHaveLength(1);
    expect(await statusOf(t, first)).toEqual(finished);
  });

  test("a canceled job holds its key within its statusTtl too", async () => {
    const t = initConvexTest();
    const first = await enqueueKeyed(t, "c", "k", { poolOptions: { maxParallelism: 0 } });
    await t.mutation(api.pools.cancel, { id: first });
    await runUntil(t, async () => (await completions(t)).length === 1);
    expect(await statusOf(t, first)).toMatchObject({ state: "finished", outcome: "canceled" });
    expect(await enqueueKeyed(t, "c", "k")).toBe(first);
    expect((await snapshot(t)).counts.work).toBe(1);
  });

  test("after the statusTtl expired the key is free, even before the row is swept", async () => {
    const t = initConvexTest();
    const poolOptions = { statusTtl: MINUTE };
    const first = await enqueueKeyed(t, "ttl", "k", { poolOptions });
    await runUntil(t, async () => (await statusOf(t, first)).state === "finished");
    // Past expiry; the sweep has not run yet (no timer was fired).
    await vi.advanceTimersByTimeAsync(0);
    vi.setSystemTime(Date.now() + 2 * MINUTE);
    expect((await snapshot(t)).work.map((w) => w._id)).toEqual([first]);
    // Two enqueues with the key: the first makes a new job, the second finds
    // it (the newest row with the key, not the expired one).
    const call = { kind: "action" as const, args: [{ tag: "ttl" }], callback: "record" as const, options: { idempotencyKey: "k" }, poolOptions };
    const [second, third] = await inOneTransaction(t, [call, call]);
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    await drain(t);
    expect(await runsOf(t, "ttl")).toHaveLength(2);
    expect((await completions(t)).map((c) => c.workId)).toEqual([first, second]);
    // After everything expired and was swept, the key is free again.
    expect((await snapshot(t)).counts.work).toBe(0);
    const fourth = await enqueueKeyed(t, "ttl", "k", { poolOptions });
    expect([first, second]).not.toContain(fourth);
  });

  test("with statusTtl 0 a finished job keeps no key: the next enqueue is a new job", async () => {
    const t = initConvexTest();
    const poolOptions = { statusTtl: 0 };
    const first = await enqueueKeyed(t, "zero", "k", { poolOptions });
    await drain(t);
    expect((await snapshot(t)).counts.work).toBe(0);
    const second = await enqueueKeyed(t, "zero", "k", { poolOptions });
    expect(second).not.toBe(first);
    await drain(t);
    expect(await runsOf(t, "zero")).toHaveLength(2);
  });

  test("different keys are different jobs; no key is never deduplicated", async () => {
    const t = initConvexTest();
    const a = await enqueueKeyed(t, "d", "a");
    const b = await enqueueKeyed(t, "d", "b");
    const [n1] = await t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "d" }] });
    const [n2] = await t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "d" }] });
    expect(new Set([a, b, n1, n2]).size).toBe(4);
    await drain(t);
    expect(await runsOf(t, "d")).toHaveLength(4);
  });

  test("keys belong to a pool: the same key in another pool is another job", async () => {
    const t = initConvexTest();
    const mine = await enqueueKeyed(t, "pool", "k");
    const other = await enqueueKeyed(t, "pool", "k", { pool: "otherPool" });
    // Each pool has its own row (ids of two pools may look alike).
    expect((await snapshot(t)).work.map((w) => w._id)).toEqual([mine]);
    expect((await snapshot(t, "otherPool")).work.map((w) => w._id)).toEqual([other]);
    await drain(t);
    expect(await runsOf(t, "pool")).toHaveLength(2);
  });

  test("each kind of job honours the key", async () => {
    const t = initConvexTest();
    for (const kind of ["mutation", "query"] as const) {
      const call = { kind, args: [{ tag: kind }], options: { idempotencyKey: kind } };
      const [a, b] = await inOneTransaction(t, [call, call]);
      expect(b).toBe(a);
    }
    expect((await snapshot(t)).counts.work).toBe(2);
  });
});

describe("a raised cap", () => {
  test("an enqueue that returns an existing job by its key still resumes a paused pool when it raises the cap", async () => {
    const t = initConvexTest();
    const enqueue = (maxParallelism: number) =>
      t.mutation(api.pools.enqueue, {
        kind: "action",
        args: [{ tag: "paused" }],
        options: { idempotencyKey: "only" },
        poolOptions: { maxParallelism },
        callback: "record",
      });
    const [first] = await enqueue(0);
    await drain(t);
    expect(await runsOf(t, "paused")).toHaveLength(0);
    // Nothing new is enqueued: the call names the job already pending.
    const [again] = await enqueue(5);
    expect(again).toBe(first);
    await drain(t);
    expect(await runsOf(t, "paused")).toHaveLength(1);
    expect((await completions(t)).map((c) => c.workId)).toEqual([first]);
  });
});

describe("batch enqueue", () => {
  test("keys apply per item: a repeat within the batch and a held key return the existing ids, in order", async () => {
    const t = initConvexTest();
    const held = await enqueueKeyed(t, "held", "a", { poolOptions: { maxParallelism: 0 } });
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "b1" }, { tag: "a" }, { tag: "b2" }, { tag: "c" }],
      batch: true,
      callback: "record",
      options: { idempotencyKeys: ["b", "a", "b", "c"] },
      poolOptions: { maxParallelism: 0 },
    });
    expect(ids).toHaveLength(4);
    expect(ids[1]).toBe(held);
    expect(ids[2]).toBe(ids[0]);
    expect(new Set([held, ids[0], ids[3]]).size).toBe(3);
    const s = await snapshot(t);
    expect(s.counts.work).toBe(3);
    const byId = new Map(s.work.map((w) => [w._id, w]));
    expect(byId.get(ids[0]!)).toMatchObject({ idempotencyKey: "b", fnArgs: { tag: "b1" } });
    expect(byId.get(ids[3]!)).toMatchObject({ idempotencyKey: "c", fnArgs: { tag: "c" } });

    await t.mutation(api.pools.setConfig, { maxParallelism: 10 });
    await drain(t);
    expect(await runsOf(t, "b1")).toHaveLength(1);
    expect(await runsOf(t, "b2")).toHaveLength(0);
    expect(await runsOf(t, "a")).toHaveLength(0);
    expect(await runsOf(t, "held")).toHaveLength(1);
    expect(await runsOf(t, "c")).toHaveLength(1);
    expect((await completions(t)).map((c) => c.workId).sort()).toEqual([held, ids[0], ids[3]].sort());
  });

  test("a batch whose every key is held enqueues nothing and returns the held ids", async () => {
    const t = initConvexTest();
    const a = await enqueueKeyed(t, "a", "a", { poolOptions: { maxParallelism: 0 } });
    const before = await snapshot(t);
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "a" }, { tag: "a" }],
      batch: true,
      options: { idempotencyKeys: ["a", "a"] },
    });
    expect(ids).toEqual([a, a]);
    const after = await snapshot(t);
    expect(after.counts).toEqual(before.counts);
    expect(after.work).toEqual(before.work);
  });
});

describe("bad keys are refused and nothing is stored", () => {
  async function poolWithJob() {
    const t = initConvexTest();
    await enqueueKeyed(t, "existing", "k", { poolOptions: { maxParallelism: 0 } });
    return t;
  }
  async function expectUnchanged(t: Test, act: () => Promise<unknown>, message: string | RegExp) {
    const before = await snapshot(t);
    await expect(act()).rejects.toThrow(message);
    const after = await snapshot(t);
    expect(after.work).toEqual(before.work);
    expect(after.counts).toEqual(before.counts);
  }
  const rule = `must be a non-empty string of at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`;
  const long = "x".repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1);

  test.each([
    ["an empty key", "", `idempotencyKey ${rule}, got ""`],
    ["a key that is too long", long, `idempotencyKey ${rule}, got "${"x".repeat(40)}..." (257 characters)`],
    ["a number", 42, `idempotencyKey ${rule}, got 42`],
    ["null", null, `idempotencyKey ${rule}, got null`],
  ])("%s", async (_name, idempotencyKey, message) => {
    const t = await poolWithJob();
    await expectUnchanged(
      t,
      () => t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "x" }], options: { idempotencyKey } }),
      message,
    );
  });

  test("a key of exactly the maximum length is accepted", async () => {
    const t = initConvexTest();
    const key = "y".repeat(MAX_IDEMPOTENCY_KEY_LENGTH);
    expect(await enqueueKeyed(t, "max", key)).toBe(await enqueueKeyed(t, "max", key));
  });

  test.each([
    ["fewer keys than jobs", ["a"], "idempotencyKeys must have one key per element of argsArray (2), got 1 keys"],
    ["more keys than jobs", ["a", "b", "c"], "idempotencyKeys must have one key per element of argsArray (2), got 3 keys"],
    ["not an array", "a", 'idempotencyKeys must be an array of strings, one per element of argsArray, got "a"'],
    ["an empty key in the list", ["a", ""], `idempotencyKeys[1] ${rule}, got ""`],
    ["a non-string key in the list", [7, "b"], `idempotencyKeys[0] ${rule}, got 7`],
  ])("a batch with %s", async (_name, idempotencyKeys, message) => {
    const t = await poolWithJob();
    await expectUnchanged(
      t,
      () =>
        t.mutation(api.pools.enqueue, {
          kind: "mutation",
          args: [{ tag: "x" }, { tag: "y" }],
          batch: true,
          options: { idempotencyKeys },
        }),
      message,
    );
  });

  test("a single idempotencyKey on a batch is refused, naming it", async () => {
    const t = await poolWithJob();
    await expectUnchanged(
      t,
      () =>
        t.mutation(api.pools.enqueue, {
          kind: "query",
          args: [{ tag: "x" }, { tag: "y" }],
          batch: true,
          options: { idempotencyKey: "k" },
        }),
      'batch enqueue options: idempotencyKey names one job, so it cannot apply to a batch; give idempotencyKeys, one per element of argsArray, got idempotencyKey "k"',
    );
  });

  test("idempotencyKeys on a single enqueue is an unknown option", async () => {
    const t = await poolWithJob();
    await expectUnchanged(
      t,
      () => t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "x" }], options: { idempotencyKeys: ["k"] } }),
      'enqueue options: unknown option "idempotencyKeys"',
    );
  });

  test("the component checks the key too (INVALID_ARGUMENT), for lib.enqueue and lib.enqueueBatch", async () => {
    const t = await poolWithJob();
    const item = {
      fnHandle: "function://;jobs:action",
      fnName: "jobs:action",
      fnType: "action" as const,
      fnArgs: {},
      runAt: Date.now(),
    };
    const before = await snapshot(t);
    const single = await t
      .mutation(components.workpool.lib.enqueue, { ...item, idempotencyKey: "", config: {} })
      .catch((e: unknown) => e);
    expect(single).toBeInstanceOf(ConvexError);
    expect((single as ConvexError<{ code: string; message: string }>).data).toEqual({
      code: "INVALID_ARGUMENT",
      message: `idempotencyKey ${rule}, got ""`,
    });
    const batch = await t
      .mutation(components.workpool.lib.enqueueBatch, {
        items: [
          { ...item, idempotencyKey: "fine" },
          { ...item, idempotencyKey: long },
        ],
        config: {},
      })
      .catch((e: unknown) => e);
    expect((batch as ConvexError<{ code: string; message: string }>).data.message).toMatch(
      /^items\[1\]\.idempotencyKey must be a non-empty string/,
    );
    const after = await snapshot(t);
    expect(after.work).toEqual(before.work);
    expect(after.counts).toEqual(before.counts);
  });
});
