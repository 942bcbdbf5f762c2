// Keyed serialization (`key`): of the live (pending or running) jobs with one
// key only the oldest, the key's head, is queued or runs; the others wait
// outside the start queue, holding no slot and blocking no other job. When
// the head finishes (success, final failure, cancel) the next job with the
// key is queued at its own due time and priority. A job retrying keeps its
// key through its backoff. Tests check what a user sees: the runs log, the
// onCompletes, statuses; and, white-box, what holds a slot.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./fixture/_generated/api.js";
import {
  advance,
  chainOnTime,
  initConvexTest,
  onTime,
  runUntil,
  runUntilSettled,
  snapshot,
  type Snapshot,
  type Test,
} from "./setup.js";

const T0 = new Date("2026-01-01T00:00:00Z").getTime();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

/** Keep outcomes readable however far the clock moves. */
const KEEP = { statusTtl: Infinity };
const WAITING = { state: "pending", previousAttempts: 0 };

type Job = { tag: string; durationMs?: number; fail?: string; failRuns?: number; pool?: string };

/** Enqueues one job (or a batch, with `batch`), onComplete recording; returns the ids. */
async function enqueue(
  t: Test,
  args: Job | Job[],
  options: Record<string, unknown> = {},
  extra: { kind?: "action" | "mutation"; poolOptions?: Record<string, unknown> } = {},
) {
  return await t.mutation(api.pools.enqueue, {
    kind: extra.kind ?? "action",
    args: Array.isArray(args) ? args : [args],
    batch: Array.isArray(args),
    options,
    poolOptions: { ...KEEP, ...extra.poolOptions },
    callback: "record",
  });
}
async function one(t: Test, args: Job, options: Record<string, unknown> = {}, extra: Parameters<typeof enqueue>[3] = {}) {
  return (await enqueue(t, args, options, extra))[0]!;
}

/** Every run of a job function, in the order they began. */
async function allRuns(t: Test) {
  return await t.run((ctx) => ctx.db.query("runs").collect());
}
async function runTags(t: Test) {
  return (await allRuns(t)).map((r) => r.tag);
}
async function runsOf(t: Test, tag: string) {
  return (await allRuns(t)).filter((r) => r.tag === tag);
}
async function allCompletions(t: Test) {
  return await t.run((ctx) => ctx.db.query("completions").collect());
}
/** The single onComplete of each job, in the order of `ids`. */
async function onlyResults(t: Test, ids: string[]) {
  const rows = await allCompletions(t);
  return ids.map((id) => {
    const mine = rows.filter((r) => r.workId === id);
    expect(mine, `onComplete calls for ${id}`).toHaveLength(1);
    return mine[0]!;
  });
}
/** A status's previousAttempts (undefined once finished). */
const previousAttempts = (s: object) => (s as { previousAttempts?: number }).previousAttempts;
function statuses(t: Test, ids: string[]) {
  return t.query(api.pools.status, { ids });
}
/** Most jobs in flight at once that used this gauge name (args.pool). */
async function maxInFlight(t: Test, gauge: string) {
  const row = await t.run((ctx) => ctx.db.query("gauges").withIndex("by_pool", (q) => q.eq("pool", gauge)).unique());
  return row?.max ?? 0;
}
/** The start time of each tag's first run, relative to T0. */
async function startedAt(t: Test) {
  const out: Record<string, number> = {};
  for (const r of await allRuns(t)) out[r.tag] ??= r.at - T0;
  return out;
}

/**
 * What must hold after every step: for each key, at most one live job is
 * running and it is the key's oldest live job; slots are held only by
 * running jobs (never by a waiting one) and never more than `cap`; and no
 * job that is not its key's head is in the start queue.
 */
