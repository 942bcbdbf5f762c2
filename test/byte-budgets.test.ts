// Byte budgets (DESIGN invariant 13): no transaction of the engine exceeds
// Convex's per-transaction limits, whatever the jobs carry. Each test runs
// the pool under convex-test with Convex's production limits enforced
// (`transactionLimits`: 16 MiB and 32,000 documents read, 16 MiB and 16,000
// documents written, 4,096 index ranges, 1,000 functions scheduled) and
// values at the largest sizes the pool accepts, and checks what a user
// relies on: every job ends as it should, onComplete gets its context,
// nothing is left behind, and the pool goes on running later jobs.
import type { FunctionReference } from "convex/server";
import { getConvexSize, getDocumentSize } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  ACTION_GROUP_MAX_BYTES,
  ACTION_GROUP_SIZE,
  CANCEL_ALL_MAX_LIMIT,
  CLIENT_BATCH_MAX_ITEMS,
  FUNCTION_HANDLE_MAX_BYTES,
  HOUR,
  INLINE_VALUE_MAX_BYTES,
  KEPT_ERROR_DATA_MAX_BYTES,
  KEPT_ERROR_MAX_BYTES,
  KEPT_NAME_MAX_BYTES,
  LOOP_MAX_BYTES_READ,
  LOOP_MAX_BYTES_WRITTEN,
  LOOP_MAX_DOCUMENTS_READ,
  LOOP_MAX_DOCUMENTS_WRITTEN,
  LOOP_MAX_QUERIES,
  LOOP_MAX_SCHEDULED_ARGS_BYTES,
  MAX_PARALLELISM_LIMIT,
  MAX_VALUE_BYTES,
  MIB,
  RECOVERY_INTERVAL_MS,
  START_BATCH,
  STATUS_BATCH_MAX_IDS,
  WORK_ROW_MAX_BYTES,
} from "../src/component/constants.js";
import { api, components } from "./fixture/_generated/api.js";
import { fingerprint } from "./fixture/jobs.js";
import { countRows, drain, initConvexTest, runUntil, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  (globalThis as { __workpoolObserver?: unknown }).__workpoolObserver = undefined;
});

/**
 * Moving tens of MiB through convex-test's validation and size accounting
 * takes seconds of CPU, beyond vitest's default 5 s on a busy machine.
 */
const HEAVY_TEST_TIMEOUT_MS = 240_000;

/**
 * Enough scheduled-function rounds for these pools to finish; a pool whose
 * loop keeps failing (it rereads too much each time) fails the test here
 * instead of running the watchdog's restarts for long.
 */
const DRAIN_STEPS = 300;
// A drain runs the clock on past every retention: jobs whose status is read
// after one keep it forever (statusTtl: Infinity).

/** Just under the largest args or context the pool accepts. */
const NEAR_MAX_BYTES = MAX_VALUE_BYTES - 16;

/** `{ tag, blob }` of exactly `bytes` bytes as Convex counts them, distinct per `seed`. */
function valueOfSize(bytes: number, seed: number | string): { tag: string; blob: string } {
  const tag = `v${seed}`;
  const empty = getConvexSize({ tag, blob: "" });
  return { tag, blob: `${seed}:`.padEnd(bytes - empty, "x") };
}

const breakWorkers = (components.workpool as unknown as Record<string, Record<string, unknown>>).testInspect!
  .breakWorkers as FunctionReference<"mutation", "internal", { how: "cancel" | "vanish" }, number>;
const workerGroups = (components.workpool as unknown as Record<string, Record<string, unknown>>).testInspect!
  .workerGroups as FunctionReference<"query", "internal", Record<string, never>, string[][]>;

type Completion = { workId: string; result: { kind: string; error?: string; returnValue?: unknown }; context?: unknown };

/** Every onComplete call recorded, read a few at a time (each may hold a context of about 1 MiB). */
async function completions(t: Test): Promise<Completion[]> {
  const all: Completion[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: { page: Completion[]; isDone: boolean; continueCursor: string } = await t.run((ctx) =>
      ctx.db.query("completions").paginate({ numItems: 8, cursor }),
    );
    all.push(...page.page.map(({ workId, result, context }) => ({ workId, result, context })));
    if (page.isDone) return all;
    cursor = page.continueCursor;
  }
}

type Metric = { used: number; remaining: number };
type Metrics = Record<
  "bytesRead" | "bytesWritten" | "documentsRead" | "documentsWritten" | "databaseQueries" | "scheduledFunctionArgsBytes",
  Metric
