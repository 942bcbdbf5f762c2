// Identical app code for all pools: trivial jobs, an onComplete that inserts
// one row, and two enqueue mutations whose `pool` argument picks the package:
// `enqueueChunk` (one batch call of n jobs; the per-job options of the
// options section are this package's only) and `enqueueOne` (one job per
// user mutation, the common case). Plus a query that reads this package's
// stats.
import { v } from "convex/values";
import { Workpool } from "convex-workpool";
import { Workpool as Workpool050 } from "workpool-published-050";
import { Workpool as Workpool0412 } from "workpool-published";
import { components, internal } from "./_generated/api.js";
import type { MutationCtx } from "./_generated/server.js";
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

const vContext = v.object({ run: v.string(), enqueuedAt: v.number() });
type Context = typeof vContext.type;

/** onComplete of every job: one row in `done`. */
export const onDone = internalMutation({
  args: { workId: v.string(), context: vContext, result: v.any() },
  returns: v.null(),
  handler: async (ctx, { workId, context }) => {
    await ctx.db.insert("done", {
      run: context.run,
      workId,
      enqueuedAt: context.enqueuedAt,
      at: Date.now(),
    });
    // Lets the bench runner stop stepping the clock without querying; the
    // rows above are what the figures are checked against.
    const g = globalThis as { __benchDone?: number };
    g.__benchDone = (g.__benchDone ?? 0) + 1;
    note(-1);
    return null;
  },
});

const vPool = v.union(
  v.literal("ours"),
  v.literal("published050"),
  v.literal("published0412"),
);
const vKind = v.union(v.literal("action"), v.literal("mutation"));
type Kind = typeof vKind.type;

type Common = { onComplete: typeof internal.jobs.onDone; context: Context };
/** What the bench calls on a pool, whichever package it is. */
type BenchPool = {
  enqueueAction(
    ctx: MutationCtx,
    fn: typeof internal.jobs.noopAction,
    args: { i: number },
    options: Common,
  ): Promise<string>;
  enqueueMutation(
    ctx: MutationCtx,
    fn: typeof internal.jobs.noopMutation,
    args: { i: number },
    options: Common,
  ): Promise<string>;
  enqueueActionBatch(
    ctx: MutationCtx,
    fn: typeof internal.jobs.noopAction,
    args: { i: number }[],
    options: Common,
  ): Promise<string[]>;
  enqueueMutationBatch(
    ctx: MutationCtx,
    fn: typeof internal.jobs.noopMutation,
    args: { i: number }[],
    options: Common,
  ): Promise<string[]>;
};

function poolOf(
  pool: typeof vPool.type,
  maxParallelism: number,
  statusTtl: number | undefined,
): BenchPool {
  switch (pool) {
    case "ours":
      return new Workpool(components.ours, {
        maxParallelism,
        ...(statusTtl !== undefined ? { statusTtl } : {}),
      });
    case "published050":
      return new Workpool050(components.published050, { maxParallelism });
    case "published0412":
      return new Workpool0412(components.published0412, { maxParallelism });
  }
}

function common(run: string): Common {
  return {
    onComplete: internal.jobs.onDone,
    context: { run, enqueuedAt: Date.now() },
  };
}

/** Enqueues `n` jobs (one batch call) into the pool named by `pool`. */
export const enqueueChunk = mutation({
  args: {
    pool: vPool,
    kind: vKind,
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
    const argsArray = Array.from({ length: n }, (_, i) => ({ i: first + i }));
    const withOptions =
      idempotency || serialKeys !== undefined || priority !== undefined;
    if (pool !== "ours" || !withOptions) {
      if (withOptions)
        throw new Error("the published packages have none of these options");
      const p = poolOf(pool, maxParallelism, statusTtl);
      await (kind === "action"
        ? p.enqueueActionBatch(
            ctx,
            internal.jobs.noopAction,
            argsArray,
            common(run),
          )
        : p.enqueueMutationBatch(
            ctx,
            internal.jobs.noopMutation,
            argsArray,
            common(run),
          ));
      return null;
    }
    const options = {
      ...common(run),
      ...(idempotency
        ? { idempotencyKeys: argsArray.map(({ i }) => `${run}-${i}`) }
        : {}),
      ...(serialKeys !== undefined
        ? {
            keys: argsArray.map(({ i }) =>
              serialKeys === "distinct" ? `k${i}` : `k${i % 10}`,
            ),
          }
        : {}),
      ...(priority !== undefined ? { priority } : {}),
    };
    const p = new Workpool(components.ours, {
      maxParallelism,
      ...(statusTtl !== undefined ? { statusTtl } : {}),
    });
    await (kind === "action"
      ? p.enqueueActionBatch(ctx, internal.jobs.noopAction, argsArray, options)
      : p.enqueueMutationBatch(
          ctx,
          internal.jobs.noopMutation,
          argsArray,
          options,
        ));
    return null;
  },
});

/**
 * One user mutation that enqueues one job (the common case, like a
 * `signUp` that sends one welcome email), into the pool named by `pool`.
 */
export const enqueueOne = mutation({
  args: {
    pool: vPool,
    kind: vKind,
    i: v.number(),
    maxParallelism: v.number(),
    statusTtl: v.optional(v.number()),
    run: v.string(),
  },
  returns: v.null(),
  handler: async (ctx, { pool, kind, i, maxParallelism, statusTtl, run }) => {
    const p = poolOf(pool, maxParallelism, statusTtl);
    await enqueueSingle(ctx, p, kind, i, run);
    return null;
  },
});

async function enqueueSingle(
  ctx: MutationCtx,
  p: BenchPool,
  kind: Kind,
  i: number,
  run: string,
) {
  if (kind === "action")
    await p.enqueueAction(ctx, internal.jobs.noopAction, { i }, common(run));
  else
    await p.enqueueMutation(
      ctx,
      internal.jobs.noopMutation,
      { i },
      common(run),
    );
}

/** This package's `stats` of the pool mounted as `ours` (the bench counts its reads). */
export const oursStats = query({
  args: {},
  returns: v.any(),
  handler: async (ctx) => await new Workpool(components.ours, {}).stats(ctx),
});
