// Bad input (DESIGN §9): every rule gives an error naming the field, the
// rule and the value; client-side checks throw before any call, component
// checks throw a ConvexError with a stable code; nothing stored changes.
import { ConvexError } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { FUNCTION_HANDLE_MAX_BYTES, KEPT_NAME_MAX_BYTES, STATUS_BATCH_MAX_IDS } from "../src/component/constants.js";
import { CUT_MARK, utf8Length } from "../src/component/core/text.js";
import { api, components } from "./fixture/_generated/api.js";
import { drain, initConvexTest, snapshot, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A pool holding one finished and one pending job, to see nothing changes. */
async function poolWithState() {
  const t = initConvexTest();
  await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "done" }], poolOptions: { maxParallelism: 1 } });
  await drain(t);
  await t.mutation(api.pools.enqueue, {
    kind: "mutation",
    args: [{ tag: "waiting" }],
    options: { runAfter: 60_000 },
  });
  return t;
}

async function expectUnchanged(t: Test, act: () => Promise<unknown>, message: string | RegExp) {
  const before = await snapshot(t);
  await expect(act()).rejects.toThrow(message);
  const after = await snapshot(t);
  expect(after.work).toEqual(before.work);
  expect(after.counts).toEqual(before.counts);
  expect(after.config).toEqual(before.config);
}

describe("Workpool options are checked in the constructor", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["maxParallelism above 200", { maxParallelism: 250 }, "maxParallelism must be an integer between 0 and 200, got 250"],
    ["negative maxParallelism", { maxParallelism: -1 }, "maxParallelism must be an integer between 0 and 200, got -1"],
    ["fractional maxParallelism", { maxParallelism: 1.5 }, "maxParallelism must be an integer between 0 and 200, got 1.5"],
    ["NaN maxParallelism", { maxParallelism: NaN }, "maxParallelism must be an integer between 0 and 200, got NaN"],
    ["string maxParallelism", { maxParallelism: "10" }, 'maxParallelism must be an integer between 0 and 200, got "10"'],
    ["unknown logLevel", { logLevel: "LOUD" }, 'logLevel must be one of DEBUG, TRACE, INFO, REPORT, WARN, ERROR, got "LOUD"'],
    ["negative statusTtl", { statusTtl: -1 }, "statusTtl must be a number of ms >= 0 or Infinity, got -1"],
    ["NaN statusTtl", { statusTtl: NaN }, "statusTtl must be a number of ms >= 0 or Infinity, got NaN"],
    ["maxAttempts 0", { defaultRetryBehavior: { maxAttempts: 0, initialBackoffMs: 10, base: 2 } }, "defaultRetryBehavior.maxAttempts must be an integer >= 1, got 0"],
    ["negative initialBackoffMs", { defaultRetryBehavior: { maxAttempts: 2, initialBackoffMs: -5, base: 2 } }, "defaultRetryBehavior.initialBackoffMs must be a finite number >= 0, got -5"],
    ["base below 1", { defaultRetryBehavior: { maxAttempts: 2, initialBackoffMs: 5, base: 0.5 } }, "defaultRetryBehavior.base must be a finite number >= 1, got 0.5"],
    ["non-boolean retryActionsByDefault", { retryActionsByDefault: "yes" }, 'retryActionsByDefault must be a boolean, got "yes"'],
    ["an unknown option", { maxParalelism: 3 }, 'Workpool options: unknown option "maxParalelism"'],
  ];
  test.each(cases)("%s is rejected before anything is written", async (_name, poolOptions, message) => {
    const t = await poolWithState();
    await expectUnchanged(
      t,
      () => t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "x" }], poolOptions }),
      message,
    );
  });

  test("maxParallelism above 100 is accepted with a warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "x" }],
      poolOptions: { maxParallelism: 150 },
    });
    expect(warn.mock.calls.flat().join(" ")).toContain("maxParallelism 150 is above 100");
    warn.mockRestore();
  });
});

