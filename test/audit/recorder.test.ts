// The recorder against convex-test itself: each case runs a reader and a
// writer as real transactions (t.run), records them, and asks the pure
// report whether the reader would conflict with the writer had they
// overlapped. Together they pin Convex's read-set rules (TOOLCHAIN.md, "A
// real deployment"): ranges that ran out cover their whole range, ranges
// stopped at a limit end at their last row, in their order, and point reads,
// by_id and by_creation_time count.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { convexTest, type TestConvex } from "convex-test";
import {
  componentsGeneric,
  defineSchema,
  type FunctionReference,
  defineTable,
  mutationGeneric,
  queryGeneric,
  type DataModelFromSchemaDefinition,
  type GenericDatabaseWriter,
} from "convex/server";
import { v } from "convex/values";
import type { GenericId as Id } from "convex/values";
import { attachConflictAudit, type ConflictAudit } from "./recorder.js";
import { overlaps, reasonOf, type RecordedTransaction } from "./conflicts.js";

const schema = defineSchema({
  items: defineTable({ n: v.number(), tag: v.optional(v.string()) }).index("by_n", ["n"]).index("by_tag_n", ["tag", "n"]),
  segments: defineTable({ segment: v.commitTs() }).index("by_segment", ["segment"]),
});

type Db = GenericDatabaseWriter<DataModelFromSchemaDefinition<typeof schema>>;

/** A component "c" with the same schema, for paths and nesting. */
const componentModules = {
  "./_generated/server.ts": () => Promise.resolve({}),
  "./fns.ts": () =>
    Promise.resolve({
      insert: mutationGeneric({
        args: { n: v.number() },
        handler: async (ctx, { n }) => await ctx.db.insert("items", { n }),
      }),
      count: queryGeneric({
        args: {},
        handler: async (ctx) => (await ctx.db.query("items").collect()).length,
      }),
      insertThenThrow: mutationGeneric({
        args: { n: v.number() },
        handler: async (ctx, { n }) => {
          await ctx.db.insert("items", { n });
          throw new Error("rolled back on purpose");
        },
      }),
    }),
};

/** References to the functions of component "c". */
const components = componentsGeneric() as unknown as {
  c: { fns: Record<"insert" | "insertThenThrow", FunctionReference<"mutation", "internal">> & { count: FunctionReference<"query", "internal"> } };
};

let t: TestConvex<typeof schema>;
let audit: ConflictAudit;

beforeEach(() => {
  vi.useFakeTimers();
  t = convexTest(schema, { "./_generated/server.ts": () => Promise.resolve({}) });
  t.registerComponent("c", schema, componentModules);
  audit = attachConflictAudit(t, { components: ["", "c"] });
});
afterEach(() => {
  audit.detach();
  vi.useRealTimers();
});

/** Runs `fn` as one app transaction and returns its record. */
async function tx(fn: (db: Db) => Promise<unknown>): Promise<RecordedTransaction> {
  const before = audit.transactions.length;
  await t.run(async (ctx) => {
    await fn(ctx.db);
  });
  const recorded = audit.transactions.slice(before);
  expect(recorded, "one transaction recorded").toHaveLength(1);
  return recorded[0]!;
}

async function seed(...ns: number[]): Promise<Array<Id<"items">>> {
  const ids: Array<Id<"items">> = [];
  await tx(async (db) => {
    for (const n of ns) ids.push(await db.insert("items", { n }));
  });
  return ids;
}

/** The reasons `reader` would conflict with `writer`. */
function conflicts(reader: RecordedTransaction, writer: RecordedTransaction): string[] {
  return [...new Set(overlaps(reader, writer).map(reasonOf))];
}

const byN = (db: Db) => db.query("items").withIndex("by_n");

