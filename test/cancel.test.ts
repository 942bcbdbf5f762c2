// Cancellation (DESIGN §6; invariants 2, 4 and 5): a pending job never runs
// and ends canceled; a running one finishes its attempt with no retry after
// it; cancel of a finished, unknown or already canceled job is a no-op; and
// cancelAll reaches every job of its own pool enqueued before the call. Each
// case checks what a user sees: exactly one onComplete with the right
// result, the retained status, and (from the app's `runs` table) whether the
// job ran.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { CANCEL_BATCH, START_BATCH } from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
import { drain, initConvexTest, runUntil, snapshot, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Keep outcomes readable after drain (which jumps the clock past 24 h). */
const KEEP = { statusTtl: Infinity };
const RETRY_3 = { maxAttempts: 3, initialBackoffMs: 10_000, base: 2 };

/**
 * onComplete rows of a job. Ids are per pool (two pools can hand out the same
 * id string), so jobs of otherPool carry `context: { pool: "otherPool" }`.
 */
async function completionsOf(t: Test, workId: string, pool: "workpool" | "otherPool" = "workpool") {
  const rows = await t.run((ctx) =>
    ctx.db.query("completions").withIndex("by_workId", (q) => q.eq("workId", workId)).collect(),
  );
  return rows.filter((r) => (r.context?.pool ?? "workpool") === pool);
}
async function allCompletions(t: Test) {
  return await t.run((ctx) => ctx.db.query("completions").collect());
}
async function runsOf(t: Test, tag: string) {
  return await t.run((ctx) => ctx.db.query("runs").withIndex("by_tag", (q) => q.eq("tag", tag)).collect());
}
async function allRuns(t: Test) {
  return await t.run((ctx) => ctx.db.query("runs").collect());
}
function statusOf(t: Test, id: string, pool: "workpool" | "otherPool" = "workpool") {
  return t.query(api.pools.statusOne, { pool, id });
}
async function cancel(t: Test, id: string, pool: "workpool" | "otherPool" = "workpool") {
  await t.mutation(api.pools.cancel, { pool, id });
}

/** The one onComplete a job got: fails unless there is exactly one. */
async function onlyCompletion(t: Test, workId: string, pool: "workpool" | "otherPool" = "workpool") {
  const rows = await completionsOf(t, workId, pool);
  expect(rows, `onComplete calls for ${workId}`).toHaveLength(1);
  return rows[0]!;
}

/** Every job's onComplete results, checked to be exactly one each; returns them in id order. */
async function onlyResults(t: Test, ids: string[], pool: "workpool" | "otherPool" = "workpool") {
  const rows = (await allCompletions(t)).filter((r) => (r.context?.pool ?? "workpool") === pool);
  return ids.map((id) => {
    const mine = rows.filter((r) => r.workId === id);
    expect(mine, `onComplete calls for ${id}`).toHaveLength(1);
    return mine[0]!.result;
  });
}

const finished = (outcome: string, attempts: number, extra: object = {}) => ({
  state: "finished",
  outcome,
  attempts,
  finishedAt: expect.any(Number),
  ...extra,
});

describe("canceling a pending job", () => {
  test("a job waiting for a slot in a paused pool ends canceled and never runs, even once the pool resumes", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "paused" }],
      poolOptions: { maxParallelism: 0, ...KEEP },
      callback: "record",
    });
    await drain(t);
    expect(await statusOf(t, id!)).toEqual({ state: "pending", previousAttempts: 0 });

    await cancel(t, id!);
    await drain(t);
    await t.mutation(api.pools.setConfig, { maxParallelism: 5 });
    await drain(t);

    expect((await onlyCompletion(t, id!)).result).toEqual({ kind: "canceled" });
    expect(await statusOf(t, id!)).toEqual(finished("canceled", 0));
    expect(await runsOf(t, "paused")).toHaveLength(0);
  });

  test("a job waiting behind a long job in a pool of one ends canceled and never runs", async () => {
    const t = initConvexTest();
    const [first, second] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "ahead", durationMs: 5000 }, { tag: "behind" }],
      poolOptions: { maxParallelism: 1, ...KEEP },
      callback: "record",
    });
    await runUntil(t, async () => (await statusOf(t, first!)).state === "running");
    expect(await statusOf(t, second!)).toEqual({ state: "pending", previousAttempts: 0 });

    await cancel(t, second!);
    await drain(t);

    expect((await onlyCompletion(t, second!)).result).toEqual({ kind: "canceled" });
    expect(await statusOf(t, second!)).toEqual(finished("canceled", 0));
    expect(await runsOf(t, "behind")).toHaveLength(0);
    // The job ahead is not affected.
    expect((await onlyCompletion(t, first!)).result.kind).toBe("success");
    expect(await runsOf(t, "ahead")).toHaveLength(1);
  });

  test("a delayed job ends canceled and never runs, even after the clock passes its due time", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "delayed" }],
      options: { runAfter: 60_000 },
      poolOptions: KEEP,
      callback: "record",
    });
    await cancel(t, id!);
    await runUntil(t, async () => (await statusOf(t, id!)).state === "finished");
    expect(await statusOf(t, id!)).toEqual(finished("canceled", 0));

    await vi.advanceTimersByTimeAsync(120_000);
    await drain(t);
    expect(Date.now()).toBeGreaterThan(60_000);
    expect((await onlyCompletion(t, id!)).result).toEqual({ kind: "canceled" });
    expect(await runsOf(t, "delayed")).toHaveLength(0);
    const s = await snapshot(t);
    expect(s.counts).toMatchObject({ pendingStart: 0, pendingCancelation: 0 });
    expect(s.loop.state).toBe("idle");
  });

  test("a job backing off between retries ends canceled with no further run", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "flaky", fail: "flaky failure" }],
      options: { retry: RETRY_3 },
      poolOptions: KEEP,
      callback: "record",
    });
    await runUntil(t, async () => (await statusOf(t, id!)).state === "pending" && (await runsOf(t, "flaky")).length === 1);
    expect(await statusOf(t, id!)).toEqual({ state: "pending", previousAttempts: 1 });

    await cancel(t, id!);
    await drain(t);

    expect((await onlyCompletion(t, id!)).result).toEqual({ kind: "canceled" });
    expect(await statusOf(t, id!)).toEqual(finished("canceled", 1));
    expect(await runsOf(t, "flaky")).toHaveLength(1);
  });

  test("canceling a pending job twice calls onComplete once and queues one request", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "twice" }],
      poolOptions: { maxParallelism: 0, ...KEEP },
      callback: "record",
    });
    await cancel(t, id!);
    await cancel(t, id!);
    expect((await snapshot(t)).counts.pendingCancelation).toBe(1);
    await drain(t);
    await cancel(t, id!);
    await drain(t);

    expect((await onlyCompletion(t, id!)).result).toEqual({ kind: "canceled" });
    expect(await statusOf(t, id!)).toEqual(finished("canceled", 0));
    expect(await runsOf(t, "twice")).toHaveLength(0);
  });
});

