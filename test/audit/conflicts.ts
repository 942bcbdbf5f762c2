// The conflict report, as pure functions of recorded transactions (no
// convex-test): which pairs of transactions would conflict on a real
// deployment had they overlapped, by kind, per job, naming the table, index
// and range responsible; and the documents that many transactions, or
// several kinds of transaction, write.
//
// What counts as overlapping is a choice (see `Window`): convex-test runs one
// transaction at a time, so there is no real overlap to observe.
import {
  BY_ID,
  contains,
  showInterval,
  showKey,
  type IndexKey,
  type Interval,
  type Order,
} from "./intervals.js";

/** How a read reached the database. */
export type ReadVia =
  | "get" // db.get / db.system.get: a point in by_id
  | "write" // the read of the document that patch / replace / delete make
  | "query" // a query stream: first, take, unique, collect, iteration
  | "paginate" // one page of .paginate()
  | "count"; // db.query(t).count(): the whole table

/** How much of the requested range a read covered. */
export type Coverage =
  | "point" // one document by id
  | "ran out" // no more rows: the whole requested range
  | "limit" // stopped after its last row: from the start up to it
  | "page"; // one page: from its cursor to its end

/** One interval of one index that a transaction read. */
export type ReadRange = {
  component: string;
  table: string;
  index: string;
  interval: Interval;
  via: ReadVia;
  /** The requested range with values elided ("rank = ·, readyAt ≤ ·"), for grouping. */
  shape: string;
  order: Order;
  coverage: Coverage;
  /** Rows the read returned. */
  rows: number;
};

/** One key a write puts into, or removes from, one index of its table. */
export type KeyWrite = { index: string; key: IndexKey; change: "put" | "remove" };

export type WriteOp = "insert" | "patch" | "replace" | "delete";

/**
 * One document a transaction wrote, net of all its writes of it (as Convex
 * checks a commit: the document before the transaction and after it).
 */
export type DocWrite = {
  component: string;
  table: string;
  id: string;
  /** insert: it did not exist before; delete: not after; else patch or replace (replace if any was). */
  op: WriteOp;
  /** Old key removed and new key put, in every index of the table (by_id and by_creation_time included). */
  keys: KeyWrite[];
};

/** One top-level transaction, as recorded. */
export type RecordedTransaction = {
  /** Order of the transaction among all top-level transactions of the backend. */
  seq: number;
  /** Its first call into an audited component, with the component's path ("workpool/loop:main"). */
  name: string;
  /** That call's component ("workpool", "workpool/batchWorker") and function ("loop:main"). */
  component: string;
  fn: string;
  /** Every function that read or wrote in it, or called another, in order ("jobs:signUp", "workpool/lib:enqueue"). */
  functions: string[];
  /**
   * The scheduled function it runs in (itself, or the action that called
   * it), as the `_scheduled_functions` row another transaction inserted:
   * it started after that one committed.
   */
  scheduledBy: { component: string; id: string } | null;
  /** Date.now() inside it (scheduler time under fake timers), ms. */
  atMs: number;
  /** The latest commit it could see, ns (what getSnapshotTs returns). */
  snapshotTs: bigint;
  /** False for queries (never commit) and for mutations that threw. */
  committed: boolean;
  reads: ReadRange[];
  writes: DocWrite[];
};

/** One reason a reader would conflict with a writer: a key written inside a range read. */
export type Overlap = { read: ReadRange; write: DocWrite; key: KeyWrite };

/**
 * The keys `writer` writes inside intervals `reader` read: the reasons
 * `reader` would be retried had `writer` committed while it ran. A commit
 * timestamp in the writer's keys is taken as just after the reader's
 * snapshot (it commits after the reader began). Two writes are no reason,
 * as they imply an order: a point read of a document the writer inserted
 * (the reader learned its id from the writer's commit), and a write to a
 * document the reader inserted (the writer found it after the reader's
 * commit).
 */
export function overlaps(
  reader: RecordedTransaction,
  writer: RecordedTransaction,
  /** False for a hand-off (see Window.skipCausal): point reads do not count. */
  pointReads = true,
): Overlap[] {
  const found: Overlap[] = [];
  const pending = reader.snapshotTs + 1n;
  const insertedByReader = new Set(reader.writes.filter((w) => w.op === "insert").map((w) => `${w.component}\u0000${w.id}`));
  for (const write of writer.writes) {
    // Changing a document the reader inserted: the writer came after it.
    if (insertedByReader.has(`${write.component}\u0000${write.id}`)) continue;
    for (const read of reader.reads) {
      if (read.component !== write.component || read.table !== write.table) continue;
      if (read.index === BY_ID && (write.op === "insert" || !pointReads)) continue;
      for (const key of write.keys) {
        if (key.index === read.index && contains(read.interval, key.key, pending)) {
          found.push({ read, write, key });
          break;
        }
      }
    }
  }
  return found;
}