function checkKeyInvariants(s: Snapshot, cap: number) {
  const live = s.work.filter((w) => w.state !== "finished");
  const byKey = new Map<string, typeof live>();
  for (const w of live) {
    if (typeof w.liveKey !== "string") continue;
    byKey.set(w.liveKey, [...(byKey.get(w.liveKey) ?? []), w]);
  }
  const heads = new Set<string>();
  for (const [key, jobs] of byKey) {
    const head = jobs.reduce((a, b) => ((a._creationTime as number) <= (b._creationTime as number) ? a : b));
    heads.add(head._id);
    const running = jobs.filter((w) => w.state === "running");
    expect(running.length, `jobs of key ${key} running at once`).toBeLessThanOrEqual(1);
    if (running.length === 1) expect(running[0]!._id, `the running job of key ${key}`).toBe(head._id);
  }
  // A slot is held from a job's start until the loop takes in its end.
  const slots = new Set((s.poolState?.running ?? []).map((e) => e.workId));
  expect(slots.size).toBeLessThanOrEqual(cap);
  for (const w of s.work) {
    if (w.state === "running") expect(slots.has(w._id), "a running job holds a slot").toBe(true);
  }
  for (const w of live) {
    if (typeof w.liveKey !== "string" || heads.has(w._id)) continue;
    expect(w.state, "a waiting job").toBe("pending");
    expect(slots.has(w._id), "a waiting job holds no slot").toBe(false);
  }
}

/** runUntilSettled, checking the invariants between every two steps; returns the most slots seen held. */
async function settleChecked(t: Test, cap: number) {
  let most = 0;
  await runUntil(t, async () => {
    const s = await snapshot(t);
    checkKeyInvariants(s, cap);
    most = Math.max(most, s.poolState?.running.length ?? 0);
    return s.work.every((w) => w.state === "finished") && s.counts.pendingCompletion === 0;
  });
  return most;
}

describe("one key runs one job at a time, in enqueue order", () => {
  test("five slow jobs with one key at cap 10 never overlap and run in enqueue order, back to back", async () => {
    const t = initConvexTest();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await one(t, { tag: `k${i}`, durationMs: 1000, pool: "k" }, { key: "k" }));
    // Before anything runs: only the head is queued; the others wait outside the queue.
    expect((await snapshot(t)).inboxIds).toBe(1);
    await runUntil(t, async () => (await statuses(t, ids))[0]!.state === "running");
    expect(await statuses(t, ids)).toEqual([{ state: "running", previousAttempts: 0 }, WAITING, WAITING, WAITING, WAITING]);
    await settleChecked(t, 10);
    expect(await maxInFlight(t, "k")).toBe(1);
    expect(await runTags(t)).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    // Each starts as the one before it ends: no polling delay between them.
    expect(Object.values(await startedAt(t))).toEqual(chainOnTime([0, 1000, 2000, 3000, 4000]));
    const done = await onlyResults(t, ids);
    expect(done.map((c) => c.result.kind)).toEqual(["success", "success", "success", "success", "success"]);
    expect(done.map((c) => c.at - T0)).toEqual(chainOnTime([1000, 2000, 3000, 4000, 5000]));
  });

  test("a key busy with slow jobs blocks no one: other keys and unkeyed jobs fill the other slots", async () => {
    const t = initConvexTest();
    const poolOptions = { maxParallelism: 3 };
    const a: string[] = [];
    for (let i = 0; i < 5; i++) a.push(await one(t, { tag: `a${i}`, durationMs: 1000, pool: "a" }, { key: "a" }, { poolOptions }));
    const b: string[] = [];
    for (let i = 0; i < 3; i++) b.push(await one(t, { tag: `b${i}`, durationMs: 1000, pool: "b" }, { key: "b" }, { poolOptions }));
    const n = await one(t, { tag: "n0", durationMs: 1000 }, {}, { poolOptions });
    const m = await one(t, { tag: "n1", durationMs: 1000 }, {}, { poolOptions });
    await runUntil(t, async () => (await snapshot(t)).poolState?.running.length === 3);
    // The waiting a's and b's hold no slot: a0, b0 and the first unkeyed job run.
    const s = await snapshot(t);
    expect(new Set(s.poolState!.running.map((e) => e.workId))).toEqual(new Set([a[0], b[0], n]));
    expect(await statuses(t, [...a.slice(1), ...b.slice(1), m])).toEqual(Array(7).fill(WAITING));
    expect(await settleChecked(t, 3)).toBe(3);
    expect(await maxInFlight(t, "a")).toBe(1);
    expect(await maxInFlight(t, "b")).toBe(1);
    const at = await startedAt(t);
    expect([at.a0, at.b0, at.n0]).toEqual([onTime(0), onTime(0), onTime(0)]);
    // Within a key: enqueue order, one after another.
    const tags = await runTags(t);
    expect(tags.filter((x) => x.startsWith("a"))).toEqual(["a0", "a1", "a2", "a3", "a4"]);
    expect(tags.filter((x) => x.startsWith("b"))).toEqual(["b0", "b1", "b2"]);
    for (let i = 1; i < 5; i++) expect(at[`a${i}`]).toBeGreaterThanOrEqual(at[`a${i - 1}`]! + 1000);
    for (let i = 1; i < 3; i++) expect(at[`b${i}`]).toBeGreaterThanOrEqual(at[`b${i - 1}`]! + 1000);
    // 10 s of work at cap 3 while a's chain alone takes 5 s: done by 5 s.
    const done = await onlyResults(t, [...a, ...b, n, m]);
    expect(done.every((c) => c.result.kind === "success")).toBe(true);
    expect(Math.max(...done.map((c) => c.at - T0))).toBeOnTime(5000, 5);
  });

  test("jobs of different keys enqueued together run side by side", async () => {
    const t = initConvexTest();
    const ids = await enqueue(
      t,
      ["x", "y", "z"].map((tag) => ({ tag, durationMs: 1000 })),
      { keys: ["x", "y", "z"] },
    );
    await settleChecked(t, 10);
    expect(await startedAt(t)).toEqual({ x: onTime(0), y: onTime(0), z: onTime(0) });
    expect((await onlyResults(t, ids)).map((c) => c.at - T0)).toEqual([onTime(1000), onTime(1000), onTime(1000)]);
  });
});

