// Backlog (DESIGN §7 "bounded transactions", invariant 8): a backlog of
// BACKLOG_N jobs (50,000 by default) across immediate, delayed and retrying
// jobs drains completely with Convex's production per-transaction limits
// enforced, and every loop iteration reads and writes no more than the
// bounds derived from the batch constants — far below those limits.
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import {
  CANCEL_BATCH,
  LOOP_MAX_DOCUMENTS_READ,
  LOOP_MAX_DOCUMENTS_WRITTEN,
  LOOP_MAX_QUERIES,
} from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
import { drain, initConvexTest, snapshot } from "./setup.js";

const N = Number(process.env.BACKLOG_N ?? 50_000);
/** Convex's limits per transaction (DESIGN §9). */
const CONVEX_MAX_DOCUMENTS_READ = 32_000;
const CONVEX_MAX_DOCUMENTS_WRITTEN = 16_000;
const CONVEX_MAX_QUERIES = 4_096;
/** Jobs per enqueuing mutation (the client splits a batch at 1,000). */
const PER_CALL = 1000;

type Metric = { used: number; remaining: number };
type Metrics = Record<"documentsRead" | "documentsWritten" | "databaseQueries" | "bytesRead" | "functionsScheduled", Metric>;

beforeEach(() => {
  vi.useFakeTimers();
  // maxParallelism 200 warns once per pool object; the test makes many.
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  (globalThis as { __workpoolObserver?: unknown }).__workpoolObserver = undefined;
});

test(`a backlog of ${N} jobs drains with every loop iteration within its bounds`, async () => {
  const t = initConvexTest({ transactionLimits: true });
  const iterations: Metrics[] = [];
  (globalThis as { __workpoolObserver?: (p: string, m: unknown) => void }).__workpoolObserver = (_p, m) =>
    iterations.push(m as Metrics);
  const heapBefore = process.memoryUsage().heapUsed;

  for (let start = 0; start < N; start += PER_CALL) {
    const count = Math.min(PER_CALL, N - start);
    const call = start / PER_CALL;
    // A mix: immediate actions, delayed ones, and ones that fail once and retry.
    const delayed = call % 5 === 1;
    const retrying = call % 5 === 2;
    await t.mutation(api.pools.enqueue, {
      kind: "noop",
      // A retrying job's first attempt, at the latest now + 1 s of backlog, fails.
      args: Array.from({ length: count }, () => (retrying ? { failBefore: Date.now() + 1 } : {})),
      batch: true,
      options: {
        ...(delayed ? { runAfter: 1000 * (1 + (call % 7)) } : {}),
        ...(retrying ? { retry: { maxAttempts: 2, initialBackoffMs: 500, base: 2 } } : {}),
      },
      poolOptions: { maxParallelism: 200, statusTtl: 0 },
      callback: "record",
    });
  }

  await drain(t, 1_000_000);

  const s = await snapshot(t);
  expect(s.counts).toMatchObject({ work: 0, pendingStart: 0, startQueue: 0, pendingCompletion: 0 });
  expect(s.pendingScheduled).toEqual([]);
  // Read page by page: one transaction may read at most 32,000 documents.
  const results: string[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: { page: { result: { kind: string } }[]; isDone: boolean; continueCursor: string } = await t.run(
      (ctx) => ctx.db.query("completions").paginate({ numItems: 10_000, cursor }),
    );
    results.push(...page.page.map((c) => c.result.kind));
    if (page.isDone) break;
    cursor = page.continueCursor;
  }
  expect(results).toHaveLength(N);
  expect(results.every((kind) => kind === "success")).toBe(true);

  const max = (k: keyof Metrics) => Math.max(...iterations.map((m) => m[k].used));
  expect(iterations.length).toBeGreaterThan(N / 200);
  expect(max("documentsRead")).toBeLessThanOrEqual(LOOP_MAX_DOCUMENTS_READ);
  expect(max("documentsWritten")).toBeLessThanOrEqual(LOOP_MAX_DOCUMENTS_WRITTEN);
  expect(LOOP_MAX_DOCUMENTS_READ).toBeLessThan(CONVEX_MAX_DOCUMENTS_READ / 10);
  expect(LOOP_MAX_DOCUMENTS_WRITTEN).toBeLessThan(CONVEX_MAX_DOCUMENTS_WRITTEN / 10);
  expect(max("databaseQueries")).toBeLessThanOrEqual(LOOP_MAX_QUERIES);
  // Index ranges: Convex counts one per db.get too, so each job examined or
  // canceled costs one; the bound is about a quarter of the limit.
  expect(LOOP_MAX_QUERIES).toBeLessThan(CONVEX_MAX_QUERIES / 3);
  // Memory stays bounded: convex-test itself keeps every scheduled function's
  // record (about 180 MiB at 50,000 jobs); far below what would signal a leak
  // of whole job rows or payloads.
  const heapGrowthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  expect(heapGrowthMiB).toBeLessThan(1024);
  console.info(
    `backlog ${N}: ${iterations.length} loop iterations; max per iteration: ` +
      `${max("documentsRead")} docs read (bound ${LOOP_MAX_DOCUMENTS_READ}), ` +
      `${max("documentsWritten")} written (bound ${LOOP_MAX_DOCUMENTS_WRITTEN}), ` +
      `${max("databaseQueries")} queries, ${max("functionsScheduled")} scheduled, ` +
      `${Math.round(max("bytesRead") / 1024)} KiB read; heap +${Math.round((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20)} MiB`,
  );
}, 600_000);