/** Why a pair conflicts, grouped: the read (table, index, range shape, coverage) and the write. */
export function reasonOf(o: Overlap): string {
  const r = o.read;
  const range =
    r.index === BY_ID
      ? r.via === "write"
        ? "by id (a document it changes)"
        : "by id"
      : `${r.index} [${r.shape}] ${r.order}, ${r.coverage === "ran out" ? "ran out (whole range)" : r.coverage === "limit" ? "up to its last row" : r.coverage}`;
  return `${r.table} ${range} ← ${o.write.op}`;
}

/**
 * Which pairs of transactions count as possibly overlapping. Under fake
 * timers a burst of work (an enqueue, the loop it wakes, the workers it
 * starts, their reports) runs at one scheduler instant, serialized; on a
 * deployment those transactions run within milliseconds of each other and
 * can overlap, while transactions seconds apart cannot. So two committed
 * transactions pair when their times differ by at most `toleranceMs` and
 * at most `maxDistance` other recorded transactions lie between them (a
 * batch of thousands in one instant would otherwise pair all with all;
 * about as many transactions as a busy pool has in flight at once).
 */
export type Window = {
  toleranceMs: number;
  maxDistance: number;
  /**
   * Causally ordered pairs: one transaction scheduled the other (or the
   * action that ran it), directly or through a chain, so the later started
   * after the earlier committed and they never overlapped.
   * - "sameKind" (default) leaves out such pairs of one kind: a
   *   self-scheduling chain runs one at a time (the watchdog, cancelAll's
   *   pages, the loop's iterations). A pair of two kinds is kept as a
   *   stand-in for the same kinds' next, unrelated pair: the loop an enqueue
   *   woke stands for the iteration that the next enqueue, at a higher
   *   arrival rate, would overlap. But it is judged as a hand-off: only its
   *   range reads count, not its point reads (a finalize reads the job row
   *   the loop that scheduled it just wrote; no other loop iteration writes
   *   that row meanwhile).
   * - "all" leaves out every causal pair: only overlaps this run's timing
   *   allowed remain.
   * - "none" keeps them all, point reads included.
   */
  skipCausal: "none" | "sameKind" | "all";
};

/**
 * Defaults: 1 ms, because convex-test's commit clock runs up to 1 ms ahead
 * of a frozen fake clock (a commit that finds the clock unmoved takes the
 * last commit time + 1 ns, and the next transaction starts at that, rounded
 * up to a ms); 10 transactions, the order of a pool's parallelism.
 */
export const DEFAULT_WINDOW: Window = { toleranceMs: 1, maxDistance: 10, skipCausal: "sameKind" };

export type KindOf = (tx: RecordedTransaction) => string | null;

/** Default kind: the function of the transaction's entry, without its component ("loop:main"). */
export const kindByEntry: KindOf = (tx) => tx.fn;

/**
 * A kind for each entry function, from a table keyed by function
 * ("loop:main" → "loop") or, to tell components apart, by full name
 * ("workpool/batchWorker/loop:loop"); entries not listed keep their function.
 */
export function kindsByFunction(table: Record<string, string>): KindOf {
  return (tx) => table[tx.name] ?? table[tx.fn] ?? tx.fn;
}

export type PairCell = {
  reader: string;
  writer: string;
  /** Pairs of a transaction of `reader` with one of `writer` inside the window. */
  pairs: number;
  /** Of those, pairs where the reader read something the writer wrote. */
  conflicts: number;
  perJob: number;
  /** Reasons with the number of conflicting pairs each explains, most first. */
  reasons: Array<{ reason: string; pairs: number; example: string }>;
};

export type KindPair = {
  /** The two kinds, in alphabetical order (twice the same for pairs of one kind). */
  kinds: [string, string];
  pairs: number;
  conflicts: number;
  perJob: number;
};

export type DocWriters = {
  component: string;
  table: string;
  id: string;
  /** Committed transactions that wrote it. */
  writers: number;
  /** Per kind: transactions, and the ops they used. */
  byKind: Record<string, { txs: number; ops: WriteOp[] }>;
};

/** Documents of one table written by the same set of kinds, with the same ops. */
export type SharedDocs = {
  component: string;
  table: string;
  /** "enqueue(insert) + loop(patch) + report(replace)". */
  writers: string;
  /** Kinds that changed an existing document (patch, replace, delete). */
  updaters: number;
  docs: number;
  perJob: number;
};

