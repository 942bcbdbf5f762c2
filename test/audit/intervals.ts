// Index keys and key intervals with Convex's read-set semantics, as pure
// functions (no convex-test): what a range query covers, what a write
// touches, and whether one falls inside the other. The recorder
// (recorder.ts) feeds these from convex-test; the report (conflicts.ts)
// pairs transactions with them.
//
// Convex (crates/database/src/query/index_range.rs, reads.rs):
// - an index key is the index's fields, then `_creationTime`, then `_id`;
//   `by_creation_time` is [_creationTime, _id] and `by_id` is [_id];
// - a range query that returns a row records the interval from the start of
//   its range (in its order) up to and including that row; one that runs out
//   of rows records the whole requested range. So `take(n)` that returned n
//   rows covers up to the n-th, while `first()` on an empty range covers the
//   whole range, and with it the point where a later row would be inserted;
// - `db.get(id)` is a point in `by_id`, and so is the read that `patch`,
//   `replace` and `delete` make of the document they change;
// - a committed write conflicts with a transaction's reads when the old or
//   the new document's key, in any index of its table, is inside one of the
//   intervals read (an unchanged key counts: the document changed).
import { compareValues, type Value } from "convex/values";

/**
 * A commit timestamp not yet assigned (`v.commitTs()` fields, convex 1.47+),
 * in the key of a document written by a transaction that has not committed.
 * When two transactions overlap, the writer commits after the reader's
 * snapshot, so in a writer's key it stands for "just after the reader's
 * snapshot"; in a reader's own rows it is its own commit, later than anything.
 */
export const PENDING_COMMIT_TS: unique symbol = Symbol.for("conflict-audit/pending-commit-ts");

/** Largest int64: where convex-test and Convex put an unresolved commit time in reads. */
export const MAX_INT64 = 2n ** 63n - 1n;

/** One part of an index key: a field's value (`undefined` when absent). */
export type KeyPart = Value | undefined | typeof PENDING_COMMIT_TS;
export type IndexKey = readonly KeyPart[];

/**
 * One end of an interval. A key is compared with `key` over `key.length`
 * parts only (a prefix), so `{ key: ["a"], inclusive: true }` as a lower
 * bound admits every key starting with "a".
 */
export type Bound = { key: IndexKey; inclusive: boolean };

/** The keys between `lower` and `upper`; `null` is unbounded on that side. */
export type Interval = { lower: Bound | null; upper: Bound | null };

export type Order = "asc" | "desc";

/** A `withIndex` range expression, as the query carries it. */
export type RangeExpression = {
  type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte";
  fieldPath: string;
  value: Value | undefined;
};

/** An index of a table: its name and the fields of its full key. */
export type IndexDef = { name: string; fields: string[] };

export const BY_ID = "by_id";
export const BY_CREATION_TIME = "by_creation_time";

/**
 * Every index of a table, with its full key: the schema's indexes (fields,
 * then `_creationTime`, `_id`), plus `by_id` and `by_creation_time`.
 */
export function tableIndexes(schemaIndexes: ReadonlyArray<{ name: string; fields: readonly string[] }>): IndexDef[] {
  return [
    { name: BY_ID, fields: ["_id"] },
    { name: BY_CREATION_TIME, fields: ["_creationTime", "_id"] },
    ...schemaIndexes.map((i) => ({ name: i.name, fields: [...i.fields, "_creationTime", "_id"] })),
  ];
}

/** The value at a dotted field path (`undefined` when absent). */
export function fieldValue(doc: Record<string, unknown>, path: string): KeyPart {
  let value: unknown = doc;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value as KeyPart;
}

/** A document's key in an index (fields as listed in `IndexDef.fields`). */
export function indexKey(doc: Record<string, unknown>, fields: readonly string[]): IndexKey {
  return fields.map((f) => fieldValue(doc, f));
}

/**
 * Compares two key parts in Convex's order (undefined < null < int64 <
 * float64 < boolean < string < bytes < array < object). `pending` is what a
 * PENDING_COMMIT_TS stands for on each side.
 */
export function compareParts(a: KeyPart, b: KeyPart, pendingA: bigint = MAX_INT64, pendingB: bigint = MAX_INT64): number {
  const x = a === PENDING_COMMIT_TS ? pendingA : a;
  const y = b === PENDING_COMMIT_TS ? pendingB : b;
  return Math.sign(compareValues(x, y));
}

/**
 * Compares `key` with `prefix` over the prefix's length: 0 when the key
 * starts with the prefix. `pendingInKey` is what a pending commit time in
 * `key` stands for (one in `prefix`, a bound, is taken as the maximum).
 */
export function comparePrefix(key: IndexKey, prefix: IndexKey, pendingInKey: bigint = MAX_INT64): number {
  for (let i = 0; i < prefix.length; i++) {
    const c = compareParts(key[i], prefix[i], pendingInKey, MAX_INT64);
    if (c !== 0) return c;
  }
  return 0;
}

