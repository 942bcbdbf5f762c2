// Priorities (`priority`): among due jobs "high" starts before "normal"
// before "low", FIFO within one; the default is "normal". No priority
// starves: while one has a due job, the others take at most
// PRIORITY_MAX_PASSES starts in a row before it gets one. A retry keeps its
// job's priority; a delayed job, whatever its priority, waits for its time.
// With a cap of 1 each start is one loop iteration, so the runs log shows
// the start order exactly; and each start waits for the job before it to
// end, so start times are on time for a chain of starts (setup.ts).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { PRIORITY_MAX_PASSES } from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
import { initConvexTest, onTime, runUntil, runUntilSettled, type Test } from "./setup.js";

const T0 = new Date("2026-01-01T00:00:00Z").getTime();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

type Priority = "high" | "normal" | "low";
type Job = { tag: string; durationMs?: number; fail?: string; failRuns?: number };

async function enqueue(
  t: Test,
  args: Job,
  options: Record<string, unknown> = {},
  kind: "action" | "mutation" = "action",
) {
  const [id] = await t.mutation(api.pools.enqueue, {
    kind,
    args: [args],
    options,
    poolOptions: { statusTtl: Infinity },
    callback: "record",
  });
  return id!;
}
/** A status's previousAttempts (undefined once finished). */
const previousAttempts = (s: object) => (s as { previousAttempts?: number }).previousAttempts;
/** Pauses the pool, so that everything enqueued next is due together when it resumes. */
async function pause(t: Test) {
  await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
}
async function resume(t: Test, maxParallelism = 1) {
  await t.mutation(api.pools.setConfig, { maxParallelism });
}
/** Every run's tag, in the order the runs began. */
async function runTags(t: Test) {
  return (await t.run((ctx) => ctx.db.query("runs").collect())).map((r) => r.tag);
}
async function startedAt(t: Test) {
  const out: Record<string, number> = {};
  for (const r of await t.run((ctx) => ctx.db.query("runs").collect())) out[r.tag] ??= r.at - T0;
  return out;
}
async function completionKinds(t: Test) {
  return (await t.run((ctx) => ctx.db.query("completions").collect())).map((c) => c.result.kind as string);
}

describe("start order", () => {
  test.each(["action", "mutation"] as const)(
    "due %s jobs start high first, then normal, then low, each in enqueue order",
    async (kind) => {
      const t = initConvexTest();
      await pause(t);
      const order: [string, Priority][] = [
        ["l1", "low"],
        ["n1", "normal"],
        ["h1", "high"],
        ["l2", "low"],
        ["h2", "high"],
        ["n2", "normal"],
        ["h3", "high"],
        ["l3", "low"],
      ];
      for (const [tag, priority] of order) await enqueue(t, { tag }, { priority }, kind);
      await resume(t);
      await runUntilSettled(t);
      expect(await runTags(t)).toEqual(["h1", "h2", "h3", "n1", "n2", "l1", "l2", "l3"]);
      expect(await completionKinds(t)).toEqual(Array(8).fill("success"));
    },
  );

  test("no priority means normal: such jobs and explicit normal ones share one FIFO order", async () => {
    const t = initConvexTest();
    await pause(t);
    await enqueue(t, { tag: "plain1" });
    await enqueue(t, { tag: "normal1" }, { priority: "normal" });
    await enqueue(t, { tag: "low1" }, { priority: "low" });
    await enqueue(t, { tag: "high1" }, { priority: "high" });
    await enqueue(t, { tag: "plain2" });
    await resume(t);
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["high1", "plain1", "normal1", "plain2", "low1"]);
  });

  test("a job queued behind a running one at a higher priority starts first when the slot frees", async () => {
    const t = initConvexTest();
    await resume(t);
    await enqueue(t, { tag: "running", durationMs: 1000 });
    await runUntil(t, async () => (await runTags(t)).length === 1);
    await enqueue(t, { tag: "n1" });
    await enqueue(t, { tag: "l1" }, { priority: "low" });
    await enqueue(t, { tag: "h1" }, { priority: "high" });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["running", "h1", "n1", "l1"]);
    // One after another as each (zero-length) ends: the n-th start in a row.
    expect(await startedAt(t)).toEqual({
      running: onTime(0),
      h1: onTime(1000, 2),
      n1: onTime(1000, 3),
      l1: onTime(1000, 4),
    });
  });

  test("within a priority, the earlier due time starts first", async () => {
    const t = initConvexTest();
    await pause(t);
    await enqueue(t, { tag: "h-late" }, { priority: "high", runAfter: 3000 });
    await enqueue(t, { tag: "h-early" }, { priority: "high", runAfter: 1000 });
    await enqueue(t, { tag: "n-earliest" }, { runAfter: 500 });
    vi.setSystemTime(T0 + 10_000);
    await resume(t);
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["h-early", "h-late", "n-earliest"]);
  });
});