describe("enqueue options are checked before any write", () => {
  const cases: [string, "action" | "mutation", Record<string, unknown>, string][] = [
    ["two timing options", "action", { runAt: Date.now(), runAfter: 5 }, "got both runAt and runAfter"],
    ["delayMs with runAtTime", "action", { delayMs: 5, runAtTime: 10 }, "got both delayMs and runAtTime"],
    ["a NaN runAt", "action", { runAt: NaN }, "runAt must be a finite epoch time in ms, got NaN"],
    ["an infinite runAtTime", "action", { runAtTime: Infinity }, "runAtTime must be a finite epoch time in ms, got Infinity"],
    ["a negative runAfter", "action", { runAfter: -5 }, "runAfter must be a finite number of ms >= 0, got -5"],
    ["a negative delayMs", "action", { delayMs: -1 }, "delayMs must be a finite number of ms >= 0, got -1"],
    ["retry on a mutation", "mutation", { retry: true }, "retry applies only to actions"],
    ["a retry with maxAttempts 1.5", "action", { retry: { maxAttempts: 1.5, initialBackoffMs: 1, base: 2 } }, "retry.maxAttempts must be an integer >= 1, got 1.5"],
    ["an unknown excluded kind", "action", { onCompleteExcludeKinds: ["finished"] }, 'onCompleteExcludeKinds entries must be one of success, failed, canceled, got "finished"'],
    ["an unknown option", "action", { delay: 5 }, 'enqueue options: unknown option "delay"'],
    ["a retry missing fields", "action", { retry: { maxAttempts: 2 } }, "retry.initialBackoffMs must be a finite number >= 0, got undefined"],
    ["a retry with an unknown field", "action", { retry: { maxAttempts: 2, initialBackoffMs: 1, base: 2, jitter: 0 } }, "retry.jitter is not an option"],
    ["a string runAfter", "action", { runAfter: "5" }, 'runAfter must be a finite number of ms >= 0, got "5"'],
    ["a huge non-finite delayMs", "action", { delayMs: Infinity }, "delayMs must be a finite number of ms >= 0, got Infinity"],
    ["excluded kinds that are not an array", "action", { onCompleteExcludeKinds: "success" }, 'onCompleteExcludeKinds must be an array of success, failed, canceled, got "success"'],
    ["a non-string name", "mutation", { name: 42 }, "name must be a string, got 42"],
  ];
  test.each(cases)("%s is rejected", async (_name, kind, options, message) => {
    const t = await poolWithState();
    await expectUnchanged(
      t,
      () => t.mutation(api.pools.enqueue, { kind, args: [{ tag: "x" }], options }),
      message,
    );
  });

  test("args above 1 MiB are rejected, naming the function and the size", async () => {
    const t = await poolWithState();
    const big = "x".repeat(1024 * 1024 + 10);
    await expectUnchanged(
      t,
      () => t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "big", returns: big }] }),
      /args of jobs:action is \d+ bytes; the limit is 1044480 bytes/,
    );
  });

  test("a context above 1 MiB is rejected, naming it and the size", async () => {
    const t = await poolWithState();
    const big = "x".repeat(1024 * 1024 + 10);
    await expectUnchanged(
      t,
      () =>
        t.mutation(api.pools.enqueue, {
          kind: "action",
          args: [{ tag: "x" }],
          callback: "record",
          options: { context: big },
        }),
      /onComplete context of jobs:action is \d+ bytes/,
    );
  });

  test("one oversized item fails the whole batch: nothing is enqueued", async () => {
    const t = await poolWithState();
    const big = "x".repeat(1024 * 1024 + 10);
    await expectUnchanged(
      t,
      () =>
        t.mutation(api.pools.enqueue, {
          kind: "action",
          args: [{ tag: "ok1" }, { tag: "big", returns: big }, { tag: "ok2" }],
        }),
      /argsArray\[1\]/,
    );
  });
});

