import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  /** One row per onComplete call: which run it belongs to, and when (scheduler time). */
  done: defineTable({
    run: v.string(),
    workId: v.string(),
    at: v.number(),
  }).index("by_run", ["run"]),
});
