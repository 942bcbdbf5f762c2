// Batches larger than one transaction allows (DESIGN §9), with Convex's
// production limits enforced: from an action, the client's split calls are
// separate transactions and all go through; from a mutation, they share its
// transaction, so it fails whole and nothing is left half-enqueued.
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "./fixture/_generated/api.js";
import { drain, initConvexTest, snapshot } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** 20 jobs of ~900 KB: 18 MB in all, above the 16 MiB a transaction may write. */
const big = () => Array.from({ length: 20 }, (_, i) => ({ tag: `big-${i}`, blob: `${i}:` + "x".repeat(900_000) }));

/**
 * Moving 18 MB through convex-test's validation and size accounting takes a
 * few seconds of CPU, beyond vitest's default 5 s on a busy machine.
 */
const HEAVY_TEST_TIMEOUT_MS = 60_000;

test("a batch above one transaction's write limit, enqueued from an action, is split and goes through in order", async () => {
  const t = initConvexTest({ transactionLimits: true });
  const ids = await t.action(api.pools.enqueueFromAction, {
    kind: "digest",
    args: big(),
    batch: true,
    poolOptions: { statusTtl: 0 },
    callback: "record",
  });
  expect(ids).toHaveLength(20);
  await drain(t);
  const done = await t.run((ctx) => ctx.db.query("completions").collect());
  const byId = new Map(done.map((c) => [c.workId, c.result]));
  // Each job got its own 900 KB blob back intact (length and first chars).
  const sent = big();
  ids.forEach((id, i) => {
    const blob = sent[i]!.blob;
    expect(byId.get(id)).toMatchObject({
      kind: "success",
      returnValue: { tag: `big-${i}`, length: JSON.stringify(blob).length, head: JSON.stringify(blob).slice(0, 40) },
    });
  });
}, HEAVY_TEST_TIMEOUT_MS);

test("the same batch from one mutation fails whole: nothing is enqueued", async () => {
  const t = initConvexTest({ transactionLimits: true });
  await expect(
    t.mutation(api.pools.enqueue, { kind: "digest", args: big(), batch: true, callback: "record" }),
  ).rejects.toThrow();
  const s = await snapshot(t);
  expect(s.counts).toMatchObject({ work: 0, payload: 0, pendingStart: 0, startQueue: 0 });
  expect(s.pendingScheduled).toEqual([]);
}, HEAVY_TEST_TIMEOUT_MS);
