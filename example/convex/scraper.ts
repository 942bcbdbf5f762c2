// Fan-out with limits: a batch of pages fetched at most 5 at a time, some of
// them later, or crawled one page per site at a time (`crawl`). Fetching is
// simulated (no network here).
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

/**
 * Crawls pages of several sites politely: one request per site at a time,
 * in the order given, while other sites' pages use the pool's other slots.
 */
export const crawl = mutation({
  args: { urls: v.array(v.string()) },
  returns: v.array(v.string()),
  handler: async (ctx, { urls }): Promise<WorkId[]> =>
    // `keys`, one per job: jobs with the same key run one at a time, in enqueue order.
    await scrapePool.enqueueActionBatch(ctx, internal.scraper.fetchPage, urls.map((url) => ({ url })), {
      keys: urls.map((url) => new URL(url).host),
    }),
});

export const fetchPage = internalAction({
  args: { url: v.string() },
  returns: v.number(),
  handler: async (ctx, { url }) => {
    // Two gauges: fetches in flight, and fetches of this page's site in flight.
    const gauges = ["scraper", `site:${new URL(url).host}`];
    for (const name of gauges) await ctx.runMutation(internal.gauges.enter, { name });
    try {
      const bytes = url.length * 100; // stands in for a real fetch
      await ctx.runMutation(internal.scraper.savePage, { url, bytes });
      return bytes;
    } finally {
      for (const name of gauges) await ctx.runMutation(internal.gauges.leave, { name });
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