describe("canceling a running job", () => {
  /** Enqueues one action and runs the clock until its first attempt is in flight. */
  async function startRunning(t: Test, args: Record<string, unknown>, options: Record<string, unknown>) {
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [args],
      options,
      poolOptions: KEEP,
      callback: "record",
    });
    await runUntil(t, async () => (await statusOf(t, id!)).state === "running");
    return id!;
  }

  test("an attempt that then succeeds ends success with its own return value, and is not run again", async () => {
    const t = initConvexTest();
    const id = await startRunning(t, { tag: "ok", durationMs: 5000, returns: { answer: 42 } }, { retry: RETRY_3 });
    await cancel(t, id);
    await drain(t);

    expect((await onlyCompletion(t, id)).result).toEqual({ kind: "success", returnValue: { answer: 42 } });
    expect(await statusOf(t, id)).toEqual(finished("success", 1));
    expect(await runsOf(t, "ok")).toHaveLength(1);
  });

  test("an attempt that then fails and would have retried ends canceled, having run once", async () => {
    const t = initConvexTest();
    const id = await startRunning(t, { tag: "doomed", durationMs: 5000, fail: "boom" }, { retry: RETRY_3 });
    await cancel(t, id);
    await drain(t);

    expect((await onlyCompletion(t, id)).result).toEqual({ kind: "canceled" });
    expect(await statusOf(t, id)).toEqual(finished("canceled", 1));
    expect(await runsOf(t, "doomed")).toHaveLength(1);
  });

  test("an attempt that then fails with no retries configured ends failed with its error", async () => {
    const t = initConvexTest();
    const id = await startRunning(t, { tag: "once", durationMs: 5000, fail: "no second chance" }, { retry: false });
    await cancel(t, id);
    await drain(t);

    const { result } = await onlyCompletion(t, id);
    expect(result).toEqual({ kind: "failed", error: expect.stringContaining("no second chance") });
    expect(await statusOf(t, id)).toEqual(finished("failed", 1, { error: expect.stringContaining("no second chance") }));
    expect(await runsOf(t, "once")).toHaveLength(1);
  });

  test("the last allowed attempt that then fails ends failed, not canceled", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "last", durationMs: 5000, fail: "still broken" }],
      options: { retry: { maxAttempts: 2, initialBackoffMs: 1000, base: 2 } },
      poolOptions: KEEP,
      callback: "record",
    });
    await runUntil(t, async () => {
      const s = await statusOf(t, id!);
      return s.state === "running" && s.previousAttempts === 1;
    });
    await cancel(t, id!);
    await drain(t);

    expect((await onlyCompletion(t, id!)).result).toEqual({
      kind: "failed",
      error: expect.stringContaining("still broken"),
    });
    expect(await statusOf(t, id!)).toEqual(finished("failed", 2, { error: expect.stringContaining("still broken") }));
    expect(await runsOf(t, "last")).toHaveLength(2);
  });
});

