// Records each top-level transaction's read set and write set under
// convex-test, for any component registered on a test backend (this package,
// the published @convex-dev/workpool, anything): no change to the component
// or its registration.
//
// How: convex-test keeps one "global" object per backend (the databases of
// the app and of each component, the transaction manager, the syscall
// handlers). `attachConflictAudit` finds it once (below, `findBackend`) and
// wraps, on that object only:
// - the transaction manager: a top-level begin opens a record, its commit
//   or rollback closes it; nested calls (a component call, ctx.runMutation,
//   ctx.runQuery) open a level whose writes are dropped if it rolls back
//   (its reads stay, as in Convex); a query run at a stale snapshot
//   (`useStaleSnapshot`) records no reads, as Convex takes no dependency;
// - the syscall handlers: they mark which user operation is running
//   ("1.0/get", "1.0/queryStreamNext", "1.0/insert", ...), so that below only
//   what a function asked for is recorded, not convex-test's own lookups;
// - each component's DatabaseFake: startQuery / queryNext / paginate see the
//   real query (index, range, order, limit) and every row it returns; get,
//   insert, patch, replace and delete see the documents before and after.
// At the end of a transaction each query becomes the interval Convex would
// record (intervals.ts), and each written document its old and new keys in
// every index of its table.
//
// It depends on convex-test's internals (checked against 0.0.71); each use
// is in this file and fails loudly if the shapes change.
import { AsyncLocalStorage } from "node:async_hooks";
import { CommitTsPlaceholder, jsonToConvex, type JSONValue, type Value } from "convex/values";
import {
  BY_CREATION_TIME,
  BY_ID,
  PENDING_COMMIT_TS,
  WHOLE_INDEX,
  coveredInterval,
  indexKey,
  pageInterval,
  pointInterval,
  rangeShape,
  requestedInterval,
  tableIndexes,
  type IndexDef,
  type IndexKey,
  type KeyPart,
  type Order,
  type RangeExpression,
} from "./intervals.js";
import type { DocWrite, KeyWrite, ReadRange, RecordedTransaction, WriteOp } from "./conflicts.js";

type Doc = Record<string, Value | undefined> & { _id: string; _creationTime: number };

// ---------------------------------------------------------------------------
// convex-test 0.0.71 internals used here.

type SerializedRange = { type: RangeExpression["type"]; fieldPath: string; value: JSONValue };
type SerializedQuery = {
  source:
    | { type: "IndexRange"; indexName: string; range: SerializedRange[]; order: Order | null }
    | { type: "FullTableScan"; tableName: string; order: Order | null }
    | { type: "Search"; indexName: string };
  operators: Array<{ limit: number } | { filter: unknown }>;
};
type PageArgs = {
  query: SerializedQuery;
  cursor: string | null;
  endCursor: string | null;
  pageSize: number;
};
type PageResult = { page: Doc[]; isDone: boolean; continueCursor: string };

/** The database of one component (convex-test's DatabaseFake). */
type DatabaseFake = {
  get: (table: string | undefined, id: string) => Doc | null;
  insert: (table: string, value: unknown) => string;
  patch: (table: string | undefined, id: string, value: unknown) => void;
  replace: (table: string | undefined, id: string, value: unknown) => void;
  delete: (table: string | undefined, id: string) => void;
  startQuery: (query: SerializedQuery) => number;
  queryNext: (queryId: number) => { value: Doc | null; done: boolean };
  paginate: (args: PageArgs) => PageResult;
  _schema: { tables: Map<string, { indexes: Array<{ indexDescriptor: string; fields: string[] }> }> } | null;
};
type TransactionManager = {
  begin: (isNested: boolean, limits?: unknown) => Promise<void>;
  commit: (isNested: boolean) => bigint | null;
  rollback: (isNested: boolean) => void;
  getTime: () => number;
  getSnapshotTs: () => bigint;
  /** Hide and bring back a transaction's pending writes around a stale-snapshot query (its only caller). */
  stashWrites: () => unknown;
  restoreWrites: (stashed: unknown) => void;
};
type Backend = {
  components: Record<string, { db: DatabaseFake }>;
  transactionManager: TransactionManager;
  syscall: (op: string, args: string) => string;
  asyncSyscall: (op: string, args: string) => Promise<string>;
};