export type ConflictReport = {
  jobs: number;
  window: Window;
  serial: string[];
  /** Committed transactions per kind (those the report pairs). */
  kinds: Record<string, number>;
  /** Transactions recorded but not paired: queries, failed mutations, excluded kinds. */
  skipped: number;
  /** Pairs in the window left out because one transaction scheduled the other (see Window.skipCausal). */
  causal: number;
  /** Every (reader, writer) kind pair with at least one pair in the window. */
  cells: PairCell[];
  /**
   * The same pairs by unordered pair of kinds: a pair of transactions counts
   * once, as conflicting when either read what the other wrote (about one
   * retry on a deployment, of whichever commits later). Their sum is the
   * report's conflicting pairs per job.
   */
  kindPairs: KindPair[];
  /** Documents written by at least `hotThreshold` transactions, most first. */
  hot: Array<DocWriters & { perJob: number }>;
  hotThreshold: number;
  /** Documents written by two or more kinds, grouped by table and writers. */
  shared: SharedDocs[];
};

export type ReportOptions = {
  /** Jobs the workload ran: counts are divided by it. */
  jobs: number;
  window?: Window;
  kindOf?: KindOf;
  /**
   * Kinds that never run alongside themselves by design (the loop: one
   * generation at a time): two transactions of one of these are not paired.
   */
  serial?: readonly string[];
  /** A document is hot when this many transactions wrote it (default 5). */
  hotThreshold?: number;
  /** Hot documents listed at most (default 10). */
  hotLimit?: number;
};

/**
 * Pairs the recorded transactions within the window, both ways round, and
 * counts per (reader kind, writer kind) the pairs that would conflict; finds
 * hot and shared documents.
 */
