// Identical app code for both pools: trivial jobs, an onComplete that inserts
// one row, and one enqueue mutation whose `pool` argument picks the package.
import { v } from "convex/values";
import { Workpool } from "convex-workpool";
import { Workpool as PublishedWorkpool } from "workpool-published";
import { components, internal } from "./_generated/api.js";
import {
  internalAction,
  internalMutation,
  mutation,
} from "./_generated/server.js";

/** The job of the action workloads: does nothing. */
export const noopAction = internalAction({
  args: { i: v.number() },
  returns: v.null(),
  handler: () => null,
});

/** The job of the mutation workloads: does nothing. */
export const noopMutation = internalMutation({
  args: { i: v.number() },
  returns: v.null(),
  handler: () => null,
});

/** onComplete of every job: one row in `done`. */
export const onDone = internalMutation({
  args: {
    workId: v.string(),
    context: v.object({ run: v.string() }),
    result: v.any(),
  },
  returns: v.null(),
  handler: async (ctx, { workId, context }) => {
    await ctx.db.insert("done", { run: context.run, workId, at: Date.now() });
    // Lets the bench runner stop stepping the clock without querying; the
    // rows above are what the figures are checked against.
    const g = globalThis as { __benchDone?: number };
    g.__benchDone = (g.__benchDone ?? 0) + 1;
    return null;
  },
});

/** Enqueues `n` jobs (one batch call) into the pool named by `pool`. */
export const enqueueChunk = mutation({
  args: {
    pool: v.union(v.literal("ours"), v.literal("published")),
    kind: v.union(v.literal("action"), v.literal("mutation")),
    n: v.number(),
    maxParallelism: v.number(),
    statusTtl: v.optional(v.number()),
    run: v.string(),
  },
  returns: v.null(),
  handler: async (ctx, { pool, kind, n, maxParallelism, statusTtl, run }) => {
    const argsArray = Array.from({ length: n }, (_, i) => ({ i }));
    const options = { onComplete: internal.jobs.onDone, context: { run } };
    const p =
      pool === "ours"
        ? new Workpool(components.ours, {
            maxParallelism,
            ...(statusTtl !== undefined ? { statusTtl } : {}),
          })
        : new PublishedWorkpool(components.published, { maxParallelism });
    if (kind === "action")
      await p.enqueueActionBatch(
        ctx,
        internal.jobs.noopAction,
        argsArray,
        options,
      );
    else
      await p.enqueueMutationBatch(
        ctx,
        internal.jobs.noopMutation,
        argsArray,
        options,
      );
    return null;
  },
});