describe("canceling a finished or unknown job", () => {
  test("canceling a finished job is a no-op: no second onComplete, status unchanged", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "done", returns: "yes" }],
      poolOptions: KEEP,
      callback: "record",
    });
    await drain(t);
    const before = await statusOf(t, id!);
    expect(before).toEqual(finished("success", 1));

    await cancel(t, id!);
    await cancel(t, id!);
    await drain(t);

    expect((await onlyCompletion(t, id!)).result).toEqual({ kind: "success", returnValue: "yes" });
    expect(await statusOf(t, id!)).toEqual(before);
    expect((await snapshot(t)).counts.pendingCancelation).toBe(0);
  });

  test("canceling a well-formed id whose row is gone (statusTtl 0) is a no-op without error", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "forgotten" }],
      poolOptions: { statusTtl: 0 },
      callback: "record",
    });
    await drain(t);
    expect((await snapshot(t)).counts.work).toBe(0);

    await expect(cancel(t, id!)).resolves.toBeUndefined();
    await expect(cancel(t, id!)).resolves.toBeUndefined();
    await drain(t);

    expect(await statusOf(t, id!)).toEqual({ state: "finished" });
    expect((await onlyCompletion(t, id!)).result.kind).toBe("success");
    const s = await snapshot(t);
    expect(s.counts).toMatchObject({ work: 0, pendingCancelation: 0 });
    expect(s.pendingScheduled).toEqual([]);
  });
});