export function conflictReport(transactions: readonly RecordedTransaction[], options: ReportOptions): ConflictReport {
  const window = options.window ?? DEFAULT_WINDOW;
  const kindOf = options.kindOf ?? kindByEntry;
  const jobs = Math.max(options.jobs, 1);
  const paired: Array<{ tx: RecordedTransaction; kind: string }> = [];
  for (const tx of [...transactions].sort((a, b) => a.seq - b.seq)) {
    const kind = tx.committed ? kindOf(tx) : null;
    if (kind !== null) paired.push({ tx, kind });
  }
  const kinds: Record<string, number> = {};
  for (const p of paired) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;

  type Acc = { pairs: number; conflicts: number; reasons: Map<string, { pairs: number; example: string }> };
  const cells = new Map<string, Acc & { reader: string; writer: string }>();
  const cell = (reader: string, writer: string) => {
    const id = `${reader}\u0000${writer}`;
    let c = cells.get(id);
    if (c === undefined) {
      c = { reader, writer, pairs: 0, conflicts: 0, reasons: new Map() };
      cells.set(id, c);
    }
    return c;
  };
  const unordered = new Map<string, KindPair>();
  const kindPair = (a: string, b: string) => {
    const kinds: [string, string] = a <= b ? [a, b] : [b, a];
    const id = kinds.join("\u0000");
    let p = unordered.get(id);
    if (p === undefined) unordered.set(id, (p = { kinds, pairs: 0, conflicts: 0, perJob: 0 }));
    return p;
  };
  /** Judges one direction of a pair; true when the reader would be retried. */
  const judge = (reader: { tx: RecordedTransaction; kind: string }, writer: { tx: RecordedTransaction; kind: string }, handOff: boolean) => {
    const c = cell(reader.kind, writer.kind);
    c.pairs += 1;
    const found = overlaps(reader.tx, writer.tx, !handOff);
    if (found.length === 0) return false;
    c.conflicts += 1;
    const seen = new Set<string>();
    for (const o of found) {
      const reason = reasonOf(o);
      if (seen.has(reason)) continue;
      seen.add(reason);
      const r = c.reasons.get(reason) ?? {
        pairs: 0,
        example: `${reader.tx.name} #${reader.tx.seq} read ${showInterval(o.read.interval)}; ${writer.tx.name} #${writer.tx.seq} ${o.key.change === "put" ? "put" : "removed"} ${showKey(o.key.key)}`,
      };
      r.pairs += 1;
      c.reasons.set(reason, r);
    }
    return true;
  };
  // Who scheduled whom: the transaction that inserted the scheduled-function
  // row a transaction runs in.
  const scheduler = new Map<string, RecordedTransaction>();
  for (const { tx } of paired) {
    for (const w of tx.writes) {
      if (w.table === "_scheduled_functions" && w.op === "insert") scheduler.set(`${w.component}\u0000${w.id}`, tx);
    }
  }
  const parentOf = (tx: RecordedTransaction) =>
    tx.scheduledBy === null ? undefined : scheduler.get(`${tx.scheduledBy.component}\u0000${tx.scheduledBy.id}`);
  // A scheduler began before what it scheduled (it committed first): seq
  // falls along the chain, so the walk stops at the first ancestor older
  // than `ancestor`, and a pair in the window costs at most `maxDistance`
  // steps, not a long chain's length (a loop that reschedules itself).
  const descends = (tx: RecordedTransaction, ancestor: RecordedTransaction) => {
    for (let child = tx, p = parentOf(tx); p !== undefined && p.seq < child.seq && p.seq >= ancestor.seq; child = p, p = parentOf(p)) {
      if (p === ancestor) return true;
    }
    return false;
  };
  let causal = 0;
  const serial = new Set(options.serial ?? []);
  for (let i = 0; i < paired.length; i++) {
    for (let j = i + 1; j < paired.length && j - i <= window.maxDistance; j++) {
      const a = paired[i]!;
      const b = paired[j]!;
      if (Math.abs(a.tx.atMs - b.tx.atMs) > window.toleranceMs) continue;
      if (a.kind === b.kind && serial.has(a.kind)) continue;
      const ordered = window.skipCausal !== "none" && (descends(b.tx, a.tx) || descends(a.tx, b.tx));
      if (ordered && (window.skipCausal === "all" || a.kind === b.kind)) {
        causal += 1;
        continue;
      }
      const aRetried = judge(a, b, ordered);
      const bRetried = judge(b, a, ordered);
      const u = kindPair(a.kind, b.kind);
      u.pairs += 1;
      if (aRetried || bRetried) u.conflicts += 1;
    }
  }

  // Documents: who wrote each.
  const docs = new Map<string, DocWriters>();
  for (const { tx, kind } of paired) {
    const mine = new Map<string, Set<WriteOp>>();
    for (const w of tx.writes) {
      const id = `${w.component}\u0000${w.id}`;
      if (!docs.has(id)) docs.set(id, { component: w.component, table: w.table, id: w.id, writers: 0, byKind: {} });
      let ops = mine.get(id);
      if (ops === undefined) mine.set(id, (ops = new Set()));
      ops.add(w.op);
    }
    for (const [id, ops] of mine) {
      const d = docs.get(id)!;
      d.writers += 1;
      const k = (d.byKind[kind] ??= { txs: 0, ops: [] });
      k.txs += 1;
      for (const op of ops) if (!k.ops.includes(op)) k.ops.push(op);
    }
  }
  const hotThreshold = options.hotThreshold ?? 5;
  const hot = [...docs.values()]
    .filter((d) => d.writers >= hotThreshold)
    .sort((a, b) => b.writers - a.writers || a.table.localeCompare(b.table))
    .slice(0, options.hotLimit ?? 10)
    .map((d) => ({ ...d, perJob: d.writers / jobs }));
  const shared = new Map<string, SharedDocs>();
  for (const d of docs.values()) {
    const kindsOfDoc = Object.keys(d.byKind).sort();
    if (kindsOfDoc.length < 2) continue;
    const writers = kindsOfDoc.map((k) => `${k}(${[...d.byKind[k]!.ops].sort().join("/")})`).join(" + ");
    const updaters = kindsOfDoc.filter((k) => d.byKind[k]!.ops.some((op) => op !== "insert")).length;
    const id = `${d.component}\u0000${d.table}\u0000${writers}`;
    const s = shared.get(id) ?? { component: d.component, table: d.table, writers, updaters, docs: 0, perJob: 0 };
    s.docs += 1;
    s.perJob = s.docs / jobs;
    shared.set(id, s);
  }

  return {
    jobs: options.jobs,
    window,
    serial: [...serial],
    kinds,
    skipped: transactions.length - paired.length,
    causal,
    cells: [...cells.values()]
      .map((c) => ({
        reader: c.reader,
        writer: c.writer,
        pairs: c.pairs,
        conflicts: c.conflicts,
        perJob: c.conflicts / jobs,
        reasons: [...c.reasons.entries()]
          .map(([reason, r]) => ({ reason, pairs: r.pairs, example: r.example }))
          .sort((a, b) => b.pairs - a.pairs || a.reason.localeCompare(b.reason)),
      }))
      .sort((a, b) => a.reader.localeCompare(b.reader) || a.writer.localeCompare(b.writer)),
    kindPairs: [...unordered.values()]
      .map((p) => ({ ...p, perJob: p.conflicts / jobs }))
      .sort((a, b) => b.conflicts - a.conflicts || a.kinds.join().localeCompare(b.kinds.join())),
    hot,
    hotThreshold,
    shared: [...shared.values()].sort((a, b) => b.updaters - a.updaters || b.docs - a.docs || a.table.localeCompare(b.table)),
  };
}