>;

/** What each loop iteration used, as convex-test measured it. */
function watchLoop(): Metrics[] {
  const iterations: Metrics[] = [];
  (globalThis as { __workpoolObserver?: (p: string, m: unknown) => void }).__workpoolObserver = (_p, m) =>
    iterations.push(m as Metrics);
  return iterations;
}
const most = (iterations: Metrics[], k: keyof Metrics) => Math.max(0, ...iterations.map((m) => m[k].used));

/** Every loop iteration stayed within the bounds constants.ts documents (all below Convex's limits). */
function expectLoopWithinBounds(iterations: Metrics[], scenario: string) {
  expect(iterations.length).toBeGreaterThan(0);
  expect(most(iterations, "bytesRead")).toBeLessThanOrEqual(LOOP_MAX_BYTES_READ);
  expect(most(iterations, "bytesWritten")).toBeLessThanOrEqual(LOOP_MAX_BYTES_WRITTEN);
  expect(most(iterations, "scheduledFunctionArgsBytes")).toBeLessThanOrEqual(LOOP_MAX_SCHEDULED_ARGS_BYTES);
  expect(most(iterations, "documentsRead")).toBeLessThanOrEqual(LOOP_MAX_DOCUMENTS_READ);
  expect(most(iterations, "documentsWritten")).toBeLessThanOrEqual(LOOP_MAX_DOCUMENTS_WRITTEN);
  expect(most(iterations, "databaseQueries")).toBeLessThanOrEqual(LOOP_MAX_QUERIES);
  console.info(
    `${scenario}: ${iterations.length} loop iterations; at most ${most(iterations, "bytesRead")} bytes read ` +
      `(bound ${LOOP_MAX_BYTES_READ}), ${most(iterations, "bytesWritten")} written (bound ${LOOP_MAX_BYTES_WRITTEN}), ` +
      `${most(iterations, "scheduledFunctionArgsBytes")} of scheduled args`,
  );
}

/** A small mutation job enqueued after the large ones must still run. */
async function laterJobRuns(t: Test) {
  await t.mutation(api.pools.setConfig, { maxParallelism: 10 });
  const [later] = await t.mutation(api.pools.enqueue, {
    kind: "mutation",
    args: [{ tag: "later" }],
    // Kept, to read its status after the drain, which runs the clock on.
    poolOptions: { statusTtl: Infinity },
  });
  await drain(t, DRAIN_STEPS);
  expect(await t.query(api.pools.statusOne, { id: later! })).toMatchObject({ state: "finished", outcome: "success" });
}

/** Enqueues `n` digest jobs one per transaction (each carries up to 2 MiB), the pool paused. */
async function enqueueLarge(
  t: Test,
  n: number,
  { kind, argsBytes, contextBytes, statusTtl, callback }: {
    kind: "action" | "mutation";
    argsBytes: number;
    contextBytes: number;
    statusTtl: number;
    callback: "record" | "digest";
  },
) {
  const jobs: { id: string; args: { tag: string; blob: string }; context: { tag: string; blob: string } }[] = [];
  for (let i = 0; i < n; i++) {
    const args = valueOfSize(argsBytes, `a${i}`);
    const context = valueOfSize(contextBytes, `c${i}`);
    const [id] = await t.mutation(api.pools.enqueueDigest, {
      kind,
      args: [args],
      options: { context },
      poolOptions: { maxParallelism: 0, statusTtl },
      callback,
    });
    jobs.push({ id: id!, args, context });
  }
  return jobs;
}