describe("cancelAll", () => {
  test("cancels every pending job of its pool across many pages, and only its own pool", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: Array.from({ length: 150 }, (_, i) => ({ tag: `mass-${i}` })),
      poolOptions: { maxParallelism: 0, ...KEEP },
      callback: "record",
    });
    const otherIds = await t.mutation(api.pools.enqueue, {
      pool: "otherPool",
      kind: "action",
      args: Array.from({ length: 5 }, (_, i) => ({ tag: `other-${i}`, pool: "otherPool" })),
      options: { context: { pool: "otherPool" } },
      poolOptions: { maxParallelism: 0, ...KEEP },
      callback: "record",
    });

    await t.mutation(api.pools.cancelAll, { limit: 20 });
    await drain(t);
    // Resuming shows nothing was left pending behind the pages.
    await t.mutation(api.pools.setConfig, { maxParallelism: 10 });
    await t.mutation(api.pools.setConfig, { pool: "otherPool", maxParallelism: 5 });
    await drain(t);

    expect(await onlyResults(t, ids)).toEqual(ids.map(() => ({ kind: "canceled" })));
    const statuses = await t.query(api.pools.status, { ids });
    expect(statuses).toEqual(ids.map(() => finished("canceled", 0)));
    const runs = await allRuns(t);
    expect(runs.filter((r) => r.tag.startsWith("mass-"))).toEqual([]);

    expect((await onlyResults(t, otherIds, "otherPool")).map((r) => r.kind)).toEqual(otherIds.map(() => "success"));
    expect(runs.filter((r) => r.tag.startsWith("other-"))).toHaveLength(5);
    expect(await allCompletions(t)).toHaveLength(155);
    expect((await snapshot(t)).counts.pendingCancelation).toBe(0);
  });

  test("running jobs finish their attempt with no retry; pending ones never run", async () => {
    const t = initConvexTest();
    const running = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [
        { tag: "run-fail", durationMs: 5000, fail: "failing while canceled" },
        { tag: "run-ok", durationMs: 5000, returns: "finished anyway" },
      ],
      options: { retry: RETRY_3 },
      poolOptions: { maxParallelism: 2, ...KEEP },
      callback: "record",
    });
    const waiting = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "wait-0" }, { tag: "wait-1" }, { tag: "wait-2" }],
      options: { retry: RETRY_3 },
      poolOptions: { maxParallelism: 2, ...KEEP },
      callback: "record",
    });
    await runUntil(t, async () => (await runsOf(t, "run-ok")).length === 1 && (await runsOf(t, "run-fail")).length === 1);

    await t.mutation(api.pools.cancelAll, {});
    await drain(t);

    expect((await onlyCompletion(t, running[0]!)).result).toEqual({ kind: "canceled" });
    expect((await onlyCompletion(t, running[1]!)).result).toEqual({ kind: "success", returnValue: "finished anyway" });
    expect(await runsOf(t, "run-fail")).toHaveLength(1);
    expect(await runsOf(t, "run-ok")).toHaveLength(1);
    for (const [i, id] of waiting.entries()) {
      expect((await onlyCompletion(t, id)).result).toEqual({ kind: "canceled" });
      expect(await runsOf(t, `wait-${i}`)).toHaveLength(0);
    }
  });

  test("includes jobs enqueued earlier in the same transaction: all end canceled and none runs", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueueThenCancelAll, { n: 40, tag: "same-tx", poolOptions: KEEP });
    expect(ids).toHaveLength(40);
    await drain(t);

    expect(await onlyResults(t, ids)).toEqual(ids.map(() => ({ kind: "canceled" })));
    expect(await t.query(api.pools.status, { ids })).toEqual(ids.map(() => finished("canceled", 0)));
    expect((await allRuns(t)).filter((r) => r.tag.startsWith("same-tx-"))).toEqual([]);
  });

  test("a later enqueue is not canceled by an earlier cancelAll", async () => {
    const t = initConvexTest();
    const [early] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "early" }],
      poolOptions: { maxParallelism: 0, ...KEEP },
      callback: "record",
    });
    await t.mutation(api.pools.cancelAll, {});
    const [late] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "late" }],
      poolOptions: { maxParallelism: 2, ...KEEP },
      callback: "record",
    });
    await drain(t);
    expect((await onlyCompletion(t, early!)).result).toEqual({ kind: "canceled" });
    expect((await onlyCompletion(t, late!)).result.kind).toBe("success");
    expect(await runsOf(t, "late")).toHaveLength(1);
  });

  test("cancelAll on an empty pool, and repeated, is a no-op", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.cancelAll, {});
    await t.mutation(api.pools.cancelAll, { limit: 1 });
    await drain(t);
    const s = await snapshot(t);
    expect(s.counts).toMatchObject({ work: 0, pendingCancelation: 0 });
    expect(s.pendingScheduled).toEqual([]);
  });
});