describe("ranges", () => {
  test("a range read that ran out of rows covers a later insert into that range", async () => {
    await seed(10, 11);
    const reader = await tx(async (db) => await db.query("items").withIndex("by_n", (q) => q.gte("n", 10)).take(5));
    expect(reader.reads).toMatchObject([{ table: "items", index: "by_n", coverage: "ran out", rows: 2 }]);
    const insert = await tx(async (db) => await db.insert("items", { n: 1000 }));
    expect(conflicts(reader, insert)).toEqual(["items by_n [n ≥ ·] asc, ran out (whole range) ← insert"]);
    const below = await tx(async (db) => await db.insert("items", { n: 9 }));
    expect(conflicts(reader, below)).toEqual([]);
  });

  test("take(n) that returned n rows ends at its last row: an insert after it is not covered, one before it is", async () => {
    await seed(10, 20, 30);
    const reader = await tx(async (db) => await db.query("items").withIndex("by_n", (q) => q.gte("n", 10)).take(2));
    expect(reader.reads).toMatchObject([{ index: "by_n", coverage: "limit", rows: 2 }]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 25 })))).toEqual([]);
    // Same n as the last row returned, but created later: after it in the index.
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 20 })))).toEqual([]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 15 })))).toEqual([
      "items by_n [n ≥ ·] asc, up to its last row ← insert",
    ]);
  });

  test("first() on an empty range covers the whole range, where a later row would go", async () => {
    await seed(1, 9);
    const reader = await tx(async (db) => await db.query("items").withIndex("by_n", (q) => q.eq("n", 5)).first());
    expect(reader.reads).toMatchObject([{ index: "by_n", shape: "n = ·", coverage: "ran out", rows: 0 }]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 5 })))).toHaveLength(1);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 6 })))).toEqual([]);
  });

  test("first() that found a row covers the range only up to that row", async () => {
    await seed(5, 5);
    const reader = await tx(async (db) => await db.query("items").withIndex("by_n", (q) => q.eq("n", 5)).first());
    expect(reader.reads).toMatchObject([{ coverage: "limit", rows: 1 }]);
    // Another n = 5 row sorts after the first by creation time.
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 5 })))).toEqual([]);
  });

  test("desc order covers from the top of the range down to its last row", async () => {
    await seed(10, 20, 30);
    const reader = await tx(
      async (db) => await db.query("items").withIndex("by_n", (q) => q.lte("n", 100)).order("desc").take(2),
    );
    expect(reader.reads).toMatchObject([{ order: "desc", coverage: "limit", rows: 2 }]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 25 })))).toEqual([
      "items by_n [n ≤ ·] desc, up to its last row ← insert",
    ]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 90 })))).toHaveLength(1);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 15 })))).toEqual([]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 101 })))).toEqual([]);
  });

  test("an equality prefix bounds the range: another prefix is outside it", async () => {
    await tx(async (db) => await db.insert("items", { n: 1, tag: "a" }));
    const reader = await tx(
      async (db) => await db.query("items").withIndex("by_tag_n", (q) => q.eq("tag", "a").gt("n", 0)).collect(),
    );
    expect(reader.reads).toMatchObject([{ shape: "tag = ·, n > ·", coverage: "ran out" }]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 7, tag: "a" })))).toHaveLength(1);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 7, tag: "b" })))).toEqual([]);
    // A row without a tag is in by_tag_n too, under `undefined`, before "a".
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 7 })))).toEqual([]);
  });

  test("a stream stopped early by its consumer ends at the last row it returned", async () => {
    await seed(1, 2, 3, 4);
    const reader = await tx(async (db) => {
      for await (const row of byN(db)) if (row.n === 2) break;
    });
    expect(reader.reads).toMatchObject([{ coverage: "limit", rows: 2 }]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 3 })))).toEqual([]);
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 1.5 })))).toHaveLength(1);
  });

  test("a page covers from its cursor to its last row, or to the end of the range when it is the last page", async () => {
    await seed(1, 2, 3, 4, 5);
    let cursor = "";
    const first = await tx(async (db) => {
      const page = await byN(db).paginate({ cursor: null, numItems: 2 });
      cursor = page.continueCursor;
    });
    expect(first.reads).toMatchObject([{ via: "paginate", coverage: "page", rows: 2 }]);
    expect(conflicts(first, await tx(async (db) => await db.insert("items", { n: 2.5 })))).toEqual([]);
    expect(conflicts(first, await tx(async (db) => await db.insert("items", { n: 1.5 })))).toHaveLength(1);
    const last = await tx(async (db) => await byN(db).paginate({ cursor, numItems: 100 }));
    expect(conflicts(last, await tx(async (db) => await db.insert("items", { n: 1000 })))).toHaveLength(1);
    expect(conflicts(last, await tx(async (db) => await db.insert("items", { n: 0 })))).toEqual([]);
  });
});

