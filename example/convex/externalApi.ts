// Rate-limited calls to an external API that allows 2 requests at a time:
// its pool's cap is 2, so however many calls are queued, at most 2 are in
// flight. The service is simulated (no network): it records every request,
// endpoints containing "flaky" answer their first request with a 503, and
// those containing "missing" answer 404 with a ConvexError carrying it.
import { ConvexError, v, type Value } from "convex/values";
import { vResultValidator, vWorkIdValidator, type WorkId } from "convex-workpool";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, mutation, query, type ActionCtx } from "./_generated/server.js";
import { apiPool } from "./workpools.js";

/** Fetches each endpoint once, at most 2 at a time, retrying failures. */
export const fetchAll = mutation({
  args: { endpoints: v.array(v.string()) },
  returns: v.array(v.string()),
  handler: async (ctx, { endpoints }): Promise<WorkId[]> => {
    const ids: WorkId[] = [];
    for (const endpoint of endpoints) {
      const id = await apiPool.enqueueAction(ctx, internal.externalApi.callExternal, { endpoint }, {
        // A GET is safe to repeat: up to 5 attempts, the first retry after ~500 ms.
        retry: { maxAttempts: 5, initialBackoffMs: 500, base: 2 },
        onComplete: internal.externalApi.recordResult,
        context: { endpoint },
      });
      ids.push(id);
    }
    return ids;
  },
});

/** Posts an event once: never retried, whatever the pool's default. */
export const postEvent = mutation({
  args: { endpoint: v.string(), event: v.string() },
  returns: v.string(),
  handler: async (ctx, { endpoint, event }): Promise<WorkId> =>
    // A POST that failed may still have been applied: do not repeat it.
    await apiPool.enqueueAction(ctx, internal.externalApi.postExternal, { endpoint, event }, {
      retry: false,
      onComplete: internal.externalApi.recordResult,
      context: { endpoint },
    }),
});

/** Statuses of several calls, in the order of `workIds`. */
export const statuses = query({
  args: { workIds: v.array(vWorkIdValidator) },
  handler: async (ctx, { workIds }) => await apiPool.statusBatch(ctx, workIds),
});

// onComplete with the untyped validators: `result` and `context` as any.
export const recordResult = internalMutation({
  args: { workId: vWorkIdValidator, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, { workId, result, context }) => {
    await ctx.db.insert("apiResults", {
      workId,
      endpoint: String(context.endpoint),
      outcome: result.kind,
      ...(result.kind === "failed" ? { error: result.error, ...httpStatusIn(result.errorData) } : {}),
    });
    return null;
  },
});

/** A thrown ConvexError's data comes back whole as `errorData`: here, the service's status. */
function httpStatusIn(errorData: Value | undefined): { httpStatus?: number } {
  const status = (errorData as { status?: unknown } | null | undefined)?.status;
  return typeof status === "number" ? { httpStatus: status } : {};
}

const vResponse = v.object({ status: v.number(), body: v.string() });

export const callExternal = internalAction({
  args: { endpoint: v.string() },
  returns: vResponse,
  handler: async (ctx, { endpoint }) => await fakeService(ctx, "GET", endpoint),
});

export const postExternal = internalAction({
  args: { endpoint: v.string(), event: v.string() },
  returns: vResponse,
  handler: async (ctx, { endpoint, event }) => await fakeService(ctx, "POST", endpoint, event),
});

/**
 * The simulated service. The "externalApi" gauge counts requests in flight
 * (the tests check it never passes the cap); each request is recorded.
 */
async function fakeService(ctx: ActionCtx, method: "GET" | "POST", endpoint: string, body = "") {
  await ctx.runMutation(internal.gauges.enter, { name: "externalApi" });
  try {
    const attempt: number = await ctx.runMutation(internal.externalApi.recordCall, { method, endpoint });
    if (endpoint.includes("flaky") && attempt === 1) throw new Error(`503 Service Unavailable: ${method} ${endpoint}`);
    if (endpoint.includes("missing")) throw new ConvexError({ status: 404, endpoint });
    return { status: 200, body: `${method} ${endpoint} ${body}`.trim() };
  } finally {
    await ctx.runMutation(internal.gauges.leave, { name: "externalApi" });
  }
}

/** Records a request; returns how many requests of this method the endpoint has had. */
export const recordCall = internalMutation({
  args: { method: v.union(v.literal("GET"), v.literal("POST")), endpoint: v.string() },
  returns: v.number(),
  handler: async (ctx, { method, endpoint }) => {
    const earlier = await ctx.db.query("apiCalls").withIndex("by_endpoint", (q) => q.eq("endpoint", endpoint)).collect();
    const attempt = earlier.filter((call) => call.method === method).length + 1;
    await ctx.db.insert("apiCalls", { method, endpoint, attempt });
    return attempt;
  },
});