describe("cancel requests beyond one loop iteration", () => {
  // Regression: the loop applies at most CANCEL_BATCH (64) cancel requests
  // per iteration; it used to start due jobs in the same iteration although
  // some of them still had a request queued, so jobs canceled while pending
  // ran (6 of these 70).
  test("70 pending jobs canceled in one call before the loop runs: none of them runs", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: 70 }, (_, i) => ({ tag: `burst-${i}` })),
      poolOptions: { maxParallelism: 10, ...KEEP },
      callback: "record",
    });
    // One page of 100 covers all 70 jobs: every request is queued at once.
    await t.mutation(api.pools.cancelAll, { limit: 100 });
    await drain(t);
    expect((await allRuns(t)).map((r) => r.tag)).toEqual([]);
    expect(await onlyResults(t, ids)).toEqual(ids.map(() => ({ kind: "canceled" })));
  });

  // Regression: cancelAll continues in scheduled pages and the loop runs
  // between them; it used to start jobs that were pending at the call but
  // lay beyond the first page (paged-20…paged-29 ran and ended success).
  test("cancelAll over several pages on a working pool: no job pending at the call runs", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: 60 }, (_, i) => ({ tag: `paged-${i}` })),
      poolOptions: { maxParallelism: 10, ...KEEP },
      callback: "record",
    });
    await t.mutation(api.pools.cancelAll, { limit: 20 });
    // The loop call the enqueue scheduled runs first, before the page that
    // cancelAll scheduled after it (fired alone, synchronously, so the order
    // does not depend on how the test runner interleaves them).
    // (The watchdog the wake scheduled fires a minute later.)
    const due = (await snapshot(t)).pendingScheduled.filter((f) => f.name !== "loop:watchdog");
    expect(due.map((f) => f.name)).toEqual(["loop:main", "lib:cancelAllPage"]);
    vi.advanceTimersToNextTimer();
    await t.finishInProgressScheduledFunctions();
    await drain(t);
    expect((await allRuns(t)).map((r) => r.tag)).toEqual([]);
    expect(await onlyResults(t, ids)).toEqual(ids.map(() => ({ kind: "canceled" })));
  });

  // Regression: jobs canceled under a cancelAll barrier take no slot, so
  // they once went unbounded (up to 3,200 per iteration); they now share the
  // iteration's CANCEL_BATCH budget (invariant 8).
  test("a cancelAll over a large backlog ends at most one batch of jobs per loop iteration", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: 200 }, (_, i) => ({ tag: `backlog-${i}` })),
      poolOptions: { maxParallelism: 10, ...KEEP },
      callback: "record",
    });
    await t.mutation(api.pools.cancelAll, { limit: 20 });
    // The first loop iteration: it applies the first page's 20 requests,
    // then meets the other 180 jobs in the queue under the barrier.
    vi.advanceTimersToNextTimer();
    await t.finishInProgressScheduledFunctions();
    const endedInOneIteration = (await snapshot(t)).work.filter((w) => w.state === "finished").length;
    expect(endedInOneIteration).toBeLessThanOrEqual(Math.max(CANCEL_BATCH, START_BATCH));

    await drain(t);
    expect((await allRuns(t)).map((r) => r.tag)).toEqual([]);
    expect(await onlyResults(t, ids)).toEqual(ids.map(() => ({ kind: "canceled" })));
  });

  test("a job enqueued after a cancelAll that is still paging is not canceled by it", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: 30 }, (_, i) => ({ tag: `old-${i}` })),
      poolOptions: { maxParallelism: 10, ...KEEP },
      callback: "record",
    });
    await t.mutation(api.pools.cancelAll, { limit: 10 });
    // Enqueued while later pages are still to come.
    const [fresh] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "fresh" }],
      poolOptions: { maxParallelism: 10, ...KEEP },
      callback: "record",
    });
    await drain(t);
    expect((await onlyCompletion(t, fresh!)).result.kind).toBe("success");
    expect(await runsOf(t, "fresh")).toHaveLength(1);
    expect((await allRuns(t)).filter((r) => r.tag.startsWith("old-"))).toEqual([]);
    expect((await snapshot(t)).counts).toMatchObject({ pendingCancelation: 0 });
  });
});

/** A small seeded PRNG (mulberry32), so a failing sequence can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

type JobRecord = {
  id: string;
  tag: string;
  maxAttempts: number;
  /** The status the job had when a cancel was made, if one was. */
  canceledAt?: { state: string; previousAttempts?: number };
};