describe("the head keeps its key until it finishes", () => {
  const RETRY = { maxAttempts: 3, initialBackoffMs: 10_000, base: 2 };

  test("a head backing off before a retry holds its key: the next job waits for the retry to end", async () => {
    const t = initConvexTest();
    const head = await one(t, { tag: "flaky", fail: "flaky", failRuns: 1 }, { key: "k", retry: RETRY });
    const next = await one(t, { tag: "next" }, { key: "k" });
    await one(t, { tag: "other" }, { key: "other" });
    await runUntil(t, async () => previousAttempts((await statuses(t, [head]))[0]!) === 1);
    expect(await statuses(t, [head, next])).toEqual([{ state: "pending", previousAttempts: 1 }, WAITING]);
    // Backoff is at least half of 10 s with jitter; well within it, next has not run.
    await advance(t, 4000, 100);
    expect(await runsOf(t, "next")).toHaveLength(0);
    expect(await statuses(t, [next])).toEqual([WAITING]);
    // The other key was never held up.
    expect(await runsOf(t, "other")).toHaveLength(1);
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["flaky", "other", "flaky", "next"]);
    const [flakyRuns, nextRuns] = [await runsOf(t, "flaky"), await runsOf(t, "next")];
    expect(flakyRuns[1]!.at - T0).toBeGreaterThanOrEqual(5000);
    expect(nextRuns[0]!.at).toBeGreaterThanOrEqual(flakyRuns[1]!.at);
    const [h, n] = await onlyResults(t, [head, next]);
    expect(h!.result.kind).toBe("success");
    expect(n!.result.kind).toBe("success");
    expect(n!.at).toBeGreaterThanOrEqual(h!.at);
  });

  test("a head that fails for good releases its key: the next job runs", async () => {
    const t = initConvexTest();
    const head = await one(t, { tag: "doomed", fail: "always" }, { key: "k", retry: { ...RETRY, maxAttempts: 2 } });
    const next = await one(t, { tag: "next" }, { key: "k" });
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["doomed", "doomed", "next"]);
    const [h, n] = await onlyResults(t, [head, next]);
    expect(h!.result.kind).toBe("failed");
    expect(n!.result.kind).toBe("success");
    expect(await statuses(t, [head])).toEqual([expect.objectContaining({ state: "finished", outcome: "failed", attempts: 2 })]);
  });

  test("a later job with the key waits for an earlier, delayed one: strict enqueue order", async () => {
    const t = initConvexTest();
    const late = await one(t, { tag: "delayed" }, { key: "k", runAfter: 10_000 });
    const now = await one(t, { tag: "immediate" }, { key: "k" });
    const free = await one(t, { tag: "unkeyed" });
    await runUntil(t, async () => (await allCompletions(t)).length === 1);
    expect(await runTags(t)).toEqual(["unkeyed"]);
    expect(await statuses(t, [late, now])).toEqual([WAITING, WAITING]);
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["unkeyed", "delayed", "immediate"]);
    // The immediate one as soon as the delayed one ended.
    expect(await startedAt(t)).toEqual({ unkeyed: onTime(0), delayed: onTime(10_000), immediate: onTime(10_000, 2) });
    expect((await onlyResults(t, [late, now, free])).map((c) => c.result.kind)).toEqual(["success", "success", "success"]);
  });

  test("the next job, once released, still waits for its own due time", async () => {
    const t = initConvexTest();
    const head = await one(t, { tag: "head", durationMs: 1000 }, { key: "k" });
    const later = await one(t, { tag: "later" }, { key: "k", runAfter: 5000 });
    await settleChecked(t, 10);
    expect(await startedAt(t)).toEqual({ head: onTime(0), later: onTime(5000) });
    expect((await onlyResults(t, [head, later])).map((c) => c.at - T0)).toEqual([onTime(1000), onTime(5000)]);
  });
});

