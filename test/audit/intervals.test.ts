// Key intervals with Convex's read-set semantics, without convex-test.
import { describe, expect, test } from "vitest";
import {
  MAX_INT64,
  PENDING_COMMIT_TS,
  WHOLE_INDEX,
  compareParts,
  contains,
  coveredInterval,
  indexKey,
  pageInterval,
  pointInterval,
  rangeShape,
  requestedInterval,
  showInterval,
  tableIndexes,
  type IndexKey,
  type RangeExpression,
} from "./intervals.js";

const eq = (fieldPath: string, value: RangeExpression["value"]): RangeExpression => ({ type: "Eq", fieldPath, value });
const gt = (fieldPath: string, value: number): RangeExpression => ({ type: "Gt", fieldPath, value });
const gte = (fieldPath: string, value: number): RangeExpression => ({ type: "Gte", fieldPath, value });
const lt = (fieldPath: string, value: number): RangeExpression => ({ type: "Lt", fieldPath, value });
const lte = (fieldPath: string, value: number): RangeExpression => ({ type: "Lte", fieldPath, value });

/** A full key of index [rank, readyAt]: fields, _creationTime, _id. */
const key = (rank: number, readyAt: number, ct = 0, id = "x"): IndexKey => [rank, readyAt, ct, id];

describe("keys", () => {
  test("a full key is the index's fields, then _creationTime and _id; by_id and by_creation_time are indexes", () => {
    expect(tableIndexes([{ name: "by_rank_readyAt", fields: ["rank", "readyAt"] }])).toEqual([
      { name: "by_id", fields: ["_id"] },
      { name: "by_creation_time", fields: ["_creationTime", "_id"] },
      { name: "by_rank_readyAt", fields: ["rank", "readyAt", "_creationTime", "_id"] },
    ]);
    const doc = { _id: "1work", _creationTime: 5, rank: 0, nested: { at: 3 } };
    expect(indexKey(doc, ["rank", "missing", "nested.at", "_creationTime", "_id"])).toEqual([0, undefined, 3, 5, "1work"]);
  });

  test("parts compare in Convex's order: undefined < null < int64 < number < boolean < string", () => {
    const order = [undefined, null, 5n, -1, 7, false, true, "", "a"];
    for (let i = 0; i + 1 < order.length; i++) expect(compareParts(order[i], order[i + 1])).toBe(-1);
  });

  test("a pending commit time is the maximum in a bound and what the caller says in a key", () => {
    expect(compareParts(PENDING_COMMIT_TS, MAX_INT64)).toBe(0);
    expect(compareParts(PENDING_COMMIT_TS, 10n, 11n)).toBe(1);
    expect(compareParts(PENDING_COMMIT_TS, 10n, 9n)).toBe(-1);
  });
});

describe("requested ranges", () => {
  test("no range is the whole index", () => {
    const all = requestedInterval([]);
    expect(all).toEqual(WHOLE_INDEX);
    expect(contains(all, key(0, 0))).toBe(true);
  });

  test("equalities bound a prefix on both sides", () => {
    const r = requestedInterval([eq("rank", 1)]);
    expect(contains(r, key(1, -1e9))).toBe(true);
    expect(contains(r, key(1, 1e9))).toBe(true);
    expect(contains(r, key(0, 5))).toBe(false);
    expect(contains(r, key(2, 5))).toBe(false);
  });

  test("a bound after equalities keeps the prefix; strict bounds exclude the value", () => {
    const r = requestedInterval([eq("rank", 1), lte("readyAt", 100)]);
    expect(contains(r, key(1, 100, 9e12, "zz"))).toBe(true);
    expect(contains(r, key(1, 101))).toBe(false);
    expect(contains(r, key(0, 200))).toBe(false);
    expect(contains(r, key(2, -5))).toBe(false);
    const strict = requestedInterval([eq("rank", 1), gt("readyAt", 10), lt("readyAt", 20)]);
    expect(contains(strict, key(1, 10))).toBe(false);
    expect(contains(strict, key(1, 10.5))).toBe(true);
    expect(contains(strict, key(1, 20))).toBe(false);
    const closed = requestedInterval([gte("rank", 1), lte("rank", 1)]);
    expect(contains(closed, key(1, 7))).toBe(true);
    expect(contains(closed, key(2, 7))).toBe(false);
  });

  test("an equality on undefined is the rows without the field", () => {
    const r = requestedInterval([eq("rank", undefined)]);
    expect(contains(r, [undefined, 5, 0, "x"])).toBe(true);
    expect(contains(r, [null, 5, 0, "x"])).toBe(false);
  });

  test("shapes name the fields and operators, not the values", () => {
    expect(rangeShape([eq("rank", 0), lte("readyAt", 5)])).toBe("rank = ·, readyAt ≤ ·");
    expect(rangeShape([])).toBe("all");
  });
});