describe("randomized interleavings", () => {
  test.each([22, 33])(
    "seed %i: enqueue, cancel and clock steps in any order leave each job exactly one onComplete, and jobs canceled while pending never run again",
    async (seed) => {
      const t = initConvexTest();
      const random = prng(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
      const jobs: JobRecord[] = [];
      for (let step = 0; step < 50; step++) {
        const r = random();
        if (r < 0.4 || jobs.length === 0) {
          const tag = `r${seed}-${jobs.length}`;
          const kind = random() < 0.7 ? "action" : "mutation";
          const fails = kind === "action" && random() < 0.4;
          const maxAttempts = kind === "action" ? pick([1, 2, 3]) : 1;
          const options: Record<string, unknown> = {};
          if (random() < 0.3) options.runAfter = Math.floor(random() * 5000);
          if (kind === "action") options.retry = { maxAttempts, initialBackoffMs: 500, base: 2 };
          const [id] = await t.mutation(api.pools.enqueue, {
            kind,
            args: [
              {
                tag,
                ...(kind === "action" ? { durationMs: pick([0, 1000, 5000, 20_000]) } : {}),
                ...(fails ? { fail: "random failure" } : {}),
              },
            ],
            options,
            poolOptions: { maxParallelism: 2, ...KEEP },
            callback: "record",
          });
          jobs.push({ id: id!, tag, maxAttempts });
        } else if (r < 0.7) {
          const job = pick(jobs);
          const before = (await t.mutation(api.pools.statusThenCancel, { id: job.id })) as JobRecord["canceledAt"];
          job.canceledAt ??= before;
        } else {
          await vi.advanceTimersByTimeAsync(Math.floor(random() * 4000));
        }
      }
      await drain(t);
      // The sequence reached the case this test is about.
      expect(jobs.some((j) => j.canceledAt?.state === "pending")).toBe(true);

      const statuses = await t.query(api.pools.status, { ids: jobs.map((j) => j.id) });
      for (const [i, job] of jobs.entries()) {
        const { result } = await onlyCompletion(t, job.id);
        const runs = (await runsOf(t, job.tag)).length;
        expect(statuses[i], job.tag).toMatchObject({ state: "finished", outcome: result.kind });
        expect(runs, job.tag).toBeLessThanOrEqual(job.maxAttempts);
        if (job.canceledAt?.state === "pending") {
          // Canceled while waiting: it never started again.
          expect(result, job.tag).toEqual({ kind: "canceled" });
          expect(runs, job.tag).toBe(job.canceledAt.previousAttempts);
        } else if (job.canceledAt?.state === "running") {
          // The attempt in flight was the last.
          expect(runs, job.tag).toBe((job.canceledAt.previousAttempts ?? 0) + 1);
        } else if (job.canceledAt === undefined) {
          expect(result.kind, job.tag).not.toBe("canceled");
        }
      }
      const s = await snapshot(t);
      expect(s.counts).toMatchObject({ pendingStart: 0, startQueue: 0, pendingCancelation: 0, pendingCompletion: 0 });
      expect(s.loop.state).toBe("idle");
    },
  );
});

describe("cancelAll reads live jobs only", () => {
  // It used to walk every work row by creation time, finished ones kept for
  // their status included: a page per `limit` retained outcomes.
  test("300 finished jobs kept for their status cost no page: 5 pending ones at limit 2 take one running and three pending pages", async () => {
    const t = initConvexTest();
    const done = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: 300 }, (_, i) => ({ tag: `done-${i}` })),
      poolOptions: { maxParallelism: 50, ...KEEP },
    });
    await drain(t);
    expect((await t.query(api.pools.status, { ids: done })).every((s) => s.state === "finished" && s.outcome === "success")).toBe(true);
    await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
    const pending = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: 5 }, (_, i) => ({ tag: `pending-${i}` })),
      poolOptions: KEEP,
      callback: "record",
    });
    const before = (await snapshot(t)).scheduledByName["lib:cancelAllPage"] ?? 0;
    // Paused, so the pages (not the loop's start step) meet every job.
    await t.mutation(api.pools.cancelAll, { limit: 2 });
    await drain(t);
    // The call's own page (running, none) schedules the pending walk: pages
    // of 2, 2 and 1 jobs.
    expect(((await snapshot(t)).scheduledByName["lib:cancelAllPage"] ?? 0) - before).toBe(3);
    expect(await onlyResults(t, pending)).toEqual(pending.map(() => ({ kind: "canceled" })));
    expect((await allRuns(t)).filter((r) => r.tag.startsWith("pending-"))).toEqual([]);
    // The finished jobs keep their outcome.
    expect((await t.query(api.pools.status, { ids: done })).every((s) => s.state === "finished" && s.outcome === "success")).toBe(true);
  });

  test("a running job that fails and retries while cancelAll walks is still canceled, and runs no more", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "flaky", durationMs: 1000, fail: "boom", failRuns: 5 }],
      options: { retry: { maxAttempts: 5, initialBackoffMs: 100, base: 1 } },
      poolOptions: KEEP,
      callback: "record",
    });
    await runUntil(t, async () => (await statusOf(t, id!)).state === "running");
    await t.mutation(api.pools.cancelAll, { limit: 1 });
    await drain(t);
    expect(await onlyResults(t, [id!])).toEqual([{ kind: "canceled" }]);
    expect((await runsOf(t, "flaky")).length).toBe(1);
  });
});