describe("cancel and keys", () => {
  test("canceling a pending head releases the key to the next job", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
    const head = await one(t, { tag: "head" }, { key: "k" });
    const w1 = await one(t, { tag: "w1" }, { key: "k" });
    const w2 = await one(t, { tag: "w2" }, { key: "k" });
    await t.mutation(api.pools.cancel, { id: head });
    await runUntil(t, async () => (await allCompletions(t)).length === 1);
    expect(await statuses(t, [w1, w2])).toEqual([WAITING, WAITING]);
    await t.mutation(api.pools.setConfig, { maxParallelism: 1 });
    await settleChecked(t, 1);
    expect(await runTags(t)).toEqual(["w1", "w2"]);
    expect((await onlyResults(t, [head, w1, w2])).map((c) => c.result.kind)).toEqual(["canceled", "success", "success"]);
  });

  test("canceling a running head lets its attempt end; then the next job runs", async () => {
    const t = initConvexTest();
    const head = await one(t, { tag: "head", durationMs: 5000 }, { key: "k" });
    const next = await one(t, { tag: "next" }, { key: "k" });
    await runUntil(t, async () => (await runsOf(t, "head")).length === 1);
    await t.mutation(api.pools.cancel, { id: head });
    await runUntil(t, async () => (await snapshot(t)).work.some((w) => w.cancelRequested === true));
    expect(await statuses(t, [head, next])).toEqual([{ state: "running", previousAttempts: 0 }, WAITING]);
    expect(await runsOf(t, "next")).toHaveLength(0);
    await settleChecked(t, 10);
    expect(await startedAt(t)).toEqual({ head: onTime(0), next: onTime(5000, 2) });
    const [h, n] = await onlyResults(t, [head, next]);
    // A running attempt that succeeds ends as success (no retry to cancel).
    expect(h!.result.kind).toBe("success");
    expect(n!.result.kind).toBe("success");
  });

  test("canceling a running head that fails with retries left ends it canceled and releases the key", async () => {
    const t = initConvexTest();
    const retry = { maxAttempts: 5, initialBackoffMs: 1000, base: 2 };
    const head = await one(t, { tag: "head", durationMs: 2000, fail: "no" }, { key: "k", retry });
    const next = await one(t, { tag: "next" }, { key: "k" });
    await runUntil(t, async () => (await runsOf(t, "head")).length === 1);
    await t.mutation(api.pools.cancel, { id: head });
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["head", "next"]);
    expect(await startedAt(t)).toEqual({ head: onTime(0), next: onTime(2000, 2) });
    expect((await onlyResults(t, [head, next])).map((c) => c.result.kind)).toEqual(["canceled", "success"]);
  });

  test("canceling a head backing off releases the key at once", async () => {
    const t = initConvexTest();
    const retry = { maxAttempts: 5, initialBackoffMs: 60_000, base: 2 };
    const head = await one(t, { tag: "head", fail: "no" }, { key: "k", retry });
    const next = await one(t, { tag: "next" }, { key: "k" });
    await runUntil(t, async () => previousAttempts((await statuses(t, [head]))[0]!) === 1);
    await t.mutation(api.pools.cancel, { id: head });
    await runUntil(t, async () => (await runsOf(t, "next")).length === 1);
    // Long before the backoff (at least 30 s) would have ended.
    expect((await runsOf(t, "next"))[0]!.at - T0).toBeLessThan(1000);
    await settleChecked(t, 10);
    expect(await runsOf(t, "head")).toHaveLength(1);
    expect((await onlyResults(t, [head, next])).map((c) => c.result.kind)).toEqual(["canceled", "success"]);
  });

  test("canceling a waiting job starts nothing extra: the head runs on and the job after it waits for it", async () => {
    const t = initConvexTest();
    const head = await one(t, { tag: "head", durationMs: 2000 }, { key: "k" });
    const w1 = await one(t, { tag: "w1" }, { key: "k" });
    const w2 = await one(t, { tag: "w2" }, { key: "k" });
    await runUntil(t, async () => (await runsOf(t, "head")).length === 1);
    await t.mutation(api.pools.cancel, { id: w1 });
    await runUntil(t, async () => (await allCompletions(t)).length === 1);
    const s = await snapshot(t);
    checkKeyInvariants(s, 10);
    expect(s.poolState!.running.map((e) => e.workId)).toEqual([head]);
    expect(await statuses(t, [head, w2])).toEqual([{ state: "running", previousAttempts: 0 }, WAITING]);
    expect(await runTags(t)).toEqual(["head"]);
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["head", "w2"]);
    expect(await startedAt(t)).toEqual({ head: onTime(0), w2: onTime(2000, 2) });
    expect((await onlyResults(t, [head, w1, w2])).map((c) => c.result.kind)).toEqual(["success", "canceled", "success"]);
  });

  test("cancelAll over keyed jobs in a paused pool ends every one canceled, once, and leaves the keys free", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
    const ids: string[] = [];
    for (const key of ["a", "b", "c"]) {
      for (let i = 0; i < 3; i++) ids.push(await one(t, { tag: `${key}${i}` }, { key }));
    }
    ids.push(await one(t, { tag: "unkeyed" }));
    await t.mutation(api.pools.cancelAll, {});
    await runUntilSettled(t);
    expect((await onlyResults(t, ids)).every((c) => c.result.kind === "canceled")).toBe(true);
    expect(await allRuns(t)).toHaveLength(0);
    // Nothing is left queued for the canceled jobs, and the keys are free.
    await t.mutation(api.pools.setConfig, { maxParallelism: 10 });
    const fresh = await one(t, { tag: "fresh" }, { key: "a" });
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["fresh"]);
    expect((await onlyResults(t, [fresh]))[0]!.result.kind).toBe("success");
  });

  test("cancelAll while heads run: the heads' attempts end, every waiter ends canceled without running", async () => {
    const t = initConvexTest();
    const ids: string[] = [];
    for (const key of ["a", "b"]) {
      for (let i = 0; i < 3; i++) ids.push(await one(t, { tag: `${key}${i}`, durationMs: 1000 }, { key }));
    }
    await runUntil(t, async () => (await allRuns(t)).length === 2);
    await t.mutation(api.pools.cancelAll, {});
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["a0", "b0"]);
    const kinds = (await onlyResults(t, ids)).map((c) => c.result.kind);
    expect(kinds).toEqual(["success", "canceled", "canceled", "success", "canceled", "canceled"]);
  });
});