test("an iteration that cancels a full batch of delayed keyed jobs with large args stays within its bounds", async () => {
  const t = initConvexTest({ transactionLimits: true });
  const iterations: Metrics[] = [];
  (globalThis as { __workpoolObserver?: (p: string, m: unknown) => void }).__workpoolObserver = (_p, m) =>
    iterations.push(m as Metrics);
  await t.mutation(api.pools.setConfig, { maxParallelism: 0 });
  // Two jobs per key, each with args in a payload row, due in 10 s: every
  // cancel of a key's first job hands its payload to payload:discard,
  // queues the key's next job, and takes the job out of its delayed count.
  const keys = Array.from({ length: 2 * CANCEL_BATCH }, (_, i) => `k${Math.floor(i / 2)}`);
  const ids = await t.mutation(api.pools.enqueue, {
    kind: "digest",
    args: keys.map((_, i) => ({ tag: `d${i}`, blob: "x".repeat(20_000) })),
    batch: true,
    options: { keys, runAfter: 10_000 },
    poolOptions: { statusTtl: 0 },
    callback: "record",
  });
  for (let i = 0; i < ids.length; i += 2) await t.mutation(api.pools.cancel, { id: ids[i]! });
  await t.mutation(api.pools.setConfig, { maxParallelism: 200 });
  await drain(t);
  const done = await t.run((ctx) => ctx.db.query("completions").collect());
  expect(done.filter((c) => c.result.kind === "canceled")).toHaveLength(CANCEL_BATCH);
  expect(done.filter((c) => c.result.kind === "success")).toHaveLength(CANCEL_BATCH);
  const max = (k: keyof Metrics) => Math.max(...iterations.map((m) => m[k].used));
  // One iteration applied all the cancels: each reads its job, its key's
  // next job and its delayed count by a range of its own.
  expect(max("databaseQueries")).toBeGreaterThan(3 * CANCEL_BATCH);
  expect((await snapshot(t)).counts.payload).toBe(0);
  expect(max("documentsRead")).toBeLessThanOrEqual(LOOP_MAX_DOCUMENTS_READ);
  expect(max("documentsWritten")).toBeLessThanOrEqual(LOOP_MAX_DOCUMENTS_WRITTEN);
  expect(max("databaseQueries")).toBeLessThanOrEqual(LOOP_MAX_QUERIES);
});
