import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  /**
   * One row per onComplete call: which run it belongs to, when its job was
   * enqueued and when the onComplete ran (scheduler time).
   */
  done: defineTable({
    run: v.string(),
    workId: v.string(),
    enqueuedAt: v.number(),
    at: v.number(),
  }).index("by_run", ["run"]),
});
