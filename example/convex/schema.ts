import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({ email: v.string(), welcomed: v.optional(v.boolean()) }),
  /** What happened to each email job (written by onComplete). */
  emailLog: defineTable({
    workId: v.string(),
    email: v.string(),
    outcome: v.union(v.literal("success"), v.literal("failed"), v.literal("canceled")),
    detail: v.optional(v.string()),
  }).index("by_workId", ["workId"]),
  /** Every email the simulated provider sent, in the order it sent them. */
  outbox: defineTable({ to: v.string(), subject: v.string() }),
  /** Pages fetched by the scraper. */
  pages: defineTable({ url: v.string(), bytes: v.number() }).index("by_url", ["url"]),
  counters: defineTable({ key: v.string(), count: v.number() }).index("by_key", ["key"]),
  /** A two-step pipeline chained with onComplete. */
  pipelineRuns: defineTable({
    input: v.string(),
    step1: v.optional(v.string()),
    step2: v.optional(v.string()),
  }),
  /** Monthly reports produced by an enqueued query. */
  reports: defineTable({ month: v.string(), users: v.number() }),
  /** Every request the simulated external API received, with its attempt number. */
  apiCalls: defineTable({
    method: v.union(v.literal("GET"), v.literal("POST")),
    endpoint: v.string(),
    attempt: v.number(),
  }).index("by_endpoint", ["endpoint"]),
  /** How each external call ended (written by onComplete). */
  apiResults: defineTable({
    workId: v.string(),
    endpoint: v.string(),
    outcome: v.union(v.literal("success"), v.literal("failed"), v.literal("canceled")),
    error: v.optional(v.string()),
    /** The HTTP status a failed call's ConvexError carried (its errorData). */
    httpStatus: v.optional(v.number()),
  }),
  /** Jobs of one kind in flight, and the most ever at once (gauges.ts). */
  gauges: defineTable({ name: v.string(), current: v.number(), max: v.number() }).index("by_name", ["name"]),

  // Tables of `npm run demo` (demo.ts): what it observes from the app side.
  /** Attempts started per job key (an email address or a URL), and when the first began. */
  demoAttempts: defineTable({ key: v.string(), count: v.number(), firstAt: v.number() }).index("by_key", ["key"]),
  /** Jobs running right now per gauge (a pool, or a site), and the most ever at once. */
  demoGauges: defineTable({ name: v.string(), current: v.number(), max: v.number() }).index("by_name", ["name"]),
  /** One row per onComplete call. */
  demoCompletions: defineTable({
    pool: v.string(),
    workId: v.string(),
    outcome: v.union(v.literal("success"), v.literal("failed"), v.literal("canceled")),
    at: v.number(),
  }),
});