describe("points, by_id and by_creation_time", () => {
  test("a point read conflicts with a patch of that document, not of another", async () => {
    const [a, b] = await seed(1, 2);
    const reader = await tx(async (db) => await db.get(a!));
    expect(reader.reads).toMatchObject([{ index: "by_id", via: "get", coverage: "point", rows: 1 }]);
    expect(conflicts(reader, await tx(async (db) => await db.patch(a!, { n: 100 })))).toEqual([
      "items by id ← patch",
    ]);
    expect(conflicts(reader, await tx(async (db) => await db.patch(b!, { n: 100 })))).toEqual([]);
    expect(conflicts(reader, await tx(async (db) => await db.delete(a!)))).toEqual(["items by id ← delete"]);
  });

  test("patch, replace and delete read the document they change", async () => {
    const [a] = await seed(1);
    const writer = await tx(async (db) => await db.patch(a!, { n: 2 }));
    expect(writer.reads).toMatchObject([{ index: "by_id", via: "write" }]);
    const other = await tx(async (db) => await db.patch(a!, { tag: "x" }));
    expect(conflicts(writer, other)).toEqual(["items by id (a document it changes) ← patch"]);
  });

  test("a write touches the old and new key in every index, by_id and by_creation_time included", async () => {
    const [a] = await seed(1);
    const writer = await tx(async (db) => await db.patch(a!, { n: 2 }));
    const keys = writer.writes[0]!.keys.map((k) => `${k.index} ${k.change} ${JSON.stringify(k.key.slice(0, 1))}`);
    expect(keys).toEqual([
      'by_id remove ["' + a + '"]',
      'by_id put ["' + a + '"]',
      `by_creation_time remove [${JSON.stringify(writer.writes[0]!.keys[2]!.key[0])}]`,
      `by_creation_time put [${JSON.stringify(writer.writes[0]!.keys[2]!.key[0])}]`,
      "by_n remove [1]",
      "by_n put [2]",
      "by_tag_n remove [null]",
      "by_tag_n put [null]",
    ]);
  });

  test("a full table scan reads by_creation_time: the oldest row (asc first) misses inserts, the newest (desc first) covers them", async () => {
    const [a] = await seed(1, 2);
    const oldest = await tx(async (db) => await db.query("items").first());
    const newest = await tx(async (db) => await db.query("items").order("desc").first());
    expect(oldest.reads).toMatchObject([{ index: "by_creation_time", shape: "all", coverage: "limit" }]);
    const insert = await tx(async (db) => await db.insert("items", { n: 3 }));
    expect(conflicts(oldest, insert)).toEqual([]);
    expect(conflicts(newest, insert)).toEqual(["items by_creation_time [all] desc, up to its last row ← insert"]);
    // Any change of the oldest row is at its key.
    expect(conflicts(oldest, await tx(async (db) => await db.patch(a!, { n: 5 })))).toEqual([
      "items by_creation_time [all] asc, up to its last row ← patch",
    ]);
  });

  test("collect() over a table covers every insert, patch and delete in it", async () => {
    const [a, b] = await seed(1, 2);
    const reader = await tx(async (db) => await db.query("items").collect());
    expect(conflicts(reader, await tx(async (db) => await db.insert("items", { n: 3 })))).toHaveLength(1);
    expect(conflicts(reader, await tx(async (db) => await db.patch(a!, { n: 9 })))).toHaveLength(1);
    expect(conflicts(reader, await tx(async (db) => await db.delete(b!)))).toHaveLength(1);
  });
});

describe("system tables", () => {
  test("db.system reads count: a point read of a scheduled function conflicts with its cancel, a scan with a new one", async () => {
    let id = "";
    const schedule = await t.run(async (ctx) => {
      id = await ctx.scheduler.runAfter(60_000, components.c.fns.insert, { n: 1 });
    }).then(() => audit.transactions.at(-1)!);
    expect(schedule.writes).toMatchObject([{ table: "_scheduled_functions", op: "insert" }]);
    const point = await t.run(async (ctx) => {
      await ctx.db.system.get(id as Id<"_scheduled_functions">);
    }).then(() => audit.transactions.at(-1)!);
    const scan = await t.run(async (ctx) => {
      await ctx.db.system.query("_scheduled_functions").collect();
    }).then(() => audit.transactions.at(-1)!);
    const cancel = await t.run(async (ctx) => {
      await ctx.scheduler.cancel(id as Id<"_scheduled_functions">);
    }).then(() => audit.transactions.at(-1)!);
    expect(conflicts(point, cancel)).toEqual(["_scheduled_functions by id ← patch"]);
    expect(conflicts(point, schedule)).toEqual([]);
    expect(conflicts(scan, schedule)).toEqual(["_scheduled_functions by_creation_time [all] asc, ran out (whole range) ← insert"]);
  });
});

