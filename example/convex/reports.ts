// Queries can be enqueued too (less common): the result goes to onComplete.
import { v } from "convex/values";
import type { WorkId } from "convex-workpool";
import { internal } from "./_generated/api.js";
import { internalQuery, mutation, type MutationCtx } from "./_generated/server.js";
import { scrapePool } from "./workpools.js";

export const requestMonthly = mutation({
  args: { month: v.string() },
  returns: v.string(),
  handler: async (ctx, { month }): Promise<WorkId> =>
    await scrapePool.enqueueQuery(ctx, internal.reports.generate, { month }, {
      onComplete: internal.reports.save,
      context: { month },
    }),
});

export const generate = internalQuery({
  args: { month: v.string() },
  returns: v.number(),
  handler: async (ctx) => (await ctx.db.query("users").collect()).length,
});

/** The same report, generated at a given time (epoch ms), e.g. the 1st of next month. */
export const scheduleMonthly = mutation({
  args: { month: v.string(), at: v.number() },
  returns: v.string(),
  handler: async (ctx, { month, at }): Promise<WorkId> =>
    await scrapePool.enqueueQuery(ctx, internal.reports.generate, { month }, {
      runAtTime: at,
      onComplete: internal.reports.save,
      context: { month },
    }),
});

// An onComplete defined by the pool: its context and return value are typed.
export const save = scrapePool.defineOnComplete({
  context: v.object({ month: v.string() }),
  returnValue: v.number(),
  handler: async (ctx: MutationCtx, { context, result }) => {
    if (result.kind === "success") await ctx.db.insert("reports", { month: context.month, users: result.returnValue });
  },
});
