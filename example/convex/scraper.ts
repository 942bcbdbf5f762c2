// Fan-out with limits: a batch of pages fetched at most 5 at a time, some of
// them later. Fetching is simulated (no network here).
import { v } from "convex/values";
import type { WorkId } from "convex-workpool";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, mutation } from "./_generated/server.js";
import { scrapePool } from "./workpools.js";

export const scrapeAll = mutation({
  args: { urls: v.array(v.string()), delayMs: v.optional(v.number()) },
  returns: v.array(v.string()),
  handler: async (ctx, { urls, delayMs }): Promise<WorkId[]> =>
    // One call for the whole batch; the ids come back in the order of `urls`.
    // With `delayMs`, none of them starts before that many ms from now.
    await scrapePool.enqueueActionBatch(ctx, internal.scraper.fetchPage, urls.map((url) => ({ url })), { delayMs }),
});

export const fetchPage = internalAction({
  args: { url: v.string() },
  returns: v.number(),
  handler: async (ctx, { url }) => {
    await ctx.runMutation(internal.gauges.enter, { name: "scraper" });
    try {
      const bytes = url.length * 100; // stands in for a real fetch
      await ctx.runMutation(internal.scraper.savePage, { url, bytes });
      return bytes;
    } finally {
      await ctx.runMutation(internal.gauges.leave, { name: "scraper" });
    }
  },
});

export const savePage = internalMutation({
  args: { url: v.string(), bytes: v.number() },
  returns: v.null(),
  handler: async (ctx, page) => {
    await ctx.db.insert("pages", page);
    return null;
  },
});