describe("no priority starves", () => {
  test(`30 high and 3 low jobs at cap 1: the low ones start at positions 10, 20 and 30`, async () => {
    const t = initConvexTest();
    await pause(t);
    for (let i = 0; i < 3; i++) await enqueue(t, { tag: `l${i}` }, { priority: "low" }, "mutation");
    for (let i = 0; i < 30; i++) await enqueue(t, { tag: `h${i}` }, { priority: "high" }, "mutation");
    await resume(t);
    await runUntilSettled(t);
    const tags = await runTags(t);
    expect(tags).toHaveLength(33);
    const lowAt = tags.flatMap((tag, i) => (tag.startsWith("l") ? [i + 1] : []));
    expect(lowAt).toEqual([10, 20, 30]);
    expect(PRIORITY_MAX_PASSES).toBe(9);
    // Each priority still FIFO.
    expect(tags.filter((x) => x.startsWith("l"))).toEqual(["l0", "l1", "l2"]);
    expect(tags.filter((x) => x.startsWith("h"))).toEqual(Array.from({ length: 30 }, (_, i) => `h${i}`));
  });

  test("no run of more than 9 starts passes over a due low job, as actions at cap 1 too", async () => {
    const t = initConvexTest();
    await pause(t);
    for (let i = 0; i < 2; i++) await enqueue(t, { tag: `l${i}` }, { priority: "low" });
    for (let i = 0; i < 25; i++) await enqueue(t, { tag: `h${i}` }, { priority: "high" });
    await resume(t);
    await runUntilSettled(t);
    const tags = await runTags(t);
    // While a low job is due (until the last low one starts), count highs in a row.
    const lastLow = tags.lastIndexOf("l1");
    let inARow = 0;
    let most = 0;
    for (const tag of tags.slice(0, lastLow + 1)) {
      inARow = tag.startsWith("h") ? inARow + 1 : 0;
      most = Math.max(most, inARow);
    }
    expect(most).toBe(PRIORITY_MAX_PASSES);
    expect(lastLow + 1).toBe(20);
  });

  test("with all three priorities due, normal and low each get a start in every 11", async () => {
    const t = initConvexTest();
    await pause(t);
    for (let i = 0; i < 3; i++) await enqueue(t, { tag: `L${i}` }, { priority: "low" }, "mutation");
    for (let i = 0; i < 3; i++) await enqueue(t, { tag: `N${i}` }, { priority: "normal" }, "mutation");
    for (let i = 0; i < 20; i++) await enqueue(t, { tag: `H${i}` }, { priority: "high" }, "mutation");
    await resume(t);
    await runUntilSettled(t);
    const seq = (await runTags(t)).map((tag) => tag[0]).join("");
    // Nine highs; normal and low, passed nine times each, tie: normal first,
    // then low (passed ten times). Once the highs run out, normal before low.
    expect(seq).toBe("HHHHHHHHHNL" + "HHHHHHHHNL" + "HHHNL");
  });
});

describe("retries and delays", () => {
  const RETRY = { maxAttempts: 3, initialBackoffMs: 1000, base: 2 };

  test("a high job's retry starts before normal jobs that were due before it", async () => {
    const t = initConvexTest();
    await resume(t);
    await enqueue(t, { tag: "H", fail: "flaky", failRuns: 1 }, { priority: "high", retry: RETRY });
    for (let i = 1; i <= 4; i++) await enqueue(t, { tag: `N${i}`, durationMs: 2000 });
    await runUntilSettled(t);
    // The retry is due within 1.5 s, while N1 runs; when N1 ends at 2 s the
    // retry, though due after N2..N4, starts first.
    expect(await runTags(t)).toEqual(["H", "N1", "H", "N2", "N3", "N4"]);
    // N1 after H's first attempt; N2 after N1 and H's (zero-length) retry.
    expect(await startedAt(t)).toMatchObject({ N1: onTime(0, 2), N2: onTime(2000, 4) });
  });

  test("a low job's retry stays low: normal jobs due after it still start first", async () => {
    const t = initConvexTest();
    await resume(t);
    const low = await enqueue(t, { tag: "L", fail: "flaky", failRuns: 1 }, { priority: "low", retry: RETRY });
    await runUntil(t, async () => previousAttempts(await t.query(api.pools.statusOne, { id: low })) === 1);
    // The first attempt ran and failed at once: the clock is still at T0, but for the scheduler's hops.
    expect(Date.now()).toBeOnTime(T0);
    await enqueue(t, { tag: "N1", durationMs: 2000 });
    // Due at 1.6 s: after the retry (at most 1.5 s), before N1 ends.
    for (let i = 2; i <= 4; i++) await enqueue(t, { tag: `N${i}`, durationMs: 2000 }, { runAfter: 1600 });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["L", "N1", "N2", "N3", "N4", "L"]);
  });

  test("a delayed high job does not start before it is due", async () => {
    const t = initConvexTest();
    await resume(t);
    await enqueue(t, { tag: "H" }, { priority: "high", runAfter: 5000 });
    for (let i = 1; i <= 3; i++) await enqueue(t, { tag: `N${i}`, durationMs: 2000 });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["N1", "N2", "N3", "H"]);
    // H, due at 5 s, as soon as N3 frees the slot.
    expect(await startedAt(t)).toEqual({ N1: onTime(0), N2: onTime(2000, 2), N3: onTime(4000, 3), H: onTime(6000, 4) });
  });

  test("a keyed job released by its key's head is queued at its own priority", async () => {
    const t = initConvexTest();
    await resume(t);
    await enqueue(t, { tag: "k0", durationMs: 1000 }, { key: "k" });
    await enqueue(t, { tag: "k1" }, { key: "k", priority: "high" });
    for (let i = 1; i <= 3; i++) await enqueue(t, { tag: `N${i}` });
    await runUntilSettled(t);
    expect(await runTags(t)).toEqual(["k0", "k1", "N1", "N2", "N3"]);
  });
});