function isBackend(store: unknown): store is Backend {
  if (typeof store !== "object" || store === null) return false;
  const s = store as Partial<Backend>;
  return (
    typeof s.components === "object" &&
    typeof s.transactionManager?.begin === "function" &&
    typeof s.transactionManager.stashWrites === "function" &&
    typeof s.syscall === "function" &&
    typeof s.asyncSyscall === "function"
  );
}

/**
 * convex-test runs each method of a test backend inside
 * `AsyncLocalStorage.run(backend, ...)`; the one call here that does nothing
 * (finishing in-progress scheduled functions when none are) lets us see it.
 */
function findBackend(t: TestBackend): Backend {
  const proto = AsyncLocalStorage.prototype;
  // Saved to be put back below, and called with `.call`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const run = proto.run;
  let found: Backend | null = null;
  proto.run = function (this: AsyncLocalStorage<unknown>, store: unknown, fn: (...a: unknown[]) => unknown, ...args: unknown[]) {
    if (found === null && isBackend(store)) found = store;
    return run.call(this, store, fn, ...args);
  } as typeof proto.run;
  try {
    t.finishInProgressScheduledFunctions().catch(() => {});
  } finally {
    proto.run = run;
  }
  if (found === null) {
    throw new Error("conflict audit: could not find convex-test's backend (checked against convex-test 0.0.71)");
  }
  return found;
}

/** The table of a convex-test id ("10023work" → "work"). */
function tableOfId(id: string): string {
  return /^[0-9]+(.+)$/.exec(id)?.[1] ?? "?";
}

/** A convex-test page cursor: the JSON of each sort field's JSON (null = undefined). */
function decodeCursor(cursor: string): IndexKey {
  const parts = JSON.parse(cursor) as Array<string | null>;
  return parts.map((p) => (p === null ? undefined : toKeyPart(jsonToConvex(JSON.parse(p) as JSONValue))));
}

// ---------------------------------------------------------------------------

/** What `attachConflictAudit` needs of a convex-test instance. */
export type TestBackend = { finishInProgressScheduledFunctions(): Promise<unknown> };

export type AuditOptions = {
  /**
   * Component paths whose reads and writes are recorded (the app is "").
   * Default: every component, not the app.
   */
  components?: readonly string[] | ((path: string) => boolean);
};

export type ConflictAudit = {
  /** Transactions that read or wrote an audited component, in order (queries and failed mutations included, `committed: false`). */
  readonly transactions: RecordedTransaction[];
  /** Forgets what was recorded so far. */
  clear(): void;
  /** Stops recording and restores convex-test. */
  detach(): void;
};

const USER_OPS = new Set([
  "1.0/get",
  "1.0/queryStream",
  "1.0/queryStreamNext",
  "1.0/queryPage",
  "1.0/count",
  "1.0/insert",
  "1.0/shallowMerge",
  "1.0/replace",
  "1.0/remove",
  "1.0/schedule",
  "1.0/cancel_job",
  "1.0/storageDelete",
  "1.0/storageStore",
]);

function toKeyPart(v: unknown): KeyPart {
  return v instanceof CommitTsPlaceholder ? PENDING_COMMIT_TS : (v as KeyPart);
}

function keyOf(doc: Doc, fields: readonly string[]): IndexKey {
  return indexKey(doc, fields).map(toKeyPart);
}

function fromJson(v: JSONValue): Value | undefined {
  if (typeof v === "object" && v !== null && !Array.isArray(v) && "$undefined" in v) return undefined;
  return jsonToConvex(v);
}

