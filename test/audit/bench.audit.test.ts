// The bench's conflict-audit wiring (bench/driver.ts, `audit: true`): tiny
// runs of a batch and a stream, through the same code path as `npm run
// bench`, for this package and for the published 0.5.0. Each must come back
// with a report whose kinds are all known to the package's kind table (a
// renamed function would show up as its raw name), whose matrix is not
// empty, and which saw every loop run the bench's own counters saw.
import { afterAll, describe, expect, test } from "vitest";
import {
  AUDIT_KIND_TABLES,
  VARIANTS,
  restoreClock,
  runWorkload,
  type RunResult,
  type Workload,
} from "../../bench/driver.js";
import { pairsPerJob } from "./index.js";

afterAll(() => restoreClock());

/** Each package's loop as the bench counts it (bench/report.ts, "loop runs"). */
const LOOP_FUNCTION = { ours: "loop:main", published050: "batchWorker/loop:loop" } as const;

const BATCH: Workload = { shape: "batch", kind: "action", maxParallelism: 10 };
const STREAM: Workload = { shape: "stream", kind: "mutation", maxParallelism: 10, intervalMs: 20 };
/** Small enough to keep the test fast; 30 actions at p = 10 take three waves. */
const BATCH_N = 30;
const STREAM_N = 5;

function audited(r: RunResult) {
  expect(r.conflicts, "the run was audited").toBeDefined();
  return r.conflicts!;
}

describe.each(["ours", "pub050"] as const)("the bench's conflict audit of %s", (id) => {
  const variant = VARIANTS.find((v) => v.id === id)!;
  const pool = variant.pool as keyof typeof LOOP_FUNCTION;
  const known = new Set(Object.values(AUDIT_KIND_TABLES[pool]!));

  test("a batch of actions: enqueue, loop and report transactions, all of known kinds, paired and reported per job", async () => {
    const r = await runWorkload(variant, BATCH, BATCH_N, { audit: true });
    const { report, transactions } = audited(r);
    expect(report.jobs).toBe(BATCH_N);
    for (const kind of Object.keys(report.kinds)) expect(known, `kind ${kind}`).toContain(kind);
    expect(Object.keys(report.kinds)).toEqual(expect.arrayContaining(["enqueue", "loop", "report"]));
    // One enqueue call for the 30 jobs (the bench enqueues 100 per call).
    expect(report.kinds.enqueue).toBe(1);
    // Every loop run the bench counted, in the drain and after it, is one
    // loop transaction of the audit.
    const loopRuns = (r.counts.byFunction[LOOP_FUNCTION[pool]] ?? 0) + (r.after.byFunction[LOOP_FUNCTION[pool]] ?? 0);
    expect(report.kinds.loop).toBe(loopRuns);
    expect(transactions).toBeGreaterThanOrEqual(Object.values(report.kinds).reduce((a, b) => a + b, 0));
    // The loop was paired with the reports of its workers, in both tables.
    const loopReport = report.kindPairs.find((p) => p.kinds.join() === "loop,report");
    expect(loopReport?.pairs).toBeGreaterThan(0);
    expect(report.cells.some((c) => c.reader === "loop" && c.pairs > 0)).toBe(true);
    expect(pairsPerJob(report)).toBe(report.kindPairs.reduce((a, p) => a + p.conflicts, 0) / BATCH_N);
  });

  test("a stream of mutations: one enqueue per job, the loop paired with enqueues", async () => {
    const r = await runWorkload(variant, STREAM, STREAM_N, { audit: true });
    const { report } = audited(r);
    for (const kind of Object.keys(report.kinds)) expect(known, `kind ${kind}`).toContain(kind);
    expect(report.kinds.enqueue).toBe(STREAM_N);
    expect(report.kindPairs.find((p) => p.kinds.join() === "enqueue,loop")?.pairs).toBeGreaterThan(0);
    // A mutation job is run, and reported, by one transaction of its own:
    // ours reports in it ("report"); 0.5.0's wrapper schedules a separate
    // report ("worker", then "report").
    expect(report.kinds.report).toBeGreaterThanOrEqual(STREAM_N);
    if (pool === "published050") expect(report.kinds.worker).toBe(STREAM_N);
  });
});

test("a package without a kind table is not audited", async () => {
  const v0412 = VARIANTS.find((v) => v.id === "pub0412")!;
  await expect(runWorkload(v0412, BATCH, 1, { audit: true })).rejects.toThrow(/no conflict-audit kinds for published0412/);
});
