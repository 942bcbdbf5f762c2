// Large values (DESIGN §9): args and context up to Convex's 1 MiB document
// limit reach the job and onComplete intact; values above the inline
// threshold live in `payload` rows so the `work` row the loop reads stays
// small, and those rows go when the job does; a batch larger than one
// component call allows is split by the client and still returns ids in
// order. (Values above 1 MiB are rejected: see bad-input.test.ts.)
import { getConvexSize } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { CLIENT_BATCH_MAX_BYTES, DAY, INLINE_VALUE_MAX_BYTES, MAX_VALUE_BYTES } from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
// The fingerprint the digest jobs compute, to compare with what was sent.
import { fingerprint } from "./fixture/jobs.js";
import { drain, initConvexTest, runUntil, snapshot, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** `chars` characters of seeded pseudo-random text: no repetition a bug could hide in. */
function text(chars: number, seed: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_/";
  let state = seed >>> 0 || 1;
  const out: string[] = new Array<string>(chars);
  for (let i = 0; i < chars; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = alphabet[(state >>> 0) % alphabet.length]!;
  }
  return out.join("");
}

async function completions(t: Test) {
  return await t.run((ctx) => ctx.db.query("completions").collect());
}

// Built once: generating them costs more than the tests.
const bigArgs = { tag: "big", blob: { text: text(1_000_000, 1), list: [1, 2, 3], nested: { flag: true } } };
const bigContext = { note: text(1_000_000, 2), n: 7 };

describe("values of about 1 MB", () => {
  test("the fixtures are just under Convex's 1 MiB limit and above the inline threshold", () => {
    for (const value of [bigArgs, bigContext]) {
      const bytes = getConvexSize(value);
      expect(bytes).toBeLessThanOrEqual(MAX_VALUE_BYTES);
      expect(bytes).toBeGreaterThan(0.95 * MAX_VALUE_BYTES);
      expect(bytes).toBeGreaterThan(INLINE_VALUE_MAX_BYTES);
    }
  });

  test.each(["action", "mutation"] as const)(
    "a %s job gets its ~1 MB args intact, onComplete gets its ~1 MB context unchanged, and nothing is left behind",
    async (kind) => {
      const t = initConvexTest();
      const [id] = await t.mutation(api.pools.enqueueDigest, {
        kind,
        args: [bigArgs],
        options: { context: bigContext },
        poolOptions: { statusTtl: 0 },
      });
      await drain(t);

      const done = await completions(t);
      expect(done).toHaveLength(1);
      expect(done[0]!.workId).toBe(id);
      expect(done[0]!.result).toEqual({ kind: "success", returnValue: { tag: "big", ...fingerprint(bigArgs.blob) } });
      expect(done[0]!.context).toEqual(bigContext);
      const runs = await t.run((ctx) => ctx.db.query("runs").collect());
      expect(runs.map((r) => [r.tag, r.kind])).toEqual([["big", kind]]);
      // statusTtl 0: the job, its args and its context leave nothing behind.
      expect((await snapshot(t)).counts).toMatchObject({ work: 0, payload: 0 });
    },
  );
});

describe("payload rows", () => {
  test("large args and context live in payload rows; the work row holds only their ids and stays small", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueueDigest, {
      kind: "action",
      args: [bigArgs],
      options: { context: bigContext },
      poolOptions: { maxParallelism: 0, statusTtl: 0 },
    });
    const s = await snapshot(t);
    expect(s.counts.payload).toBe(2);
    const work = s.work.find((w) => w._id === id)!;
    expect(work.argsPayloadId).toEqual(expect.any(String));
    expect(work.fnArgs).toBeUndefined();
    const onComplete = work.onComplete as Record<string, unknown>;
    expect(onComplete.contextPayloadId).toEqual(expect.any(String));
    expect(onComplete.context).toBeUndefined();
    expect(JSON.stringify(work).length).toBeLessThan(1000);
  });

  test("small args and context stay inline, with no payload row", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueueDigest, {
      kind: "action",
      args: [{ tag: "small", blob: { text: "tiny" } }],
      options: { context: { n: 1 } },
      poolOptions: { maxParallelism: 0 },
    });
    const s = await snapshot(t);
    expect(s.counts.payload).toBe(0);
    expect(s.work[0]!.fnArgs).toEqual({ tag: "small", blob: { text: "tiny" } });
  });

  test("with retention, the args and context payloads go once the job has finished and its onComplete has run; the row stays for its status", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueueDigest, {
      kind: "mutation",
      args: [bigArgs],
      options: { context: bigContext },
    });
    await runUntil(
      t,
      async () =>
        (await t.query(api.pools.statusOne, { id: id! })).state === "finished" && (await snapshot(t)).counts.payload === 0,
    );
    // Finished and retained: nothing reads its args or context again, so
    // their payload rows went (deleted by payload:discard, scheduled by the
    // job's completion); the row keeps the outcome, without them.
    expect(await t.query(api.pools.statusOne, { id: id! })).toMatchObject({ state: "finished", outcome: "success" });
    let s = await snapshot(t);
    expect(s.counts).toMatchObject({ work: 1, payload: 0 });
    expect(s.work[0]!.argsPayloadId).toBeUndefined();
    expect(s.work[0]!.onComplete).toBeUndefined();

    await vi.advanceTimersByTimeAsync(DAY);
    await drain(t);
    s = await snapshot(t);
    expect(s.counts).toMatchObject({ work: 0, payload: 0 });
  });

  test("a canceled job with large args and context leaves no payload row behind", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueueDigest, {
      kind: "action",
      args: [bigArgs],
      options: { context: bigContext },
      poolOptions: { maxParallelism: 0, statusTtl: 0 },
    });
    await t.mutation(api.pools.cancel, { id: id! });
    await drain(t);
    const done = await completions(t);
    expect(done.map((c) => c.result)).toEqual([{ kind: "canceled" }]);
    expect(done[0]!.context).toEqual(bigContext);
    expect((await snapshot(t)).counts).toMatchObject({ work: 0, payload: 0 });
  });
});