describe("batches", () => {
  test("a batch with one key runs serially, in argument order", async () => {
    const t = initConvexTest();
    const ids = await enqueue(
      t,
      [0, 1, 2, 3].map((i) => ({ tag: `s${i}`, durationMs: 1000, pool: "s" })),
      { key: "serial" },
    );
    await settleChecked(t, 10);
    expect(await maxInFlight(t, "s")).toBe(1);
    expect(await runTags(t)).toEqual(["s0", "s1", "s2", "s3"]);
    expect(Object.values(await startedAt(t))).toEqual(chainOnTime([0, 1000, 2000, 3000]));
    expect((await onlyResults(t, ids)).map((c) => c.at - T0)).toEqual(chainOnTime([1000, 2000, 3000, 4000]));
  });

  test("a batch with keys, one per job, serializes each key's jobs and runs the keys side by side", async () => {
    const t = initConvexTest();
    const keys = ["a", "b", "a", "b", "a"];
    const ids = await enqueue(
      t,
      keys.map((key, i) => ({ tag: `${key}${i}`, durationMs: 1000, pool: key })),
      { keys },
    );
    await settleChecked(t, 10);
    expect(await maxInFlight(t, "a")).toBe(1);
    expect(await maxInFlight(t, "b")).toBe(1);
    // Each key's jobs back to back: the n-th of a key is the n-th start in its chain.
    expect(await startedAt(t)).toEqual({
      a0: onTime(0),
      b1: onTime(0),
      a2: onTime(1000, 2),
      b3: onTime(1000, 2),
      a4: onTime(2000, 3),
    });
    expect((await onlyResults(t, ids)).map((c) => c.at - T0)).toEqual([
      onTime(1000),
      onTime(1000),
      onTime(2000, 2),
      onTime(2000, 2),
      onTime(3000, 3),
    ]);
  });

  test("a batch with a key queues behind a job already holding it", async () => {
    const t = initConvexTest();
    const first = await one(t, { tag: "first", durationMs: 3000 }, { key: "k" });
    const ids = await enqueue(t, [{ tag: "then0" }, { tag: "then1" }], { key: "k" });
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["first", "then0", "then1"]);
    // then1 as soon as then0 (zero-length) ended.
    expect(await startedAt(t)).toEqual({ first: onTime(0), then0: onTime(3000, 2), then1: onTime(3000, 3) });
    expect((await onlyResults(t, [first, ...ids])).every((c) => c.result.kind === "success")).toBe(true);
  });
});

