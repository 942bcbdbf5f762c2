// The conflict report over hand-made transactions, without convex-test:
// which pairs count, per kind and per job, and why; hot and shared documents.
import { describe, expect, test } from "vitest";
import {
  conflictReport,
  conflictsPerJob,
  formatConflictReport,
  pairsPerJob,
  kindsByFunction,
  overlaps,
  reasonOf,
  type DocWrite,
  type ReadRange,
  type RecordedTransaction,
} from "./conflicts.js";
import { PENDING_COMMIT_TS, coveredInterval, pointInterval, requestedInterval, type IndexKey } from "./intervals.js";

let seq = 0;
function tx(name: string, atMs: number, reads: ReadRange[], writes: DocWrite[], extra: Partial<RecordedTransaction> = {}): RecordedTransaction {
  return {
    seq: seq++, name: `pool/${name}`, component: "pool", fn: name, functions: [`pool/${name}`], scheduledBy: null,
    atMs, snapshotTs: 100n, committed: true, reads, writes, ...extra,
  };
}

/** The loop's read of due start-queue rows: rank 0, readyAt ≤ now; ran out. */
function queueRead(now: number): ReadRange {
  const requested = requestedInterval([
    { type: "Eq", fieldPath: "rank", value: 0 },
    { type: "Lte", fieldPath: "readyAt", value: now },
  ]);
  return {
    component: "pool", table: "pendingStart", index: "by_rank_readyAt",
    interval: coveredInterval(requested, "asc", null, true)!,
    via: "query", shape: "rank = ·, readyAt ≤ ·", order: "asc", coverage: "ran out", rows: 0,
  };
}
function queueInsert(id: string, readyAt: number | typeof PENDING_COMMIT_TS, ct = 1): DocWrite {
  const k = (fields: IndexKey) => ({ index: "", key: fields, change: "put" as const });
  return {
    component: "pool", table: "pendingStart", id, op: "insert",
    keys: [
      { ...k([id]), index: "by_id" },
      { ...k([ct, id]), index: "by_creation_time" },
      { ...k([0, readyAt, ct, id]), index: "by_rank_readyAt" },
    ],
  };
}
function getRead(table: string, id: string): ReadRange {
  return {
    component: "pool", table, index: "by_id", interval: pointInterval([id]),
    via: "get", shape: "_id = ·", order: "asc", coverage: "point", rows: 1,
  };
}
function patch(table: string, id: string): DocWrite {
  return {
    component: "pool", table, id, op: "patch",
    keys: [
      { index: "by_id", key: [id], change: "remove" },
      { index: "by_id", key: [id], change: "put" },
    ],
  };
}

const kindOf = kindsByFunction({ "loop:main": "loop", "lib:enqueue": "enqueue", "complete:report": "report" });

describe("overlaps", () => {
  test("an insert inside a range that ran out is a reason, named by table, index, range and write", () => {
    const loop = tx("loop:main", 0, [queueRead(1000)], []);
    const enqueue = tx("lib:enqueue", 0, [], [queueInsert("s1", 1000)]);
    const found = overlaps(loop, enqueue);
    expect(found.map(reasonOf)).toEqual(["pendingStart by_rank_readyAt [rank = ·, readyAt ≤ ·] asc, ran out (whole range) ← insert"]);
    expect(overlaps(enqueue, loop)).toEqual([]);
  });

  test("a point read of a document the writer inserted is no reason (its id came from that commit)", () => {
    const loop = tx("loop:main", 0, [getRead("pendingStart", "s1")], []);
    expect(overlaps(loop, tx("lib:enqueue", 0, [], [queueInsert("s1", 0)]))).toEqual([]);
    expect(overlaps(loop, tx("lib:cancel", 0, [], [patch("pendingStart", "s1")]))).toHaveLength(1);
  });

  test("a write to a document the reader inserted is no reason (the writer came after it)", () => {
    const cancel = tx("lib:cancel", 0, [queueRead(1000)], [queueInsert("s1", 5)]);
    const consumed = { ...patch("pendingStart", "s1"), op: "delete" as const, keys: queueInsert("s1", 5).keys.map((k) => ({ ...k, change: "remove" as const })) };
    expect(overlaps(cancel, tx("loop:main", 0, [], [consumed]))).toEqual([]);
    const other = { ...consumed, id: "s2", keys: queueInsert("s2", 5).keys.map((k) => ({ ...k, change: "remove" as const })) };
    expect(overlaps(cancel, tx("loop:main", 0, [], [other]))).toHaveLength(1);
  });

  test("an insert due later, or in another component, is outside", () => {
    const loop = tx("loop:main", 0, [queueRead(1000)], []);
    expect(overlaps(loop, tx("lib:enqueue", 0, [], [queueInsert("s1", 1001)]))).toEqual([]);
    const other = { ...queueInsert("s1", 5), component: "otherPool" };
    expect(overlaps(loop, tx("lib:enqueue", 0, [], [other]))).toEqual([]);
  });

  test("a commit-time key lands just after the reader's snapshot", () => {
    const reader = tx("loop:main", 0, [queueRead(99)], [], { snapshotTs: 99n });
    // readyAt is not a commit time in our schema; this only exercises the rule.
    const read = reader.reads[0]!;
    const bySnapshot: RecordedTransaction = {
      ...reader,
      reads: [{ ...read, interval: requestedInterval([{ type: "Eq", fieldPath: "rank", value: 0 }, { type: "Lte", fieldPath: "readyAt", value: 100n }]) }],
    };
    const writer = tx("lib:enqueue", 0, [], [queueInsert("s1", PENDING_COMMIT_TS)]);
    expect(overlaps(bySnapshot, writer)).toHaveLength(1); // snapshot 99 + 1 ≤ 100
    expect(overlaps({ ...bySnapshot, snapshotTs: 100n }, writer)).toEqual([]); // 101 > 100
  });
});