describe("the component checks what reaches it", () => {
  async function convexErrorOf(act: () => Promise<unknown>) {
    try {
      await act();
    } catch (e) {
      expect(e).toBeInstanceOf(ConvexError);
      return (e as ConvexError<{ code: string; message: string }>).data;
    }
    throw new Error("expected the call to fail");
  }

  test("config.update with maxParallelism 500 is INVALID_ARGUMENT and changes nothing", async () => {
    const t = await poolWithState();
    const before = await snapshot(t);
    const data = await convexErrorOf(() => t.mutation(components.workpool.config.update, { maxParallelism: 500 }));
    expect(data).toEqual({
      code: "INVALID_ARGUMENT",
      message: "maxParallelism must be an integer between 0 and 200, got 500",
    });
    expect((await snapshot(t)).config).toEqual(before.config);
  });

  test("lib.enqueue called directly with maxAttempts 0 is INVALID_ARGUMENT", async () => {
    const t = await poolWithState();
    const before = await snapshot(t);
    const data = await convexErrorOf(() =>
      t.mutation(components.workpool.lib.enqueue, {
        fnHandle: "function://;jobs:action",
        fnName: "jobs:action",
        fnType: "action",
        fnArgs: {},
        runAt: Date.now(),
        retryBehavior: { maxAttempts: 0, initialBackoffMs: 1, base: 2 },
        config: {},
      }),
    );
    expect(data.code).toBe("INVALID_ARGUMENT");
    expect(data.message).toBe("retryBehavior.maxAttempts must be an integer >= 1, got 0");
    expect((await snapshot(t)).work).toEqual(before.work);
  });

  test("lib.enqueue called directly with a function handle above 1 KiB is INVALID_ARGUMENT naming its size", async () => {
    const t = await poolWithState();
    const before = await snapshot(t);
    const fnHandle = "function://;" + "x".repeat(FUNCTION_HANDLE_MAX_BYTES);
    const data = await convexErrorOf(() =>
      t.mutation(components.workpool.lib.enqueue, {
        fnHandle,
        fnName: "jobs:action",
        fnType: "action",
        fnArgs: {},
        runAt: Date.now(),
        config: {},
      }),
    );
    expect(data).toEqual({
      code: "INVALID_ARGUMENT",
      message: `fnHandle must be at most ${FUNCTION_HANDLE_MAX_BYTES} bytes, got a function handle of ${fnHandle.length} bytes`,
    });
    expect((await snapshot(t)).work).toEqual(before.work);
  });

  test("lib.statusBatch called directly with more than 1,000 ids is INVALID_ARGUMENT naming the count", async () => {
    const t = await poolWithState();
    const [id] = (await snapshot(t)).work.map((w) => w._id);
    expect(id).toBeDefined();
    const ids = Array.from({ length: STATUS_BATCH_MAX_IDS + 1 }, () => id!);
    const data = await convexErrorOf(() => t.query(components.workpool.lib.statusBatch, { ids }));
    expect(data).toEqual({
      code: "INVALID_ARGUMENT",
      message: `ids must hold at most ${STATUS_BATCH_MAX_IDS} work ids per call, got ${STATUS_BATCH_MAX_IDS + 1}`,
    });
  });

  test("statusBatch through the client reads any number of ids, in calls of 1,000, in order", async () => {
    const t = initConvexTest();
    const [done] = await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "done" }], poolOptions: { statusTtl: Infinity } });
    await drain(t);
    const [waiting] = await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "waiting" }], options: { runAfter: 60_000 } });
    const ids = Array.from({ length: 2 * STATUS_BATCH_MAX_IDS + 1 }, (_, i) => (i % 2 === 0 ? done! : waiting!));
    const statuses = await t.query(api.pools.status, { ids });
    expect(statuses).toHaveLength(ids.length);
    statuses.forEach((s: { state: string }, i: number) => expect(s.state).toBe(i % 2 === 0 ? "finished" : "pending"));
  });

  test("a job's name above 256 bytes is kept cut, marked as cut", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "named" }],
      options: { name: "é".repeat(1000) },
      poolOptions: { maxParallelism: 0 },
    });
    const [work] = (await snapshot(t)).work;
    const name = work!.fnName as string;
    expect(name.endsWith(CUT_MARK)).toBe(true);
    expect(utf8Length(name)).toBeLessThanOrEqual(KEPT_NAME_MAX_BYTES);
    expect(name.startsWith("éééé")).toBe(true);
  });

  test.each([0, -3, 1.5, 1001])("cancelAll with limit %s is INVALID_ARGUMENT and cancels nothing", async (limit) => {
    const t = await poolWithState();
    const before = await snapshot(t);
    const data = await convexErrorOf(() => t.mutation(api.pools.cancelAll, { limit }));
    expect(data).toEqual({ code: "INVALID_ARGUMENT", message: `limit must be an integer between 1 and 1000, got ${limit}` });
    const after = await snapshot(t);
    expect(after.work).toEqual(before.work);
    expect(after.counts.pendingCancelation).toBe(0);
  });

  test("status and cancel of a malformed id are INVALID_WORK_ID naming the id", async () => {
    const t = await poolWithState();
    const status = await convexErrorOf(() => t.query(api.pools.statusOne, { id: "not-an-id" }));
    expect(status).toEqual({ code: "INVALID_WORK_ID", message: '"not-an-id" is not a work id of this pool' });
    const cancel = await convexErrorOf(() => t.mutation(api.pools.cancel, { id: "not-an-id" }));
    expect(cancel.code).toBe("INVALID_WORK_ID");
  });

  test("an id from the other pool is INVALID_WORK_ID, not another job", async () => {
    const t = initConvexTest();
    const [otherId] = await t.mutation(api.pools.enqueue, { pool: "otherPool", kind: "mutation", args: [{ tag: "o" }] });
    // Both pools have a `work` table, so the id is well-formed but foreign;
    // Convex ids carry their table number, so it normalizes to this pool's
    // table only if the numbers match. Either way it must not touch the job.
    let outcome: string;
    try {
      const status = await t.query(api.pools.statusOne, { pool: "workpool", id: otherId! });
      outcome = JSON.stringify(status);
    } catch (e) {
      outcome = (e as ConvexError<{ code: string }>).data.code;
    }
    expect(["INVALID_WORK_ID", JSON.stringify({ state: "finished" })]).toContain(outcome);
  });
});

