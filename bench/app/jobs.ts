// Identical app code for both pools: trivial jobs, an onComplete that inserts
// one row, and one enqueue mutation whose `pool` argument picks the package
// (the per-job options of the options section are this package's only), plus
// a query that reads this package's stats.
import { v } from "convex/values";
import { Workpool } from "convex-workpool";
import { Workpool as PublishedWorkpool } from "workpool-published";
import { components, internal } from "./_generated/api.js";
import {
  internalAction,
  internalMutation,
  mutation,
  query,
} from "./_generated/server.js";

/**
 * Starts (+1) and onCompletes (-1) with their scheduler time, for the HTML
 * timeline (BENCH_HTML); the bench runner reads them as it reads
 * `__benchDone`.
 */
function note(delta: 1 | -1): void {
  const g = globalThis as { __benchEvents?: [number, 1 | -1][] };
  (g.__benchEvents ??= []).push([Date.now(), delta]);
}

/** The job of the action workloads: does nothing. */
export const noopAction = internalAction({
  args: { i: v.number() },
  returns: v.null(),
  handler: () => {
    note(1);
    return null;
  },
});

/** The job of the mutation workloads: does nothing. */
export const noopMutation = internalMutation({
  args: { i: v.number() },
  returns: v.null(),
  handler: () => {
    note(1);
    return null;
  },
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
    note(-1);
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
    /**
     * The options section (ours only). `first`: index in the run of this
     * call's first job. `idempotency`: one distinct idempotency key per job.
     * `serialKeys`: one serialization key per job, "distinct" (`k<index>`)
     * or "mod10" (`k<index % 10>`). `priority`: for every job of the call.
     */
    first: v.optional(v.number()),
    idempotency: v.optional(v.boolean()),
    serialKeys: v.optional(v.union(v.literal("distinct"), v.literal("mod10"))),
    priority: v.optional(
      v.union(v.literal("high"), v.literal("normal"), v.literal("low")),
    ),
  },
  returns: v.null(),
  handler: async (
    ctx,
    {
      pool,
      kind,
      n,
      maxParallelism,
      statusTtl,
      run,
      first = 0,
      idempotency,
      serialKeys,
      priority,
    },
  ) => {
    const argsArray = Array.from({ length: n }, (_, i) => ({ i }));
    const common = { onComplete: internal.jobs.onDone, context: { run } };
    if (pool === "published") {
      if (idempotency || serialKeys !== undefined || priority !== undefined)
        throw new Error("0.4.12 has none of the options section's options");
      const p = new PublishedWorkpool(components.published, { maxParallelism });
      if (kind === "action")
        await p.enqueueActionBatch(
          ctx,
          internal.jobs.noopAction,
          argsArray,
          common,
        );
      else
        await p.enqueueMutationBatch(
          ctx,
          internal.jobs.noopMutation,
          argsArray,
          common,
        );
      return null;
    }
    const index = (i: number) => first + i;
    const options = {
      ...common,
      ...(idempotency
        ? { idempotencyKeys: argsArray.map((_, i) => `${run}-${index(i)}`) }
        : {}),
      ...(serialKeys !== undefined
        ? {
            keys: argsArray.map((_, i) =>
              serialKeys === "distinct" ? `k${index(i)}` : `k${index(i) % 10}`,
            ),
          }
        : {}),
      ...(priority !== undefined ? { priority } : {}),
    };
    const p = new Workpool(components.ours, {
      maxParallelism,
      ...(statusTtl !== undefined ? { statusTtl } : {}),
    });
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

/** This package's `stats` of the pool mounted as `ours` (the bench counts its reads). */
export const oursStats = query({
  args: {},
  returns: v.any(),
  handler: async (ctx) => await new Workpool(components.ours, {}).stats(ctx),
});
