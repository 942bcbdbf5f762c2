// The functions the test workflows run as steps. Each leaves a trace in the
// app's tables (a note, an attempt count, a label), so the tests can see
// which steps ran and how often.
import { ConvexError, v } from "convex/values";
import { NonRetryableError } from "@convex-dev/workpool";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";

/** The data of the ConvexError `reserve` throws. */
export type OutOfStock = { code: "OUT_OF_STOCK"; message: string; sku: string };

export const addNote = internalMutation({
  args: { text: v.string() },
  returns: v.id("notes"),
  handler: async (ctx, { text }) => await ctx.db.insert("notes", { text }),
});

export const noteTexts = internalQuery({
  args: {},
  returns: v.array(v.string()),
  handler: async (ctx) => (await ctx.db.query("notes").collect()).map((note) => note.text),
});

export const shout = internalAction({
  args: { text: v.string() },
  returns: v.string(),
  handler: (_ctx, { text }) => `${text.toUpperCase()}!`,
});

/** Counts a run under `key` and returns how many runs there have been. */
export const countAttempt = internalMutation({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (ctx, { key }) => {
    const row = await ctx.db
      .query("attempts")
      .withIndex("by_key", (q) => q.eq("key", key))
      .unique();
    if (row === null) {
      await ctx.db.insert("attempts", { key, count: 1 });
      return 1;
    }
    await ctx.db.patch("attempts", row._id, { count: row.count + 1 });
    return row.count + 1;
  },
});

/** Fails its first `failures` runs with a plain Error, then returns its run number. */
export const flaky = internalAction({
  args: { key: v.string(), failures: v.number() },
  returns: v.number(),
  handler: async (ctx, { key, failures }): Promise<number> => {
    const run: number = await ctx.runMutation(internal.steps.countAttempt, { key });
    if (run <= failures) throw new Error(`flaky run ${run} failed`);
    return run;
  },
});

/** Always fails with a ConvexError whose data says why (an expected failure). */
export const reserve = internalAction({
  args: { key: v.string(), sku: v.string() },
  returns: v.null(),
  handler: async (ctx, { key, sku }) => {
    await ctx.runMutation(internal.steps.countAttempt, { key });
    throw new ConvexError<OutOfStock>({
      code: "OUT_OF_STOCK",
      message: `${sku} is out of stock`,
      sku,
    });
  },
});

/** Always fails with the pool's NonRetryableError: retrying cannot help. */
export const charge = internalAction({
  args: { key: v.string() },
  returns: v.null(),
  handler: async (ctx, { key }) => {
    await ctx.runMutation(internal.steps.countAttempt, { key });
    throw new NonRetryableError("card declined");
  },
});

/**
 * Waits `ms` on the (fake) clock. While it waits, the global
 * `__workflowStepsWaiting` counts it, so a test can tell that the step is
 * running and parked on the clock.
 */
export const wait = internalAction({
  args: { ms: v.number() },
  returns: v.null(),
  handler: async (_ctx, { ms }) => {
    const g = globalThis as { __workflowStepsWaiting?: number };
    g.__workflowStepsWaiting = (g.__workflowStepsWaiting ?? 0) + 1;
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      g.__workflowStepsWaiting -= 1;
    }
    return null;
  },
});

export const markReached = internalMutation({
  args: { label: v.string() },
  returns: v.null(),
  handler: async (ctx, { label }) => {
    await ctx.db.insert("reached", { label });
    return null;
  },
});