describe("what a read covers", () => {
  const requested = requestedInterval([eq("rank", 0), lte("readyAt", 100)]);

  test("a read that ran out covers the whole requested range", () => {
    expect(coveredInterval(requested, "asc", key(0, 10), true)).toEqual(requested);
    expect(coveredInterval(requested, "asc", null, true)).toEqual(requested);
  });

  test("ascending, a read stopped at a limit covers up to and including its last row", () => {
    const covered = coveredInterval(requested, "asc", key(0, 10, 3, "b"), false)!;
    expect(contains(covered, key(0, 10, 3, "b"))).toBe(true);
    expect(contains(covered, key(0, 5))).toBe(true);
    expect(contains(covered, key(0, 10, 3, "c"))).toBe(false);
    expect(contains(covered, key(0, 10, 4, "a"))).toBe(false);
    expect(contains(covered, key(0, 50))).toBe(false);
  });

  test("descending, it covers from the top of the range down to its last row", () => {
    const covered = coveredInterval(requested, "desc", key(0, 10, 3, "b"), false)!;
    expect(contains(covered, key(0, 50))).toBe(true);
    expect(contains(covered, key(0, 100))).toBe(true);
    expect(contains(covered, key(0, 101))).toBe(false);
    expect(contains(covered, key(0, 10, 2, "z"))).toBe(false);
    expect(showInterval(covered)).toBe("[(0, 10, 3, \"b\") .. (0, 100)]");
  });

  test("a read that returned nothing and did not run out covers nothing", () => {
    expect(coveredInterval(requested, "asc", null, false)).toBeNull();
  });

  test("a page covers from its cursor (exclusive) to its last row, or to its end cursor or the range's end", () => {
    const page = pageInterval(WHOLE_INDEX, "asc", key(0, 10), key(0, 20), null);
    expect(contains(page, key(0, 10))).toBe(false);
    expect(contains(page, key(0, 15))).toBe(true);
    expect(contains(page, key(0, 20))).toBe(true);
    expect(contains(page, key(0, 21))).toBe(false);
    const lastPage = pageInterval(WHOLE_INDEX, "asc", key(0, 10), null, null);
    expect(contains(lastPage, key(9, 9))).toBe(true);
    const bounded = pageInterval(WHOLE_INDEX, "asc", null, null, key(0, 30));
    expect(contains(bounded, key(-5, 0))).toBe(true);
    expect(contains(bounded, key(0, 31))).toBe(false);
    const desc = pageInterval(WHOLE_INDEX, "desc", key(0, 20), key(0, 10), null);
    expect(contains(desc, key(0, 15))).toBe(true);
    expect(contains(desc, key(0, 20))).toBe(false);
    expect(contains(desc, key(0, 5))).toBe(false);
  });

  test("a point covers one id", () => {
    expect(contains(pointInterval(["1work"]), ["1work"])).toBe(true);
    expect(contains(pointInterval(["1work"]), ["2work"])).toBe(false);
  });
});
