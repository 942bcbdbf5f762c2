// Recovery (DESIGN §7): a running job whose worker was canceled or vanished
// is completed as a failure by the loop's periodic check (and retried if its
// policy allows); nothing stays running and no slot leaks.
import type { FunctionReference } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { RECOVERY_INTERVAL_MS } from "../src/component/constants.js";
import { api, components } from "./fixture/_generated/api.js";
import { drain, initConvexTest, runUntil, snapshot, type Test } from "./setup.js";

const T0 = new Date("2026-01-01T00:00:00Z").getTime();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

const breakWorkers = (components.workpool as unknown as Record<string, Record<string, unknown>>).testInspect!
  .breakWorkers as FunctionReference<"mutation", "internal", { how: "cancel" | "vanish" }, number>;

async function completions(t: Test) {
  return await t.run((ctx) => ctx.db.query("completions").collect());
}

describe.each(["cancel", "vanish"] as const)("a worker that is %sed", (how) => {
  test("fails its job after the recovery interval, with one onComplete saying why", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "lost" }],
      poolOptions: { statusTtl: Infinity },
      callback: "record",
    });
    expect(await t.mutation(breakWorkers, { how })).toBe(1);
    await runUntil(t, async () => (await completions(t)).length === 1);
    const [done] = await completions(t);
    expect(done!.workId).toBe(id);
    expect(done!.result.kind).toBe("failed");
    expect(done!.result.error).toMatch(how === "cancel" ? /was canceled/ : /disappeared/);
    // The job started at T0; its watchdog fires one interval later and wakes
    // the loop, whose check fails the attempt, and a finalize call runs the
    // onComplete: each at once, a scheduler hop after the one before.
    const status = await t.query(api.pools.statusOne, { id: id! });
    expect(status).toMatchObject({ state: "finished", outcome: "failed" });
    expect((status as { finishedAt: number }).finishedAt - T0).toBeOnTime(RECOVERY_INTERVAL_MS);
    expect(done!.at - T0).toBeOnTime(RECOVERY_INTERVAL_MS);
    const runs = await t.run((ctx) => ctx.db.query("runs").collect());
    expect(runs).toHaveLength(0);
  });

  test("retries the job if its policy allows", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "again", returns: "second try" }],
      options: { retry: { maxAttempts: 2, initialBackoffMs: 10, base: 2 } },
      callback: "record",
    });
    await t.mutation(breakWorkers, { how });
    await drain(t);
    const done = await completions(t);
    expect(done).toHaveLength(1);
    expect(done[0]!.result).toEqual({ kind: "success", returnValue: "second try" });
    expect(await t.run((ctx) => ctx.db.query("runs").collect())).toHaveLength(1);
  });

  test("frees its slot: the next job runs", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "stuck" }],
      poolOptions: { maxParallelism: 1 },
      callback: "record",
    });
    await t.mutation(breakWorkers, { how });
    await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "next" }], callback: "record" });
    await drain(t);
    const done = await completions(t);
    expect(done.map((c) => c.result.kind).sort()).toEqual(["failed", "success"]);
    const s = await snapshot(t);
    expect(s.poolState?.running).toEqual([]);
    expect(s.pendingScheduled).toEqual([]);
  });
});

test("while jobs run, the loop checks them once per RECOVERY_INTERVAL_MS, and not at all when idle", async () => {
  const t = initConvexTest();
  await t.mutation(api.pools.enqueue, {
    kind: "action",
    args: [{ tag: "long", durationMs: 5 * RECOVERY_INTERVAL_MS }],
    poolOptions: { statusTtl: 0 },
  });
  const watches: number[] = [];
  await runUntil(t, async () => {
    const s = await snapshot(t);
    const watch = s.pendingScheduled.filter((p) => p.name === "loop:watchdog");
    // One watchdog at a time.
    expect(watch.length).toBeLessThanOrEqual(1);
    if (watch[0] && !watches.includes(watch[0].scheduledTime)) watches.push(watch[0].scheduledTime);
    return s.work.length === 0;
  });
  // One check every interval while the job ran (5 intervals), then none.
  const gaps = watches.slice(1).map((at, i) => at - watches[i]!);
  expect(watches.length).toBeGreaterThanOrEqual(4);
  expect(gaps.every((g) => g === RECOVERY_INTERVAL_MS)).toBe(true);
  await drain(t);
  expect((await snapshot(t)).pendingScheduled).toEqual([]);
});

// Regression (found in review): a wake for a job due a day later scheduled
// the watchdog a day out; once other jobs ran, the loop kept that far-off
// watchdog, and a lost worker waited a day for recovery.
test("a lost worker is recovered within minutes even while another job is delayed by a day", async () => {
  const t = initConvexTest();
  await t.mutation(api.pools.enqueue, {
    kind: "action",
    args: [{ tag: "tomorrow" }],
    options: { runAfter: 24 * 60 * RECOVERY_INTERVAL_MS },
    poolOptions: { statusTtl: Infinity },
  });
  const [id] = await t.mutation(api.pools.enqueue, {
    kind: "action",
    args: [{ tag: "lost" }],
    poolOptions: { statusTtl: Infinity },
    callback: "record",
  });
  expect(await t.mutation(breakWorkers, { how: "cancel" })).toBe(1);
  await runUntil(t, async () => (await completions(t)).length === 1);
  const [done] = await completions(t);
  expect(done!.workId).toBe(id);
  expect(done!.result.kind).toBe("failed");
  expect(done!.at - T0).toBeLessThanOrEqual(3 * RECOVERY_INTERVAL_MS);
});