/** Whether `key` is inside `interval`. */
export function contains(interval: Interval, key: IndexKey, pendingInKey: bigint = MAX_INT64): boolean {
  const { lower, upper } = interval;
  if (lower !== null) {
    const c = comparePrefix(key, lower.key, pendingInKey);
    if (lower.inclusive ? c < 0 : c <= 0) return false;
  }
  if (upper !== null) {
    const c = comparePrefix(key, upper.key, pendingInKey);
    if (upper.inclusive ? c > 0 : c >= 0) return false;
  }
  return true;
}

/**
 * The interval a `withIndex` range asks for: equalities on a prefix of the
 * index's fields, then at most one lower and one upper bound on the next.
 * (The expressions are assumed valid: convex-test and Convex reject others.)
 */
export function requestedInterval(range: readonly RangeExpression[]): Interval {
  const prefix: KeyPart[] = [];
  let lower: Bound | null = null;
  let upper: Bound | null = null;
  for (const e of range) {
    switch (e.type) {
      case "Eq":
        prefix.push(e.value);
        break;
      case "Gt":
      case "Gte":
        lower = { key: [...prefix, e.value], inclusive: e.type === "Gte" };
        break;
      case "Lt":
      case "Lte":
        upper = { key: [...prefix, e.value], inclusive: e.type === "Lte" };
        break;
    }
  }
  // Bounds on the field after the equalities keep the equalities' prefix.
  const eqs = range.filter((e) => e.type === "Eq").length;
  const eqBound: Bound | null = eqs === 0 ? null : { key: prefix.slice(0, eqs), inclusive: true };
  return { lower: lower ?? eqBound, upper: upper ?? eqBound };
}

/** Everything: a full table scan, or a `withIndex` with no range. */
export const WHOLE_INDEX: Interval = { lower: null, upper: null };

/** The one key `key` (a full key: a `db.get` is the point `[id]` in by_id). */
export function pointInterval(key: IndexKey): Interval {
  return { lower: { key, inclusive: true }, upper: { key, inclusive: true } };
}

/**
 * What a range read covered (Convex's semantics): the whole requested range
 * when it ran out of rows; else, in its order, from where it started up to
 * and including the last row it returned (`last`, a full key); nothing when
 * it returned no row and did not run out (never started).
 */
export function coveredInterval(
  requested: Interval,
  order: Order,
  last: IndexKey | null,
  ranOut: boolean,
): Interval | null {
  if (ranOut) return requested;
  if (last === null) return null;
  const at: Bound = { key: last, inclusive: true };
  return order === "asc" ? { lower: requested.lower, upper: at } : { lower: at, upper: requested.upper };
}

/**
 * What one page of `.paginate()` covered: from its start cursor (exclusive;
 * the range's start without one) to its end: the last row read when it
 * stopped at its size or budget (`last`, a full key), else the end cursor
 * or the end of the range.
 */
export function pageInterval(
  requested: Interval,
  order: Order,
  start: IndexKey | null,
  last: IndexKey | null,
  end: IndexKey | null,
): Interval {
  const from: Bound | null = start === null ? null : { key: start, inclusive: false };
  const to: Bound | null = last !== null ? { key: last, inclusive: true } : end !== null ? { key: end, inclusive: true } : null;
  return order === "asc"
    ? { lower: from ?? requested.lower, upper: to ?? requested.upper }
    : { lower: to ?? requested.lower, upper: from ?? requested.upper };
}

/** A range's shape, values elided, for grouping: "rank = ·, readyAt ≤ ·". */
export function rangeShape(range: readonly RangeExpression[]): string {
  if (range.length === 0) return "all";
  const op = { Eq: "=", Gt: ">", Gte: "≥", Lt: "<", Lte: "≤" } as const;
  return range.map((e) => `${e.fieldPath} ${op[e.type]} ·`).join(", ");
}

function showPart(p: KeyPart): string {
  if (p === PENDING_COMMIT_TS) return "commitTs";
  if (p === undefined) return "undefined";
  if (typeof p === "bigint") return `${p}n`;
  // Ids differ at their end (convex-test's are zero-padded counters).
  if (typeof p === "string") return JSON.stringify(p.length > 20 ? `…${p.slice(-16)}` : p);
  if (typeof p === "object" && p !== null) return Array.isArray(p) ? "[...]" : "{...}";
  return String(p);
}

/** An interval with its values, for messages: `[("a", 1) .. ("a")]`. */
export function showInterval(i: Interval): string {
  const key = (b: Bound) => `(${b.key.map(showPart).join(", ")})`;
  const lo = i.lower === null ? "(-∞" : `${i.lower.inclusive ? "[" : "("}${key(i.lower)}`;
  const hi = i.upper === null ? "+∞)" : `${key(i.upper)}${i.upper.inclusive ? "]" : ")"}`;
  return `${lo} .. ${hi}`;
}

export function showKey(key: IndexKey): string {
  return `(${key.map(showPart).join(", ")})`;
}
