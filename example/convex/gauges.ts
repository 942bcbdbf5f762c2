// Gauges: how many jobs of one kind are in flight, and the most ever at
// once. Jobs call enter and leave around their work; the tests read `get` to
// check that a pool's cap held.
import { v } from "convex/values";
import { internalMutation, query, type MutationCtx } from "./_generated/server.js";

async function move(ctx: MutationCtx, name: string, by: 1 | -1) {
  const gauge = await ctx.db.query("gauges").withIndex("by_name", (q) => q.eq("name", name)).unique();
  const current = (gauge?.current ?? 0) + by;
  if (gauge === null) await ctx.db.insert("gauges", { name, current, max: Math.max(current, 0) });
  else await ctx.db.patch("gauges", gauge._id, { current, max: Math.max(gauge.max, current) });
}

export const enter = internalMutation({
  args: { name: v.string() },
  returns: v.null(),
  handler: async (ctx, { name }) => {
    await move(ctx, name, 1);
    return null;
  },
});

export const leave = internalMutation({
  args: { name: v.string() },
  returns: v.null(),
  handler: async (ctx, { name }) => {
    await move(ctx, name, -1);
    return null;
  },
});

export const get = query({
  args: { name: v.string() },
  returns: v.object({ current: v.number(), max: v.number() }),
  handler: async (ctx, { name }) => {
    const gauge = await ctx.db.query("gauges").withIndex("by_name", (q) => q.eq("name", name)).unique();
    return { current: gauge?.current ?? 0, max: gauge?.max ?? 0 };
  },
});