/** Conflicting pairs per job of one (reader, writer) kind pair; 0 when none were paired. */
export function conflictsPerJob(report: ConflictReport, reader: string, writer: string): number {
  return report.cells.find((c) => c.reader === reader && c.writer === writer)?.perJob ?? 0;
}

/**
 * Conflicting pairs per job between two kinds, either way round (`a` and `b`
 * in any order); with no kinds, over all pairs of kinds.
 */
export function pairsPerJob(report: ConflictReport, a?: string, b?: string): number {
  let conflicts = 0;
  for (const p of report.kindPairs) {
    if (a === undefined || (p.kinds[0] === a && p.kinds[1] === b) || (p.kinds[0] === b && p.kinds[1] === a)) conflicts += p.conflicts;
  }
  return conflicts / Math.max(report.jobs, 1);
}

const fmt = (n: number) => (n === 0 ? "0" : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/**
 * The report as text: transactions per kind, the matrix of conflicting pairs
 * per job (rows read, columns write), the reasons of each non-zero cell, hot
 * documents, and documents written by several kinds.
 */
export function formatConflictReport(report: ConflictReport): string {
  const kinds = Object.keys(report.kinds).sort();
  const lines: string[] = [];
  lines.push(
    `Conflict audit: ${report.jobs} jobs; window ±${report.window.toleranceMs} ms, ≤ ${report.window.maxDistance} transactions apart${report.window.skipCausal === "none" ? "" : `, ${report.causal} causally ordered pairs${report.window.skipCausal === "sameKind" ? " of one kind" : ""} left out`}${report.serial.length > 0 ? `; ${report.serial.join(", ")} not paired with itself (one at a time by design)` : ""}; ${report.skipped} recorded transactions not paired (queries, failed, excluded)`,
  );
  lines.push("");
  lines.push("Transactions per job: " + kinds.map((k) => `${k} ${fmt(report.kinds[k]! / Math.max(report.jobs, 1))}`).join(", "));
  lines.push("");
  lines.push("Conflicting pairs per job (row: the transaction that reads and would be retried; column: the one whose commit it read; pairs in window in parentheses):");
  const head = ["reads \\ writes", ...kinds];
  const rows = kinds.map((r) => [
    r,
    ...kinds.map((w) => {
      const c = report.cells.find((x) => x.reader === r && x.writer === w);
      return c === undefined ? "·" : `${fmt(c.perJob)} (${c.pairs})`;
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  lines.push(line(head));
  lines.push("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of rows) lines.push(line(r));
  lines.push("");
  const nonZero = report.cells.filter((c) => c.conflicts > 0).sort((a, b) => b.perJob - a.perJob);
  if (nonZero.length === 0) lines.push("No conflicting pairs.");
  for (const c of nonZero) {
    lines.push(`${c.reader} × ${c.writer}: ${fmt(c.perJob)}/job (${c.conflicts} of ${c.pairs} pairs)`);
    for (const r of c.reasons) lines.push(`  - ${r.reason}: ${r.pairs} pairs (e.g. ${r.example})`);
  }
  lines.push("");
  lines.push(`Hot documents (written by ≥ ${report.hotThreshold} transactions; the ${report.hot.length} most written):`);
  if (report.hot.length === 0) lines.push("  none");
  for (const h of report.hot) {
    const by = Object.entries(h.byKind)
      .map(([k, v]) => `${k} ${v.txs} (${v.ops.join("/")})`)
      .join(", ");
    lines.push(`  - ${h.component}/${h.table} ${h.id}: ${h.writers} transactions, ${fmt(h.perJob)}/job: ${by}`);
  }
  lines.push("");
  lines.push("Documents written by two or more kinds (per table; updaters = kinds that changed an existing document):");
  if (report.shared.length === 0) lines.push("  none");
  for (const s of report.shared) {
    lines.push(`  - ${s.component}/${s.table}: ${s.docs} docs (${fmt(s.perJob)}/job), ${s.writers}; updaters ${s.updaters}`);
  }
  return lines.join("\n");
}

/** Documents inserted into `table` by committed transactions (e.g. `work`: the jobs a workload ran). */
export function insertsInto(transactions: readonly RecordedTransaction[], table: string): number {
  let n = 0;
  for (const tx of transactions) {
    if (tx.committed) n += tx.writes.filter((w) => w.table === table && w.op === "insert").length;
  }
  return n;
}
