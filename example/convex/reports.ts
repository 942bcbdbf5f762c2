// Queries can be enqueued too (less common): the result goes to onComplete.
import { v } from "convex/values";
import { vOnCompleteArgs } from "convex-workpool";
import { internal } from "./_generated/api.js";
import { internalMutation, internalQuery, mutation } from "./_generated/server.js";
import { scrapePool } from "./workpools.js";

export const requestMonthly = mutation({
  args: { month: v.string() },
  returns: v.string(),
  handler: async (ctx, { month }): Promise<string> =>
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

export const save = internalMutation({
  args: vOnCompleteArgs(v.object({ month: v.string() }), v.number()),
  returns: v.null(),
  handler: async (ctx, { context, result }) => {
    if (result.kind === "success") await ctx.db.insert("reports", { month: context.month, users: result.returnValue });
    return null;
  },
});
