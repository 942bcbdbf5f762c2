// Retries and backoff (DESIGN §3): which jobs retry, how long they wait,
// that a job backing off holds no slot, and one onComplete at the end.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./fixture/_generated/api.js";
import { drain, initConvexTest, runUntil, runUntilSettled, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const fast = { maxAttempts: 4, initialBackoffMs: 100, base: 2 };

async function runsOf(t: Test, tag: string) {
  return await t.run((ctx) => ctx.db.query("runs").withIndex("by_tag", (q) => q.eq("tag", tag)).collect());
}
async function completionsOf(t: Test, workId: string) {
  return await t.run((ctx) => ctx.db.query("completions").withIndex("by_workId", (q) => q.eq("workId", workId)).collect());
}
async function enqueueAction(t: Test, job: Record<string, unknown>, options: object = {}, poolOptions: object = {}) {
  const [id] = await t.mutation(api.pools.enqueue, {
    kind: "action",
    args: [job],
    options,
    poolOptions: { statusTtl: Infinity, ...poolOptions },
    callback: "record",
  });
  return id!;
}

describe("which jobs retry", () => {
  const cases: [string, object, object, number][] = [
    ["retryActionsByDefault uses defaultRetryBehavior", { retryActionsByDefault: true, defaultRetryBehavior: fast }, {}, 4],
    ["retry: false overrides retryActionsByDefault", { retryActionsByDefault: true, defaultRetryBehavior: fast }, { retry: false }, 1],
    ["defaultRetryBehavior alone does not turn retries on", { defaultRetryBehavior: fast }, {}, 1],
    ["retry: true uses the pool's defaultRetryBehavior", { defaultRetryBehavior: { ...fast, maxAttempts: 2 } }, { retry: true }, 2],
    ["retry: true without a pool default uses DEFAULT_RETRY_BEHAVIOR (5 runs)", {}, { retry: true }, 5],
    ["a retry object is used as given", {}, { retry: { ...fast, maxAttempts: 3 } }, 3],
    ["no retry options: one run", {}, {}, 1],
  ];
  test.each(cases)("%s", async (_name, poolOptions, options, expectedRuns) => {
    const t = initConvexTest();
    const id = await enqueueAction(t, { tag: "r", fail: "always" }, options, poolOptions);
    await drain(t);
    expect(await runsOf(t, "r")).toHaveLength(expectedRuns);
    const done = await completionsOf(t, id);
    expect(done).toHaveLength(1);
    // The last attempt's error, not the first's.
    expect(done[0]!.result).toEqual({ kind: "failed", error: `always (run ${expectedRuns})` });
    expect(await t.query(api.pools.statusOne, { id })).toMatchObject({
      state: "finished",
      outcome: "failed",
      attempts: expectedRuns,
      error: `always (run ${expectedRuns})`,
    });
  });

  test("a mutation that fails runs once even in a pool that retries actions", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "m", fail: "nope" }],
      poolOptions: { retryActionsByDefault: true, defaultRetryBehavior: fast },
      callback: "record",
    });
    await drain(t);
    expect(await runsOf(t, "m")).toHaveLength(0); // its write rolled back
    const completions = await t.run((ctx) => ctx.db.query("completions").collect());
    expect(completions).toHaveLength(1);
    expect(completions[0]!.result.kind).toBe("failed");
  });

  test("an action that succeeds after two failures succeeds, with one onComplete", async () => {
    const t = initConvexTest();
    const id = await enqueueAction(t, { tag: "flaky", fail: "flake", failRuns: 2, returns: "ok" }, { retry: fast });
    await drain(t);
    expect(await runsOf(t, "flaky")).toHaveLength(3);
    const done = await completionsOf(t, id);
    expect(done).toHaveLength(1);
    expect(done[0]!.result).toEqual({ kind: "success", returnValue: "ok" });
    expect(await t.query(api.pools.statusOne, { id })).toMatchObject({ outcome: "success", attempts: 3 });
  });
});