describe("the report", () => {
  test("pairs within the window count both ways round, per kind, per job", () => {
    seq = 0;
    const txs = [
      tx("lib:enqueue", 0, [], [queueInsert("s1", 0)]),
      tx("loop:main", 0, [queueRead(0)], []),
      tx("lib:enqueue", 1, [], [queueInsert("s2", 1)]),
      // 5 s later: outside the window of the others.
      tx("lib:enqueue", 5000, [], [queueInsert("s3", 5000)]),
      tx("loop:main", 5000, [queueRead(4000)], []),
    ];
    const report = conflictReport(txs, { jobs: 2, kindOf });
    expect(report.kinds).toEqual({ enqueue: 3, loop: 2 });
    const cell = report.cells.find((c) => c.reader === "loop" && c.writer === "enqueue")!;
    // loop#1 with enqueue#0 and #2 (both due ≤ 0? #2 is due at 1: outside), loop#4 with enqueue#3 (due 5000 > 4000: outside).
    expect(cell).toMatchObject({ pairs: 3, conflicts: 1, perJob: 0.5 });
    expect(cell.reasons).toMatchObject([{ pairs: 1, reason: expect.stringContaining("pendingStart by_rank_readyAt") }]);
    expect(conflictsPerJob(report, "enqueue", "loop")).toBe(0);
    expect(conflictsPerJob(report, "enqueue", "enqueue")).toBe(0);
    expect(report.cells.find((c) => c.reader === "enqueue" && c.writer === "enqueue")!.pairs).toBe(2);
  });

  test("by unordered pair of kinds, a pair of transactions counts once, however many ways it conflicts", () => {
    seq = 0;
    const txs = [
      // Each reads what the other writes: either would be retried.
      tx("loop:main", 0, [getRead("runStatus", "r")], [patch("runStatus", "r")]),
      tx("complete:report", 0, [getRead("runStatus", "r")], [patch("runStatus", "r")]),
      // Only the loop would be retried for this one.
      tx("lib:enqueue", 0, [], [queueInsert("s1", 0)]),
      tx("loop:main", 0, [queueRead(0)], []),
    ];
    const report = conflictReport(txs, { jobs: 2, kindOf, serial: ["loop"] });
    // Per job, of 2: one conflicting pair in each cell.
    expect(conflictsPerJob(report, "loop", "report")).toBe(0.5);
    expect(conflictsPerJob(report, "report", "loop")).toBe(0.5);
    // loop#0 × report#1 conflicts both ways; report#1 × loop#3 does not.
    expect(report.kindPairs.find((p) => p.kinds.join() === "loop,report")).toEqual({ kinds: ["loop", "report"], pairs: 2, conflicts: 1, perJob: 0.5 });
    expect(pairsPerJob(report, "report", "loop")).toBe(0.5);
    expect(pairsPerJob(report, "loop", "enqueue")).toBe(0.5);
    expect(pairsPerJob(report, "enqueue", "report")).toBe(0);
    // loop × report, loop × enqueue; the two loops are not paired (serial).
    expect(pairsPerJob(report)).toBe(1);
    expect(report.kindPairs.map((p) => p.kinds.join())).not.toContain("loop,loop");
  });

  test("transactions further apart than maxDistance, or not committed, are not paired", () => {
    seq = 0;
    const txs = [
      tx("loop:main", 0, [getRead("runStatus", "r")], []),
      tx("complete:report", 0, [], []),
      tx("complete:report", 0, [], []),
      tx("lib:enqueue", 0, [], [patch("runStatus", "r")]),
      tx("lib:enqueue", 0, [getRead("runStatus", "r")], [], { committed: false }),
    ];
    const near = conflictReport(txs, { jobs: 1, kindOf, window: { toleranceMs: 1, maxDistance: 3, skipCausal: "sameKind" } });
    expect(conflictsPerJob(near, "loop", "enqueue")).toBe(1);
    expect(near.skipped).toBe(1);
    const far = conflictReport(txs, { jobs: 1, kindOf, window: { toleranceMs: 1, maxDistance: 2, skipCausal: "sameKind" } });
    expect(conflictsPerJob(far, "loop", "enqueue")).toBe(0);
  });

  test("causally ordered pairs (one scheduled the other, or what called it, at any depth) are left out by kind", () => {
    seq = 0;
    const schedules = (id: string): DocWrite => ({ component: "pool", table: "_scheduled_functions", id, op: "insert", keys: [] });
    const by = (id: string) => ({ scheduledBy: { component: "pool", id } });
    const txs = [
      tx("loop:main", 0, [getRead("runStatus", "r")], [patch("runStatus", "r"), schedules("j1")]),
      // The next iteration, scheduled by the first.
      tx("loop:main", 0, [getRead("runStatus", "r")], [patch("runStatus", "r"), schedules("j2")], by("j1")),
      // A report from a worker the second started.
      tx("complete:report", 0, [getRead("runStatus", "r")], [patch("runStatus", "r")], by("j2")),
      // An enqueue nobody scheduled.
      tx("lib:enqueue", 0, [getRead("runStatus", "r")], [patch("runStatus", "r")]),
    ];
    const window = (skipCausal: "none" | "sameKind" | "all") => ({ toleranceMs: 1, maxDistance: 10, skipCausal });
    // By default only the loop's own chain is left out.
    const sameKind = conflictReport(txs, { jobs: 1, kindOf });
    expect(sameKind.causal).toBe(1);
    expect(conflictsPerJob(sameKind, "loop", "loop")).toBe(0);
    // Kept as hand-offs: the point reads of runStatus do not count.
    expect(sameKind.cells.find((c) => c.reader === "loop" && c.writer === "report")).toMatchObject({ pairs: 2, conflicts: 0 });
    const all = conflictReport(txs, { jobs: 1, kindOf, window: window("all") });
    expect(all.causal).toBe(3);
    expect(conflictsPerJob(all, "loop", "report")).toBe(0);
    expect(conflictsPerJob(all, "loop", "enqueue")).toBe(2);
    expect(conflictsPerJob(all, "report", "enqueue")).toBe(1);
    const none = conflictReport(txs, { jobs: 1, kindOf, window: window("none") });
    expect(none.causal).toBe(0);
    // One pair of loops, judged both ways round.
    expect(conflictsPerJob(none, "loop", "loop")).toBe(2);
    expect(conflictsPerJob(none, "loop", "report")).toBe(2);
    const serial = conflictReport(txs, { jobs: 1, kindOf, window: window("none"), serial: ["loop"] });
    expect(serial.cells.find((c) => c.reader === "loop" && c.writer === "loop")).toBeUndefined();
  });

  test("a kind mapped to null is left out", () => {
    seq = 0;
    const txs = [tx("loop:main", 0, [getRead("runStatus", "r")], []), tx("lib:enqueue", 0, [], [patch("runStatus", "r")])];
    const report = conflictReport(txs, { jobs: 1, kindOf: (t) => (t.name.endsWith("enqueue") ? null : "loop") });
    expect(report.cells).toEqual([]);
    expect(report.skipped).toBe(1);
  });

  test("hot documents: written by many transactions; shared: by two or more kinds", () => {
    seq = 0;
    const txs = [
      tx("lib:enqueue", 0, [], [queueInsert("s1", 0), patch("runStatus", "r")]),
      tx("loop:main", 0, [], [patch("runStatus", "r"), { ...patch("pendingStart", "s1"), op: "delete" }]),
      tx("complete:report", 0, [], [patch("runStatus", "r")]),
      tx("loop:main", 0, [], [patch("runStatus", "r")]),
    ];
    const report = conflictReport(txs, { jobs: 2, kindOf, hotThreshold: 3 });
    expect(report.hot).toEqual([
      {
        component: "pool", table: "runStatus", id: "r", writers: 4, perJob: 2,
        byKind: { enqueue: { txs: 1, ops: ["patch"] }, loop: { txs: 2, ops: ["patch"] }, report: { txs: 1, ops: ["patch"] } },
      },
    ]);
    expect(report.shared).toEqual([
      { component: "pool", table: "runStatus", writers: "enqueue(patch) + loop(patch) + report(patch)", updaters: 3, docs: 1, perJob: 0.5 },
      { component: "pool", table: "pendingStart", writers: "enqueue(insert) + loop(delete)", updaters: 1, docs: 1, perJob: 0.5 },
    ]);
    const text = formatConflictReport(report);
    expect(text).toContain("runStatus r: 4 transactions, 2.00/job");
    expect(text).toContain("| reads \\ writes |");
  });
});