describe("mutation jobs", () => {
  /**
   * Most jobs seen in state running at once, by key (or "none"), looking
   * after every scheduled function. Mutation jobs do not wait on the clock,
   * so the timers can be fired one at a time and each call finished before
   * looking: every state between two calls is seen.
   */
  async function settleCountingOverlap(t: Test) {
    const most = new Map<string, number>();
    for (let step = 0; step < 1000; step++) {
      await t.finishInProgressScheduledFunctions();
      const s = await snapshot(t);
      const counts = new Map<string, number>();
      for (const w of s.work) {
        if (w.state !== "running") continue;
        const key = typeof w.liveKey === "string" ? w.liveKey : "none";
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, n] of counts) most.set(key, Math.max(most.get(key) ?? 0, n));
      if (s.work.every((w) => w.state === "finished") && s.counts.pendingCompletion === 0) return most;
      vi.advanceTimersToNextTimer();
    }
    throw new Error("the pool did not settle");
  }

  test("mutation jobs with a key run one at a time, in order, a failure releasing the key like a success", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
    const keyed = [
      await one(t, { tag: "m0" }, { key: "k" }, { kind: "mutation" }),
      await one(t, { tag: "m1", fail: "refused" }, { key: "k" }, { kind: "mutation" }),
      await one(t, { tag: "m2" }, { key: "k" }, { kind: "mutation" }),
    ];
    const unkeyed = [
      await one(t, { tag: "u0" }, {}, { kind: "mutation" }),
      await one(t, { tag: "u1" }, {}, { kind: "mutation" }),
      await one(t, { tag: "u2" }, {}, { kind: "mutation" }),
    ];
    await t.mutation(api.pools.setConfig, { maxParallelism: 10 });
    const most = await settleCountingOverlap(t);
    // The same observation sees unkeyed mutations started together; keyed ones never are.
    expect(most.get("none")).toBeGreaterThan(1);
    expect(most.get("k")).toBe(1);
    const tags = (await runTags(t)).filter((x) => x.startsWith("m"));
    // m1's writes roll back with its failure, so only m0 and m2 recorded a run.
    expect(tags).toEqual(["m0", "m2"]);
    const results = await onlyResults(t, [...keyed, ...unkeyed]);
    expect(results.map((c) => c.result.kind)).toEqual(["success", "failed", "success", "success", "success", "success"]);
    // In key order: each keyed onComplete after the one before it.
    const order = (await allCompletions(t)).map((c) => c.workId).filter((id) => keyed.some((k) => k === id));
    expect(order).toEqual(keyed);
  });
});

describe("statusTtl 0", () => {
  test("a head whose row is deleted as it finishes still releases its key", async () => {
    const t = initConvexTest();
    const poolOptions = { statusTtl: 0 };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await one(t, { tag: `z${i}`, durationMs: 1000 }, { key: "k" }, { poolOptions }));
    await settleChecked(t, 10);
    expect(await runTags(t)).toEqual(["z0", "z1", "z2"]);
    expect(Object.values(await startedAt(t))).toEqual(chainOnTime([0, 1000, 2000]));
    expect((await onlyResults(t, ids)).map((c) => c.result.kind)).toEqual(["success", "success", "success"]);
    expect((await snapshot(t)).counts.work).toBe(0);
  });
});