describe("NonRetryableError", () => {
  test("fails the job at once with its message, whatever the retry policy", async () => {
    const t = initConvexTest();
    const id = await enqueueAction(t, { tag: "nr", fail: "permanent", nonRetryable: true }, { retry: fast });
    await drain(t);
    expect(await runsOf(t, "nr")).toHaveLength(1);
    expect((await completionsOf(t, id))[0]!.result).toEqual({
      kind: "failed",
      error: "permanent (run 1)",
      errorData: { __convexWorkpoolNonRetryable: true, message: "permanent (run 1)" },
    });
  });

  test("is recognised when thrown in a nested mutation and rethrown by the action", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "nestedAction",
      args: [{ tag: "nested" }],
      options: { retry: fast },
      callback: "record",
    });
    await drain(t);
    expect(await runsOf(t, "nested")).toHaveLength(1);
    expect((await completionsOf(t, id!))[0]!.result).toEqual({
      kind: "failed",
      error: "nested refusal",
      errorData: { __convexWorkpoolNonRetryable: true, message: "nested refusal" },
    });
  });

  test("is recognised when thrown in a nested query and rethrown by the action", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "nestedQueryAction",
      args: [{ tag: "nested-query" }],
      options: { retry: fast },
      callback: "record",
    });
    await drain(t);
    expect(await runsOf(t, "nested-query")).toHaveLength(1);
    expect((await completionsOf(t, id!))[0]!.result).toEqual({
      kind: "failed",
      error: "query refusal",
      errorData: { __convexWorkpoolNonRetryable: true, message: "query refusal" },
    });
  });
});

describe("backoff", () => {
  test("status shows previousAttempts climbing while the job waits to retry", async () => {
    const t = initConvexTest();
    const id = await enqueueAction(t, { tag: "climb", fail: "x", failRuns: 2, durationMs: 1000 }, { retry: { maxAttempts: 3, initialBackoffMs: 10_000, base: 2 } });
    const status = () => t.query(api.pools.statusOne, { id });
    const seen: string[] = [];
    await runUntil(t, async () => {
      const s = await status();
      const label = s.state === "finished" ? "finished" : `${s.state}/${s.previousAttempts}`;
      if (seen[seen.length - 1] !== label) seen.push(label);
      return s.state === "finished";
    });
    expect(seen).toEqual(["pending/0", "running/0", "pending/1", "running/1", "pending/2", "running/2", "finished"]);
  });

  test("retries wait initialBackoffMs · base^(n−1), jittered by ×[0.5, 1.5)", async () => {
    const t = initConvexTest();
    await enqueueAction(t, { tag: "timed", fail: "x" }, { retry: { maxAttempts: 4, initialBackoffMs: 1000, base: 3 } });
    await runUntilSettled(t);
    const at = (await runsOf(t, "timed")).map((r) => r.at);
    expect(at).toHaveLength(4);
    const gaps = at.slice(1).map((a, i) => a - at[i]!);
    const nominal = [1000, 3000, 9000];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(nominal[i]! * 0.5);
      expect(gap).toBeLessThan(nominal[i]! * 1.5);
    });
  });

  test("a job backing off holds no slot: others run meanwhile", async () => {
    const t = initConvexTest();
    await enqueueAction(t, { tag: "slow-retry", fail: "x", failRuns: 1 }, { retry: { maxAttempts: 2, initialBackoffMs: 60_000, base: 1 } }, { maxParallelism: 1 });
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "other", durationMs: 1000 }],
      poolOptions: { maxParallelism: 1 },
    });
    await runUntilSettled(t);
    const retryRuns = await runsOf(t, "slow-retry");
    const [other] = await runsOf(t, "other");
    expect(retryRuns).toHaveLength(2);
    // "other" ran while the first job waited (>= 30 s) for its retry.
    expect(other!.at).toBeLessThan(retryRuns[1]!.at);
    expect(other!.at - retryRuns[0]!.at).toBeLessThan(30_000);
  });
});
