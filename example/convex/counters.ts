// Serialized writes: every increment of a key goes through the serial pool,
// so concurrent callers never conflict on the counter document.
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import { internalMutation, mutation, query } from "./_generated/server.js";
import { counterPool } from "./workpools.js";

export const increment = mutation({
  args: { key: v.string() },
  returns: v.null(),
  handler: async (ctx, { key }) => {
    await counterPool.enqueueMutation(ctx, internal.counters.doIncrement, { key });
    return null;
  },
});

export const doIncrement = internalMutation({
  args: { key: v.string() },
  returns: v.null(),
  handler: async (ctx, { key }) => {
    const counter = await ctx.db.query("counters").withIndex("by_key", (q) => q.eq("key", key)).unique();
    if (counter) await ctx.db.patch("counters", counter._id, { count: counter.count + 1 });
    else await ctx.db.insert("counters", { key, count: 1 });
    return null;
  },
});

export const get = query({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (ctx, { key }) =>
    (await ctx.db.query("counters").withIndex("by_key", (q) => q.eq("key", key)).unique())?.count ?? 0,
});
