// What the workflow tests read back: the app's own writes, made by steps and
// by the workflows' onComplete.
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  /** Written by a mutation step, counted by a query step. */
  notes: defineTable({ text: v.string() }),
  /** Runs of an action step, one row per key; `count` includes failed runs. */
  attempts: defineTable({ key: v.string(), count: v.number() }).index("by_key", ["key"]),
  /** One row per call of a workflow's onComplete. */
  completions: defineTable({
    workflowId: v.string(),
    result: v.any(),
    context: v.any(),
  }).index("by_workflowId", ["workflowId"]),
  /** Labels of steps that ran (to see that a canceled workflow stops). */
  reached: defineTable({ label: v.string() }),
});