describe("write sets", () => {
  test("a patch that changes nothing writes nothing", async () => {
    const [a] = await seed(1);
    const writer = await tx(async (db) => await db.patch(a!, { n: 1 }));
    expect(writer.writes).toEqual([]);
  });

  test("writes are net per document: an insert then a patch is one insert, an insert then a delete is none", async () => {
    const writer = await tx(async (db) => {
      const id = await db.insert("items", { n: 1 });
      await db.patch(id, { n: 2 });
      const gone = await db.insert("items", { n: 3 });
      await db.delete(gone);
    });
    expect(writer.writes).toHaveLength(1);
    expect(writer.writes[0]).toMatchObject({ op: "insert", table: "items" });
    expect(writer.writes[0]!.keys.filter((k) => k.index === "by_n")).toEqual([
      { index: "by_n", key: [2, expect.any(Number), writer.writes[0]!.id], change: "put" },
    ]);
  });

  test("a component's functions are named by path; a nested call that throws keeps its reads, not its writes", async () => {
    await t.mutation(components.c.fns.insert, { n: 1 });
    const inserted = audit.transactions.at(-1)!;
    expect(inserted).toMatchObject({ name: "c/fns:insert", component: "c", fn: "fns:insert" });
    expect(inserted.writes).toMatchObject([{ component: "c", table: "items", op: "insert" }]);

    const before = audit.transactions.length;
    await t.run(async (ctx) => {
      await ctx.runQuery(components.c.fns.count, {});
      await ctx.runMutation(components.c.fns.insertThenThrow, { n: 2 }).catch(() => null);
    });
    const nested = audit.transactions.slice(before);
    expect(nested).toHaveLength(1);
    // The app is audited here too: its inline function comes first.
    expect(nested[0]!.functions).toEqual(["custom", "c/fns:count", "c/fns:insertThenThrow"]);
    expect(nested[0]!.reads).toMatchObject([{ component: "c", index: "by_creation_time", coverage: "ran out" }]);
    expect(nested[0]!.writes).toEqual([]);
  });

  test("a query run at a stale snapshot takes no read dependency: its reads are not recorded, the caller's before and after it are", async () => {
    await seed(2);
    const before = audit.transactions.length;
    await t.run(async (ctx) => {
      await ctx.db.query("items").withIndex("by_n", (q) => q.eq("n", 0)).first();
      const stale = await ctx.runQuery(components.c.fns.count, {}, { useStaleSnapshot: true });
      expect(stale).toBe(0);
      await ctx.runMutation(components.c.fns.insert, { n: 5 });
      await ctx.runQuery(components.c.fns.count, {});
    });
    const [recorded] = audit.transactions.slice(before);
    expect(recorded!.functions).toEqual(["custom", "c/fns:count", "c/fns:insert"]);
    // The app's range read, and one scan of c's items: the second count's.
    expect(recorded!.reads.map((r) => `${r.component || "app"} ${r.index} ${r.rows}`)).toEqual([
      "app by_n 0",
      "c by_creation_time 1",
    ]);
    expect(recorded!.writes).toMatchObject([{ component: "c", table: "items", op: "insert" }]);
  });

  test("a top-level query is recorded as not committed", async () => {
    await seed(1);
    await t.query(components.c.fns.count, {});
    expect(audit.transactions.at(-1)).toMatchObject({ name: "c/fns:count", committed: false });
  });
});

describe("commit timestamps", () => {
  test("a range bounded by the reader's snapshot misses a concurrent writer's commit-time key; an open range covers it", async () => {
    await tx(async (db) => await db.insert("segments", { segment: 1n }));
    const bounded = await t.run(async (ctx) => {
      const snapshot = ctx.meta.getSnapshotTs();
      await ctx.db.query("segments").withIndex("by_segment", (q) => q.lte("segment", snapshot)).collect();
    }).then(() => audit.transactions.at(-1)!);
    const open = await tx(async (db) => await db.query("segments").withIndex("by_segment").collect());
    const writer = await t.run(async (ctx) => {
      await ctx.db.insert("segments", { segment: ctx.db.vars.commitTs });
    }).then(() => audit.transactions.at(-1)!);
    expect(conflicts(bounded, writer)).toEqual([]);
    expect(conflicts(open, writer)).toEqual(["segments by_segment [all] asc, ran out (whole range) ← insert"]);
  });

  test("a commit-time key is judged as if the writer committed after the reader began, even when the test ran it before", async () => {
    const writer = await t.run(async (ctx) => {
      await ctx.db.insert("segments", { segment: ctx.db.vars.commitTs });
    }).then(() => audit.transactions.at(-1)!);
    const reader = await t.run(async (ctx) => {
      const snapshot = ctx.meta.getSnapshotTs();
      return await ctx.db.query("segments").withIndex("by_segment", (q) => q.lte("segment", snapshot)).collect();
    });
    // Serialized, the reader saw the writer's row; overlapping, it could not have.
    expect(reader).toHaveLength(1);
    expect(conflicts(audit.transactions.at(-1)!, writer)).toEqual([]);
  });
});