describe("batches larger than one component call", () => {
  test("10 jobs of 880 KB each (8.8 MB in all) are split across component calls, all run, and ids come back in order", async () => {
    const t = initConvexTest();
    const base = text(880_000, 3);
    const items = Array.from({ length: 10 }, (_, i) => ({
      tag: `part-${i}`,
      blob: `item ${i}|${base}`.slice(0, 880_000),
    }));
    const total = items.reduce((sum, item) => sum + getConvexSize(item), 0);
    expect(total).toBeGreaterThan(CLIENT_BATCH_MAX_BYTES);

    const ids = await t.mutation(api.pools.enqueueDigest, {
      kind: "action",
      args: items,
      poolOptions: { maxParallelism: 0, statusTtl: 0 },
    });
    expect(ids).toHaveLength(items.length);
    expect(new Set(ids).size).toBe(items.length);
    // Each component call queues its own jobs: more than one call was made.
    const s = await snapshot(t);
    expect(s.counts.pendingStart).toBeGreaterThan(1);
    expect(s.counts.payload).toBe(items.length);
    // Ids are in argument order: the rows were created in that order.
    expect(s.work.map((w) => w._id)).toEqual(ids);

    await t.mutation(api.pools.setConfig, { maxParallelism: items.length });
    await drain(t);
    const byId = new Map((await completions(t)).map((c) => [c.workId, c.result]));
    // Each job got its own item: the tag, and the ends and length of its blob.
    expect(ids.map((id) => byId.get(id))).toEqual(
      items.map((item) => {
        const json = JSON.stringify(item.blob);
        return {
          kind: "success",
          returnValue: { tag: item.tag, length: json.length, head: json.slice(0, 40), tail: json.slice(-40), hash: expect.any(Number) },
        };
      }),
    );
    expect((await snapshot(t)).counts).toMatchObject({ work: 0, payload: 0 });
    // 8.8 MB through convex-test's validation takes seconds of CPU: more than
    // vitest's default 5 s on a busy machine.
  }, 60_000);
});