/** A canonical text of a document, to tell whether a write changed it. */
function canonical(v: unknown): string {
  if (v === undefined) return "u";
  if (v instanceof CommitTsPlaceholder) return "ts?";
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof ArrayBuffer) return `b${Array.from(new Uint8Array(v)).join(",")}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

type Stream = {
  component: string;
  table: string;
  index: IndexDef;
  range: RangeExpression[];
  shape: string;
  order: Order;
  limit: number | null;
  via: "query" | "count";
  rows: number;
  last: Doc | null;
  done: boolean;
};

type RawWrite = { component: string; table: string; id: string; op: WriteOp; before: Doc | null; after: Doc | null };

class OpenTransaction {
  functions: string[] = [];
  entry: { name: string; component: string; fn: string } | null = null;
  /** Component of the first function seen, and the scheduled function it runs in (convex-test's request metadata). */
  firstComponent: string | null = null;
  scheduledJob: string | null = null;
  asked = false;
  reads: ReadRange[] = [];
  streams = new Map<DatabaseFake, Map<number, Stream>>();
  /** Writes per nesting level; a nested level that rolls back is dropped. */
  frames: RawWrite[][] = [[]];
  touched = false;

  constructor(
    readonly seq: number,
    readonly atMs: number,
    readonly snapshotTs: bigint,
  ) {}
}

/**
 * Starts recording every transaction of the backend `t` that touches an
 * audited component. Attach before the workload; read `transactions`, or
 * pass them to `conflictReport`; `detach()` when done.
 *
 * @example
 * const t = initConvexTest();
 * const audit = attachConflictAudit(t);
 * ...workload...
 * const report = conflictReport(audit.transactions, { jobs: 50, kindOf });
 * console.log(formatConflictReport(report));
 * audit.detach();
 */
export function attachConflictAudit(t: TestBackend, options: AuditOptions = {}): ConflictAudit {
  const backend = findBackend(t);
  const audited =
    typeof options.components === "function"
      ? options.components
      : options.components !== undefined
        ? (p: string) => (options.components as readonly string[]).includes(p)
        : (p: string) => p !== "";
  const transactions: RecordedTransaction[] = [];
  const tm = backend.transactionManager;
  const original = {
    begin: tm.begin,
    commit: tm.commit,
    rollback: tm.rollback,
    stashWrites: tm.stashWrites,
    restoreWrites: tm.restoreWrites,
    syscall: backend.syscall,
    asyncSyscall: backend.asyncSyscall,
  };
  /** Hooked databases by component path. */
  const hooked = new Map<string, DatabaseFake>();
  let seq = 0;
  let current: OpenTransaction | null = null;
  /** The user operation whose synchronous part is running, if any. */
  let active: { op: string; tx: OpenTransaction; used: boolean } | null = null;
  /**
   * Above 0 while a query runs at a stale snapshot (`ctx.runQuery(ref,
   * args, { useStaleSnapshot: true })`, which convex-test brackets with
   * stashWrites / restoreWrites): Convex takes no read dependency on what it
   * reads, so none is recorded. It holds its caller's nested-call lock
   * meanwhile, so no other call of that transaction reads in between.
   */
  let staleDepth = 0;

  const schemaIndexes = (db: DatabaseFake, table: string) =>
    tableIndexes(
      (db._schema?.tables.get(table)?.indexes ?? []).map((i) => ({ name: i.indexDescriptor, fields: i.fields })),
    );
  const protoOf = (db: DatabaseFake) => Object.getPrototypeOf(db) as DatabaseFake;
  const rawGet = (db: DatabaseFake, table: string | undefined, id: string) => protoOf(db).get.call(db, table, id);

  /** The table, index and range a serialized query reads. */
  const describe = (db: DatabaseFake, query: SerializedQuery) => {
    const source = query.source;
    const limitOp = query.operators.find((o): o is { limit: number } => "limit" in o);
    const limit = limitOp?.limit ?? null;
    if (source.type === "IndexRange") {
      const [table = "?", indexName = "?"] = source.indexName.split(".");
      const index = schemaIndexes(db, table).find((i) => i.name === indexName);
      if (index === undefined) throw new Error(`conflict audit: unknown index ${source.indexName}`);
      const range = source.range.map((e) => ({ type: e.type, fieldPath: e.fieldPath, value: fromJson(e.value) }));
      return { table, index, range, shape: rangeShape(range), order: source.order ?? "asc", limit };
    }
    // A full table scan reads by_creation_time; a search read is taken, too
    // broadly, as the whole table.
    const table = source.type === "FullTableScan" ? source.tableName : (source.indexName.split(".")[0] ?? "?");
    const index = schemaIndexes(db, table).find((i) => i.name === BY_CREATION_TIME)!;
    const order: Order = source.type === "FullTableScan" ? (source.order ?? "asc") : "asc";
    return { table, index, range: [], shape: source.type === "Search" ? "search (whole table)" : "all", order, limit };
  };

  const touch = (path: string) => {
    if (active === null || !audited(path)) return null;
    active.tx.touched = true;
    return active.tx;
  };
  /** The transaction a read of `path` belongs to, unless the read takes no dependency. */
  const reading = (path: string) => {
    const tx = touch(path);
    return staleDepth > 0 ? null : tx;
  };

  const recordWrite = (path: string, op: WriteOp, table: string, id: string, before: Doc | null, after: Doc | null) => {
    const tx = touch(path);
    if (tx === null) return;
    if (op !== "insert") {
      tx.reads.push({
        component: path, table, index: BY_ID, interval: pointInterval([id]), via: "write",
        shape: "_id = ·", order: "asc", coverage: "point", rows: before === null ? 0 : 1,
      });
    }
    // Convex writes nothing for a patch that changes nothing.
    if (before !== null && after !== null && canonical(before) === canonical(after)) return;
    tx.frames[tx.frames.length - 1]!.push({ component: path, table, id, op, before, after });
  };

  const hookDatabase = (db: DatabaseFake, path: string) => {
    hooked.set(path, db);
    const proto = protoOf(db);
    const own = db as unknown as Record<string, unknown>;
    own.get = (table: string | undefined, id: string) => {
      const doc = proto.get.call(db, table, id);
      if (active?.op === "1.0/get" && !active.used) {
        active.used = true;
        const tx = reading(path);
        const t = table ?? tableOfId(id);
        tx?.reads.push({
          component: path, table: t, index: BY_ID, interval: pointInterval([id]), via: "get",
          shape: "_id = ·", order: "asc", coverage: "point", rows: doc === null ? 0 : 1,
        });
      }
      return doc;
    };
    own.insert = (table: string, value: unknown) => {
      const id = proto.insert.call(db, table, value);
      if (active !== null) recordWrite(path, "insert", table, id, null, rawGet(db, table, id));
      return id;
    };
    for (const method of ["patch", "replace", "delete"] as const) {
      own[method] = (table: string | undefined, id: string, value?: unknown) => {
        const before = active === null ? null : rawGet(db, table, id);
        if (method === "delete") proto.delete.call(db, table, id);
        else proto[method].call(db, table, id, value);
        if (active !== null) {
          const op: WriteOp = method === "delete" ? "delete" : method;
          recordWrite(path, op, table ?? tableOfId(id), id, before, method === "delete" ? null : rawGet(db, table, id));
        }
      };
    }
    own.startQuery = (query: SerializedQuery) => {
      const queryId = proto.startQuery.call(db, query);
      if (active?.op === "1.0/queryStream" || active?.op === "1.0/count") {
        const tx = reading(path);
        if (tx !== null) {
          const d = describe(db, query);
          let streams = tx.streams.get(db);
          if (streams === undefined) tx.streams.set(db, (streams = new Map()));
          streams.set(queryId, {
            component: path, ...d, via: active.op === "1.0/count" ? "count" : "query", rows: 0, last: null, done: false,
          });
        }
      }
      return queryId;
    };
    own.queryNext = (queryId: number) => {
      const result = proto.queryNext.call(db, queryId);
      const stream = active?.tx.streams.get(db)?.get(queryId);
      if (stream !== undefined && (active?.op === "1.0/queryStreamNext" || active?.op === "1.0/count")) {
        if (result.done) stream.done = true;
        else {
          stream.rows += 1;
          stream.last = result.value;
        }
      }
      return result;
    };
    own.paginate = (args: PageArgs) => {
      const result = proto.paginate.call(db, args);
      if (active?.op === "1.0/queryPage" && args.cursor !== "_end_cursor") {
        const tx = reading(path);
        if (tx !== null) {
          const d = describe(db, args.query);
          const hasEnd = args.endCursor !== null && args.endCursor !== "_end_cursor";
          const lastDoc = result.page[result.page.length - 1];
          // convex-test reports a page that ends exactly at the last row as
          // done; Convex stopped at the page size, after that row.
          const stoppedAtSize = !hasEnd && lastDoc !== undefined && result.page.length >= args.pageSize;
          const last = !result.isDone
            ? decodeCursor(result.continueCursor)
            : stoppedAtSize
              ? keyOf(lastDoc, d.index.fields)
              : null;
          tx.reads.push({
            component: path, table: d.table, index: d.index.name,
            interval: pageInterval(
              requestedInterval(d.range), d.order,
              args.cursor === null ? null : decodeCursor(args.cursor),
              last,
              hasEnd ? decodeCursor(args.endCursor!) : null,
            ),
            via: "paginate", shape: d.shape, order: d.order, coverage: "page", rows: result.page.length,
          });
        }
      }
      return result;
    };
  };
  const hookDatabases = () => {
    for (const [path, { db }] of Object.entries(backend.components)) if (hooked.get(path) !== db) hookDatabase(db, path);
  };

  /** The read set and write set of a finished transaction, as Convex would see them. */
  const close = (tx: OpenTransaction, committed: boolean): RecordedTransaction => {
    const reads = [...tx.reads];
    for (const streams of tx.streams.values()) {
      for (const s of streams.values()) {
        const ranOut = s.done && !(s.limit !== null && s.rows >= s.limit);
        const interval = coveredInterval(
          s.range.length === 0 ? WHOLE_INDEX : requestedInterval(s.range),
          s.order,
          s.last === null ? null : keyOf(s.last, s.index.fields),
          ranOut,
        );
        if (interval === null) continue;
        reads.push({
          component: s.component, table: s.table, index: s.index.name, interval, via: s.via,
          shape: s.shape, order: s.order, coverage: ranOut ? "ran out" : "limit", rows: s.rows,
        });
      }
    }
    // Net writes per document: its state before the transaction and after.
    const net = new Map<string, RawWrite>();
    for (const w of tx.frames.flat()) {
      const id = `${w.component}\u0000${w.id}`;
      const first = net.get(id);
      if (first === undefined) net.set(id, { ...w });
      else {
        first.after = w.after;
        if (w.op === "replace") first.op = "replace";
      }
    }
    const writes: DocWrite[] = [];
    for (const w of net.values()) {
      if (w.before === null && w.after === null) continue; // inserted and deleted
      const db = hooked.get(w.component)!;
      const keys: KeyWrite[] = [];
      for (const index of schemaIndexes(db, w.table)) {
        if (w.before !== null) keys.push({ index: index.name, key: keyOf(w.before, index.fields), change: "remove" });
        if (w.after !== null) keys.push({ index: index.name, key: keyOf(w.after, index.fields), change: "put" });
      }
      const op: WriteOp = w.before === null ? "insert" : w.after === null ? "delete" : w.op === "replace" ? "replace" : "patch";
      writes.push({ component: w.component, table: w.table, id: w.id, op, keys });
    }
    return {
      seq: tx.seq,
      name: tx.entry?.name ?? tx.functions[0] ?? "(unknown)",
      component: tx.entry?.component ?? tx.firstComponent ?? "",
      fn: tx.entry?.fn ?? tx.functions[0] ?? "(unknown)",
      functions: tx.functions,
      scheduledBy:
        tx.scheduledJob === null || tx.firstComponent === null
          ? null
          : { component: tx.firstComponent, id: tx.scheduledJob },
      atMs: tx.atMs,
      snapshotTs: tx.snapshotTs,
      committed,
      reads,
      writes,
    };
  };

  const finish = (committed: boolean) => {
    const tx = current;
    current = null;
    if (tx?.touched) transactions.push(close(tx, committed));
  };

  const noteFunction = (tx: OpenTransaction, json: string) => {
    const meta = JSON.parse(json) as { name: string; componentPath: string };
    const name = meta.componentPath === "" ? meta.name : `${meta.componentPath}/${meta.name}`;
    tx.firstComponent ??= meta.componentPath;
    if (!tx.functions.includes(name)) tx.functions.push(name);
    if (tx.entry === null && audited(meta.componentPath)) tx.entry = { name, component: meta.componentPath, fn: meta.name };
  };

  const patched = {
    begin: async (isNested: boolean, limits?: unknown) => {
      await original.begin.call(tm, isNested, limits);
      if (!isNested) {
        hookDatabases();
        current = new OpenTransaction(seq++, tm.getTime(), tm.getSnapshotTs());
      } else current?.frames.push([]);
    },
    commit: (isNested: boolean) => {
      const ts = original.commit.call(tm, isNested);
      if (!isNested) finish(true);
      else if (current !== null && current.frames.length > 1) {
        const top = current.frames.pop()!;
        current.frames[current.frames.length - 1]!.push(...top);
      }
      return ts;
    },
    rollback: (isNested: boolean) => {
      original.rollback.call(tm, isNested);
      if (!isNested) finish(false);
      else if (current !== null && current.frames.length > 1) current.frames.pop();
    },
    stashWrites: () => {
      staleDepth += 1;
      return original.stashWrites.call(tm);
    },
    restoreWrites: (stashed: unknown) => {
      staleDepth = Math.max(0, staleDepth - 1);
      original.restoreWrites.call(tm, stashed);
    },
  };
  Object.assign(tm, patched);

  backend.syscall = (op: string, args: string) => {
    if (current === null || !USER_OPS.has(op)) return original.syscall(op, args);
    const outer = active;
    active = { op, tx: current, used: false };
    try {
      return original.syscall(op, args);
    } finally {
      active = outer;
    }
  };
  backend.asyncSyscall = (op: string, args: string) => {
    if (current === null || !(USER_OPS.has(op) || op === "1.0/runUdf")) return original.asyncSyscall(op, args);
    const tx = current;
    // Which function asks (a call of another function names its caller):
    // computed now, from the caller's context, delivered as a promise.
    original
      .asyncSyscall("1.0/getFunctionMetadata", "{}")
      .then((json) => noteFunction(tx, json))
      .catch(() => {});
    if (!tx.asked) {
      // A scheduled function, and what it calls (an action's mutations
      // too), carries the id of its scheduled-function row. Queries cannot
      // ask; they are never paired anyway.
      tx.asked = true;
      original
        .asyncSyscall("1.0/getRequestMetadata", "{}")
        .then((json) => {
          tx.scheduledJob = (JSON.parse(json) as { scheduledFunctionId: string | null }).scheduledFunctionId;
        })
        .catch(() => {});
    }
    if (!USER_OPS.has(op)) return original.asyncSyscall(op, args);
    const outer = active;
    active = { op, tx, used: false };
    try {
      // The database work of these operations happens before their first
      // await, so it runs while `active` names them.
      return original.asyncSyscall(op, args);
    } finally {
      active = outer;
    }
  };

  return {
    transactions,
    clear: () => void transactions.splice(0),
    detach: () => {
      for (const key of ["begin", "commit", "rollback", "stashWrites", "restoreWrites"] as const) delete (tm as Partial<TransactionManager>)[key];
      backend.syscall = original.syscall;
      backend.asyncSyscall = original.asyncSyscall;
      for (const db of hooked.values()) {
        for (const m of ["get", "insert", "patch", "replace", "delete", "startQuery", "queryNext", "paginate"]) {
          delete (db as unknown as Record<string, unknown>)[m];
        }
      }
      hooked.clear();
    },
  };
}