describe("cancel", () => {
  test(
    "40 pending jobs with args and context near 1 MiB each, canceled one by one, all end canceled with their context, and leave no payload behind",
    async () => {
      const t = initConvexTest({ transactionLimits: true });
      const iterations = watchLoop();
      const jobs = await enqueueLarge(t, 40, {
        kind: "action",
        argsBytes: NEAR_MAX_BYTES,
        contextBytes: NEAR_MAX_BYTES,
        statusTtl: 0,
        // The onComplete stores its whole context: about 1 MiB written per call.
        callback: "record",
      });
      for (const job of jobs) await t.mutation(api.pools.cancel, { id: job.id });
      await drain(t, DRAIN_STEPS);

      const done = new Map((await completions(t)).map((c) => [c.workId, c]));
      for (const job of jobs) {
        expect(done.get(job.id)?.result).toEqual({ kind: "canceled" });
        expect(fingerprint(done.get(job.id)?.context)).toEqual(fingerprint(job.context));
        expect(await t.query(api.pools.statusOne, { id: job.id })).toEqual({ state: "finished" });
      }
      expect(await t.run((ctx) => ctx.db.query("runs").collect())).toEqual([]);
      expect(await countRows(t, "payload")).toBe(0);
      expect(await countRows(t, "work")).toBe(0);
      await laterJobRuns(t);
      expectLoopWithinBounds(iterations, "cancel");
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});

describe("retention", () => {
  test(
    "40 retained outcomes whose contexts are near 1 MiB expire together: their rows and payloads go, and later jobs run",
    async () => {
      const t = initConvexTest({ transactionLimits: true });
      const iterations = watchLoop();
      const jobs = await enqueueLarge(t, 40, {
        kind: "mutation",
        argsBytes: 100,
        contextBytes: NEAR_MAX_BYTES,
        statusTtl: HOUR,
        callback: "digest",
      });
      await t.mutation(api.pools.setConfig, { maxParallelism: 10 });
      await runUntil(t, async () => (await t.run((ctx) => ctx.db.query("completions").collect())).length === jobs.length);
      for (const job of jobs) {
        expect(await t.query(api.pools.statusOne, { id: job.id })).toMatchObject({ state: "finished", outcome: "success" });
      }
      const done = new Map((await completions(t)).map((c) => [c.workId, c]));
      for (const job of jobs) expect(done.get(job.id)?.context).toEqual(fingerprint(job.context));

      // An hour later all 40 expire at once; the loop deletes them.
      await vi.advanceTimersByTimeAsync(HOUR);
      await drain(t, DRAIN_STEPS);
      expect(await countRows(t, "work")).toBe(0);
      expect(await countRows(t, "payload")).toBe(0);
      for (const job of jobs) expect(await t.query(api.pools.statusOne, { id: job.id })).toEqual({ state: "finished" });
      await laterJobRuns(t);
      expectLoopWithinBounds(iterations, "sweep");
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});

describe("recovery", () => {
  test(
    "a lost worker group of 40 jobs with args and context near 1 MiB each is recovered: each fails once, onComplete gets its context, no payload is left",
    async () => {
      const t = initConvexTest({ transactionLimits: true });
      const iterations = watchLoop();
      const jobs = await enqueueLarge(t, 40, {
        kind: "action",
        argsBytes: NEAR_MAX_BYTES,
        contextBytes: NEAR_MAX_BYTES,
        statusTtl: Infinity,
        callback: "digest",
      });
      await t.mutation(api.pools.setConfig, { maxParallelism: 50 });
      expect(await t.mutation(breakWorkers, { how: "cancel" })).toBe(jobs.length);
      await vi.advanceTimersByTimeAsync(RECOVERY_INTERVAL_MS);
      await drain(t, DRAIN_STEPS);

      const done = new Map((await completions(t)).map((c) => [c.workId, c]));
      for (const job of jobs) {
        expect(done.get(job.id)?.result).toEqual({ kind: "failed", error: expect.stringMatching(/was canceled/) });
        expect(done.get(job.id)?.context).toEqual(fingerprint(job.context));
        expect(await t.query(api.pools.statusOne, { id: job.id })).toMatchObject({ state: "finished", outcome: "failed", attempts: 1 });
      }
      expect(await t.run((ctx) => ctx.db.query("runs").collect())).toEqual([]);
      expect(await countRows(t, "payload")).toBe(0);
      await laterJobRuns(t);
      expectLoopWithinBounds(iterations, "recovery");
    },
    HEAVY_TEST_TIMEOUT_MS,
  );

  test(
    "a lost worker group of 50 jobs with args at the inline maximum is recovered, and the jobs retry and succeed",
    async () => {
      const t = initConvexTest({ transactionLimits: true });
      const iterations = watchLoop();
      const args = Array.from({ length: 50 }, (_, i) => valueOfSize(INLINE_VALUE_MAX_BYTES, i));
      const ids = await t.mutation(api.pools.enqueueDigest, {
        kind: "action",
        args,
        options: { retry: { maxAttempts: 2, initialBackoffMs: 10, base: 2 } },
        poolOptions: { maxParallelism: 0 },
        callback: "digest",
      });
      await t.mutation(api.pools.setConfig, { maxParallelism: 50 });
      expect(await t.mutation(breakWorkers, { how: "cancel" })).toBe(50);
      await vi.advanceTimersByTimeAsync(RECOVERY_INTERVAL_MS);
      await drain(t, DRAIN_STEPS);
      const done = new Map((await completions(t)).map((c) => [c.workId, c]));
      ids.forEach((id, i) =>
        expect(done.get(id)?.result).toEqual({ kind: "success", returnValue: { tag: args[i]!.tag, ...fingerprint(args[i]!.blob) } }),
      );
      await laterJobRuns(t);
      expectLoopWithinBounds(iterations, "recovery at the inline maximum");
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});

describe("worker groups", () => {
  test(
    "40 action jobs carrying about 2 MiB each start in worker groups of at most ACTION_GROUP_MAX_BYTES, and all succeed",
    async () => {
      const t = initConvexTest({ transactionLimits: true });
      const iterations = watchLoop();
      const jobs = await enqueueLarge(t, 40, {
        kind: "action",
        argsBytes: NEAR_MAX_BYTES,
        contextBytes: NEAR_MAX_BYTES,
        statusTtl: 0,
        callback: "digest",
      });
      await t.mutation(api.pools.setConfig, { maxParallelism: 50 });
      await drain(t, DRAIN_STEPS);

      const done = new Map((await completions(t)).map((c) => [c.workId, c]));
      for (const job of jobs) {
        expect(done.get(job.id)?.result).toEqual({
          kind: "success",
          returnValue: { tag: job.args.tag, ...fingerprint(job.args.blob) },
        });
        expect(done.get(job.id)?.context).toEqual(fingerprint(job.context));
      }
      // What each job carries: its args, which its worker loads, and its
      // context, which the worker's report loads for onComplete.
      const carried = getConvexSize(jobs[0]!.args) + getConvexSize(jobs[0]!.context);
      const groups = await t.query(workerGroups, {});
      expect(groups.flat().sort()).toEqual(jobs.map((j) => j.id).sort());
      for (const group of groups) {
        if (group.length > 1) expect(group.length * carried).toBeLessThanOrEqual(ACTION_GROUP_MAX_BYTES);
      }
      expect(await countRows(t, "payload")).toBe(0);
      expectLoopWithinBounds(iterations, "worker groups");
    },
    HEAVY_TEST_TIMEOUT_MS,
  );

  test(
    "a full batch of starts, each action job with args and context at the inline maximum, is scheduled within Convex's limits",
    async () => {
      const t = initConvexTest({ transactionLimits: true });
      const iterations = watchLoop();
      const args = Array.from({ length: START_BATCH }, (_, i) => valueOfSize(INLINE_VALUE_MAX_BYTES, i));
      const ids = await t.mutation(api.pools.enqueueDigest, {
        kind: "action",
        args,
        options: { context: valueOfSize(INLINE_VALUE_MAX_BYTES, "context") },
        poolOptions: { maxParallelism: 0, statusTtl: 0 },
        callback: "digest",
      });
      await t.mutation(api.pools.setConfig, { maxParallelism: MAX_PARALLELISM_LIMIT });
      await drain(t, DRAIN_STEPS);
      const done = new Map((await completions(t)).map((c) => [c.workId, c]));
      ids.forEach((id, i) =>
        expect(done.get(id)?.result).toEqual({ kind: "success", returnValue: { tag: args[i]!.tag, ...fingerprint(args[i]!.blob) } }),
      );
      // All started in one iteration, whose scheduled args stay far below 16 MiB.
      expect(Math.max(...(await t.query(workerGroups, {})).map((g) => g.length))).toBe(ACTION_GROUP_SIZE);
      expectLoopWithinBounds(iterations, "a full batch of starts");
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});

/** Enqueues `n` digest action jobs, paused, in mutations of `perCall` (each well within 16 MiB written). */
async function enqueueMany(t: Test, n: number, perCall: number, argsBytes: number, contextBytes: number) {
  const ids: string[] = [];
  for (let start = 0; start < n; start += perCall) {
    const count = Math.min(perCall, n - start);
    ids.push(
      ...(await t.mutation(api.pools.enqueueDigest, {
        kind: "action",
        args: Array.from({ length: count }, (_, i) => valueOfSize(argsBytes, start + i)),
        options: { context: valueOfSize(contextBytes, "context") },
        poolOptions: { maxParallelism: 0, statusTtl: Infinity },
        callback: "digest",
      })),
    );
  }
  return ids;
}

describe.each([
  { size: "about 12 KB of args and context", argsBytes: 6000, contextBytes: 6000 },
  { size: "args and context at the inline maximum", argsBytes: INLINE_VALUE_MAX_BYTES, contextBytes: INLINE_VALUE_MAX_BYTES },
])("cancelAll and statusBatch over jobs with $size", ({ argsBytes, contextBytes }) => {
  test(
    "cancelAll({ limit: 1000 }) cancels 1,200 pending jobs over its pages, lifts its barrier, and statusBatch of 1,000 says canceled",
    async () => {
      const t = initConvexTest({ transactionLimits: true });
      const iterations = watchLoop();
      const ids = await enqueueMany(t, 1200, 300, argsBytes, contextBytes);
      await t.mutation(api.pools.cancelAll, { limit: CANCEL_ALL_MAX_LIMIT });
      await drain(t, DRAIN_STEPS);

      const done = await t.run((ctx) => ctx.db.query("completions").collect());
      expect(done).toHaveLength(ids.length);
      expect(done.every((c) => c.result.kind === "canceled")).toBe(true);
      expect(await t.run((ctx) => ctx.db.query("runs").collect())).toEqual([]);
      expect(await countRows(t, "cancelAllRequest")).toBe(0);
      expect(await countRows(t, "payload")).toBe(0);
      const statuses = await t.query(api.pools.status, { ids: ids.slice(0, CLIENT_BATCH_MAX_ITEMS) });
      expect(statuses).toHaveLength(CLIENT_BATCH_MAX_ITEMS);
      for (const s of statuses) expect(s).toMatchObject({ state: "finished", outcome: "canceled", attempts: 0 });
      await laterJobRuns(t);
      expectLoopWithinBounds(iterations, `cancelAll of ${argsBytes} + ${contextBytes} bytes`);
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});

/** Longer than any error text the pool keeps, today or before (16 KiB). */
const LONG_ERROR_CHARS = 20_000;

describe("statusBatch", () => {
  test(
    "1,000 ids of the largest rows, pending ones and failed ones with the longest kept error text, errorData and onCompleteError, are read in one call",
    async () => {
      const t = initConvexTest({ transactionLimits: true });
      const context = valueOfSize(INLINE_VALUE_MAX_BYTES, "context");
      // Failed jobs: 250 with error text far above what is kept, and an
      // onComplete that throws at length; 250 with ConvexError data just
      // within what is kept.
      const longError = await t.mutation(api.pools.enqueue, {
        kind: "mutation",
        args: Array.from({ length: 250 }, (_, i) => ({ tag: `long${i}`, fail: `${i}:`.padEnd(LONG_ERROR_CHARS, "e") })),
        batch: true,
        options: { context },
        poolOptions: { statusTtl: Infinity },
        callback: "throwLong",
      });
      const data = { code: "E", pad: "" };
      data.pad = "d".repeat(KEPT_ERROR_DATA_MAX_BYTES - getConvexSize(data) - 8);
      const withData = await t.mutation(api.pools.enqueue, {
        kind: "mutation",
        args: Array.from({ length: 250 }, (_, i) => ({ tag: `data${i}`, throws: { kind: "ConvexError", value: data } })),
        batch: true,
        options: { context },
        poolOptions: { statusTtl: Infinity },
        callback: "record",
      });
      await drain(t, DRAIN_STEPS);
      // Pending: 500 jobs with args and context at the inline maximum.
      const pending = await enqueueMany(t, 500, 250, INLINE_VALUE_MAX_BYTES, INLINE_VALUE_MAX_BYTES);

      const ids = [...longError, ...withData, ...pending];
      expect(ids).toHaveLength(CLIENT_BATCH_MAX_ITEMS);
      const statuses = await t.query(api.pools.status, { ids });
      statuses.slice(0, 250).forEach((s: Record<string, unknown>, i: number) => {
        expect(s).toMatchObject({ state: "finished", outcome: "failed", attempts: 1 });
        expect(s.error).toMatch(new RegExp(`^${i}:e+\\[\\.\\.\\.truncated\\]$`));
        expect(new TextEncoder().encode(s.error as string).length).toBeLessThanOrEqual(KEPT_ERROR_MAX_BYTES);
        expect(s.onCompleteError).toMatch(/onComplete failed at length: x+\[\.\.\.truncated\]$/);
        expect(new TextEncoder().encode(s.onCompleteError as string).length).toBeLessThanOrEqual(KEPT_ERROR_MAX_BYTES);
      });
      for (const s of statuses.slice(250, 500)) {
        expect(s).toMatchObject({ state: "finished", outcome: "failed", attempts: 1, errorData: data });
      }
      for (const s of statuses.slice(500)) expect(s).toEqual({ state: "pending", previousAttempts: 0 });
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});

describe("documented bounds", () => {
  test("a work row at its largest, in each phase, is within WORK_ROW_MAX_BYTES; 1,000 of them fit one statusBatch read", () => {
    const id = (table: string) => `${"0".repeat(32 - table.length)}${table}`;
    const handle = "function://" + "h".repeat(FUNCTION_HANDLE_MAX_BYTES - "function://".length);
    // Keys of 3-byte characters (the most UTF-8 a UTF-16 unit takes).
    const wide = (chars: number) => "€".repeat(chars);
    const inline = "v".repeat(INLINE_VALUE_MAX_BYTES - 2);
    const keptError = "e".repeat(KEPT_ERROR_MAX_BYTES);
    const keptData = "d".repeat(KEPT_ERROR_DATA_MAX_BYTES - 2);
    expect(getConvexSize(inline)).toBe(INLINE_VALUE_MAX_BYTES);
    expect(getConvexSize(keptData)).toBe(KEPT_ERROR_DATA_MAX_BYTES);
    const common = {
      _id: id("work"),
      _creationTime: 1_790_000_000_000.123,
      fnType: "action",
      fnHandle: handle,
      fnName: "n".repeat(KEPT_NAME_MAX_BYTES),
      valueBytes: 2_000_000,
      retryBehavior: { maxAttempts: 5, initialBackoffMs: 250, base: 2 },
      statusTtl: 86_400_000,
      attempts: 4,
      runAt: 1_790_000_000_000,
      readyAt: 1_790_000_000_000,
      idempotencyKey: wide(256),
      priority: "high",
      countedDelayed: true,
      cancelRequested: true,
    };
    const onComplete = { fnHandle: handle, excludeKinds: ["success", "failed", "canceled"] };
    const rows = {
      pending: { ...common, state: "pending", fnArgs: inline, onComplete: { ...onComplete, context: inline }, liveKey: wide(256), lastError: keptError },
      onCompleteToRun: {
        ...common,
        state: "finished",
        onComplete: { ...onComplete, context: inline },
        outcome: "failed",
        error: keptError,
        errorData: keptData,
        finishedAt: 1_790_000_000_000,
        callbackPending: true,
        finalizeId: id("_scheduled_functions"),
        finalizeCheckAt: 1_790_000_060_000,
        finalizeAttempts: 3,
      },
      delivered: {
        ...common,
        state: "finished",
        onComplete: { ...onComplete, context: inline },
        outcome: "failed",
        // A delivery keeps the whole result inline when it fits the inline
        // size; the kept error text and errorData come from it.
        callbackResult: { inline: { kind: "failed", error: "e".repeat(700), errorData: "d".repeat(1000) } },
        error: "e".repeat(700),
        errorData: "d".repeat(1000),
        finishedAt: 1_790_000_000_000,
        callbackPending: true,
        finalizeId: id("_scheduled_functions"),
        finalizeCheckAt: 1_790_000_060_000,
        finalizeAttempts: 3,
      },
      finished: {
        ...common,
        state: "finished",
        outcome: "failed",
        error: keptError,
        errorData: keptData,
        onCompleteError: keptError,
        finishedAt: 1_790_000_000_000,
        expiresAt: 1_790_086_400_000,
      },
    };
    expect(getConvexSize(rows.delivered.callbackResult.inline)).toBeLessThanOrEqual(INLINE_VALUE_MAX_BYTES);
    for (const row of Object.values(rows)) expect(getDocumentSize(row)).toBeLessThanOrEqual(WORK_ROW_MAX_BYTES);
    expect(STATUS_BATCH_MAX_IDS * WORK_ROW_MAX_BYTES).toBeLessThan(13 * MIB);
  });

  test("the loop's per-iteration bounds are below Convex's per-transaction limits", () => {
    expect(LOOP_MAX_BYTES_READ).toBeLessThan(11 * MIB);
    expect(LOOP_MAX_BYTES_WRITTEN).toBeLessThan(8 * MIB);
    expect(LOOP_MAX_SCHEDULED_ARGS_BYTES).toBeLessThan(MIB);
  });
});