describe("key and priority are checked before any write", () => {
  const long = "k".repeat(300);
  const keyRule = "key must be a non-empty string of at most 256 characters";
  const cases: [string, "action" | "mutation", Record<string, unknown>, string][] = [
    ["an empty key", "action", { key: "" }, `${keyRule}, got ""`],
    ["a key of 300 characters", "mutation", { key: long }, `${keyRule}, got "${"k".repeat(40)}..." (300 characters)`],
    ["a numeric key", "action", { key: 42 }, `${keyRule}, got 42`],
    ["a key that is an object", "mutation", { key: { id: 1 } }, `${keyRule}, got {"id":1}`],
    ["an unknown priority", "action", { priority: "urgent" }, 'priority must be one of "high", "normal", "low", got "urgent"'],
    ["a priority in capitals", "mutation", { priority: "HIGH" }, 'priority must be one of "high", "normal", "low", got "HIGH"'],
    ["a numeric priority", "action", { priority: 1 }, 'priority must be one of "high", "normal", "low", got 1'],
    ["keys on a single enqueue", "action", { keys: ["a"] }, 'enqueue options: unknown option "keys"'],
  ];
  test.each(cases)("%s is rejected", async (_name, kind, options, message) => {
    const t = await poolWithState();
    await expectUnchanged(
      t,
      () => t.mutation(api.pools.enqueue, { kind, args: [{ tag: "x" }], options }),
      message,
    );
  });

  test("the 300-character key's message gives its length, not the whole key", async () => {
    const t = await poolWithState();
    const error = await t
      .mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "x" }], options: { key: "k".repeat(300) } })
      .then(() => null, (e: Error) => e.message);
    expect(error).toContain("(300 characters)");
    expect(error).not.toContain("k".repeat(41));
  });

  const batchCases: [string, Record<string, unknown>, string][] = [
    ["keys with one key too few", { keys: ["a", "b"] }, "keys must have one key per element of argsArray (3), got 2 keys"],
    ["keys with one key too many", { keys: ["a", "b", "c", "d"] }, "keys must have one key per element of argsArray (3), got 4 keys"],
    ["keys that are not an array", { keys: "a" }, 'keys must be an array of strings, one per element of argsArray, got "a"'],
    ["keys with an empty entry", { keys: ["a", "", "c"] }, 'keys[1] must be a non-empty string of at most 256 characters, got ""'],
    ["keys with a numeric entry", { keys: ["a", "b", 3] }, "keys[2] must be a non-empty string of at most 256 characters, got 3"],
    ["keys together with key", { key: "k", keys: ["a", "b", "c"] }, 'give key (one for every job) or keys (one per job), not both; got key "k" and keys'],
    ["a batch key that is empty", { key: "" }, 'key must be a non-empty string of at most 256 characters, got ""'],
    ["a batch priority that is unknown", { priority: "urgent" }, 'priority must be one of "high", "normal", "low", got "urgent"'],
  ];
  test.each(batchCases)("a batch with %s is rejected: nothing is enqueued", async (_name, options, message) => {
    const t = await poolWithState();
    await expectUnchanged(
      t,
      () =>
        t.mutation(api.pools.enqueue, {
          kind: "action",
          args: [{ tag: "b0" }, { tag: "b1" }, { tag: "b2" }],
          batch: true,
          options,
        }),
      message,
    );
  });

  test("valid keys and priorities are accepted", async () => {
    const t = await poolWithState();
    const before = (await snapshot(t)).counts.work ?? 0;
    await t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "x" }], options: { key: "k".repeat(256), priority: "low" } });
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "b0" }, { tag: "b1" }],
      batch: true,
      options: { keys: ["a", "a"], priority: "high" },
    });
    expect((await snapshot(t)).counts.work).toBe(before + 3);
  });

  test("lib.enqueue called directly with an empty key is INVALID_ARGUMENT and stores nothing", async () => {
    const t = await poolWithState();
    const before = await snapshot(t);
    let data: { code: string; message: string } | undefined;
    try {
      await t.mutation(components.workpool.lib.enqueue, {
        fnHandle: "function://;jobs:action",
        fnName: "jobs:action",
        fnType: "action",
        fnArgs: {},
        runAt: Date.now(),
        key: "",
        config: {},
      });
    } catch (e) {
      expect(e).toBeInstanceOf(ConvexError);
      data = (e as ConvexError<{ code: string; message: string }>).data;
    }
    expect(data).toEqual({ code: "INVALID_ARGUMENT", message: 'key must be a non-empty string of at most 256 characters, got ""' });
    expect((await snapshot(t)).work).toEqual(before.work);
  });
});
