// A workflow chained with onComplete: step 1's result starts step 2.
import { v } from "convex/values";
import { vOnCompleteArgs } from "convex-workpool";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, mutation } from "./_generated/server.js";
import { scrapePool } from "./workpools.js";

export const start = mutation({
  args: { input: v.string() },
  returns: v.id("pipelineRuns"),
  handler: async (ctx, { input }) => {
    const runId = await ctx.db.insert("pipelineRuns", { input });
    await scrapePool.enqueueAction(ctx, internal.pipeline.step1, { input }, {
      onComplete: internal.pipeline.afterStep1,
      context: { runId },
    });
    return runId;
  },
});

export const step1 = internalAction({
  args: { input: v.string() },
  returns: v.string(),
  handler: async (_ctx, { input }) => Promise.resolve(input.toUpperCase()),
});

export const afterStep1 = internalMutation({
  args: vOnCompleteArgs(v.object({ runId: v.id("pipelineRuns") }), v.string()),
  returns: v.null(),
  handler: async (ctx, { context, result }) => {
    if (result.kind !== "success") return null;
    await ctx.db.patch("pipelineRuns", context.runId, { step1: result.returnValue });
    await scrapePool.enqueueAction(ctx, internal.pipeline.step2, { text: result.returnValue }, {
      onComplete: internal.pipeline.afterStep2,
      context,
    });
    return null;
  },
});

export const step2 = internalAction({
  args: { text: v.string() },
  returns: v.string(),
  handler: async (_ctx, { text }) => Promise.resolve(`${text}!`),
});

export const afterStep2 = internalMutation({
  args: vOnCompleteArgs(v.object({ runId: v.id("pipelineRuns") }), v.string()),
  returns: v.null(),
  handler: async (ctx, { context, result }) => {
    if (result.kind === "success") await ctx.db.patch("pipelineRuns", context.runId, { step2: result.returnValue });
    return null;
  },
});
