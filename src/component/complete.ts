// How an attempt ends: the pure core decides (retry or finish), this module
// applies the decision to the job's row, runs onComplete, and tells the loop
// the slot is free (a pendingCompletion row). It owns the `report` mutation
// that action workers call, the helper the mutation worker calls in its own
// transaction, `deliver`, the scheduled mutation that carries a result whose
// report failed, and `finalize`, which runs onComplete for jobs finished
// without it: by the loop (canceled while pending, recovered after their
// worker died) or by a delivery.
import { convexToJson, jsonToConvex, v, type Infer, type Value } from "convex/values";
import type { FunctionHandle } from "convex/server";
import { settle, wantsCallback, expiryOf, type Settlement } from "./core/transitions.js";
import { rankOf } from "./core/plan.js";
import {
  DELIVERY_CHUNK_BYTES,
  FINALIZE_BYTES_BUDGET,
  FINALIZE_RETRY_AFTER_MS,
  FINALIZE_ROOM_BYTES,
  INLINE_VALUE_MAX_BYTES,
  KEPT_ERROR_DATA_MAX_BYTES,
  KEPT_ERROR_MAX_BYTES,
} from "./constants.js";
import { Budget } from "./budget.js";
import { cutText } from "./core/text.js";
import { errorMessage } from "./errors.js";
import { releaseKey } from "./keys.js";
import { queueJobs, type Queuer } from "./queues.js";
import { failpoint, heldMs } from "./faults.js";
import { createLogger, type Logger } from "./logging.js";
import { Discards, loadValue, sizeOf } from "./payload.js";
import { vLogLevel, type LogLevel, type RunResult } from "./validators.js";
import { kickForCompletion, kickLoop } from "./wake.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";

/** How an attempt ended, as a worker reports it. */
export const vAttemptResult = v.union(
  v.object({ kind: v.literal("success"), returnValue: v.any() }),
  v.object({
    kind: v.literal("failed"),
    error: v.string(),
    /** The thrown ConvexError's data, at most MAX_VALUE_BYTES (worker.ts). */
    errorData: v.optional(v.any()),
    nonRetryable: v.optional(v.boolean()),
  }),
);

export const vReport = v.object({
  workId: v.id("work"),
  attempt: v.number(),
  result: vAttemptResult,
});
export type Report = Infer<typeof vReport>;

type Tally = { succeeded: number; failed: number; canceled: number; retries: number };
const emptyTally = (): Tally => ({ succeeded: 0, failed: 0, canceled: 0, retries: 0 });

/** Counts a settlement into a tally (the loop's counters are one too). */
export function count(tally: Tally, s: Settlement) {
  if (s.kind === "retry") tally.retries += 1;
  else if (s.result.kind === "success") tally.succeeded += 1;
  else if (s.result.kind === "failed") tally.failed += 1;
  else tally.canceled += 1;
}

/** Calls the job's onComplete; returns what it threw, if it did. */
export async function runOnComplete(
  ctx: Pick<MutationCtx, "db" | "runMutation">,
  work: Doc<"work">,
  result: RunResult,
  logger: Logger,
): Promise<string | undefined> {
  const onComplete = work.onComplete;
  if (!onComplete) return undefined;
  try {
    const context = await loadValue(ctx.db, onComplete.context, onComplete.contextPayloadId);
    // A nested mutation: if it throws, its writes roll back and ours stay.
    await ctx.runMutation(onComplete.fnHandle as FunctionHandle<"mutation">, {
      workId: work._id,
      context,
      result,
    });
    return undefined;
  } catch (e) {
    const message = keptError(errorMessage(e));
    logger.event("ERROR", "onCompleteFailed", {
      workId: work._id,
      fnName: work.fnName,
      error: message,
    });
    return message;
  }
}

/** Error text as rows and log events keep it: cut to KEPT_ERROR_MAX_BYTES. */
export function keptError(text: string): string {
  return cutText(text, KEPT_ERROR_MAX_BYTES);
}

/**
 * The fields of a failure that a finished row keeps for `status`: the error
 * text, cut to KEPT_ERROR_MAX_BYTES, and errorData if it is at most
 * KEPT_ERROR_DATA_MAX_BYTES (onComplete has the whole of both).
 */
function keptFailure(result: RunResult): { error?: string; errorData?: unknown } {
  if (result.kind !== "failed") return {};
  const keepData = result.errorData !== undefined && sizeOf(result.errorData) <= KEPT_ERROR_DATA_MAX_BYTES;
  return { error: keptError(result.error), ...(keepData ? { errorData: result.errorData } : {}) };
}

/**
 * Writes a finished job's outcome: kept for its statusTtl, or deleted at
 * once (statusTtl 0) unless onComplete is still to run (callbackPending).
 * Args are dropped either way, and onComplete (its context too) unless it
 * is still to run: nothing reads them again. Their payload rows go to
 * `discards`.
 */
export async function writeOutcome(
  db: MutationCtx["db"],
  work: Doc<"work">,
  outcome: { result: RunResult; attempts: number; now: number },
  extra: { callbackPending?: boolean; callbackResult?: KeptResult; onCompleteError?: string },
  by: Queuer,
  discards: Discards,
): Promise<{ expiresAt?: number; queuedNext: boolean }> {
  discards.add(work.argsPayloadId);
  if (!extra.callbackPending) discards.add(work.onComplete?.contextPayloadId);
  if (work.statusTtl === 0 && !extra.callbackPending) {
    await db.delete("work", work._id);
    return { queuedNext: await releaseKey(db, work, by) };
  }
  const { result, attempts, now } = outcome;
  // A row whose onComplete is still to run has no expiry yet (the sweep must
  // not delete it first); `finalize` sets it.
  const expiresAt =
    work.statusTtl === 0 || extra.callbackPending ? undefined : expiryOf(now, work.statusTtl);
  const { onComplete, ...kept } = withoutFields(work, ["_id", "_creationTime", "fnArgs", "argsPayloadId", "lastError", "liveKey"]);
  await db.replace("work", work._id, {
    ...kept,
    ...(extra.callbackPending && onComplete !== undefined ? { onComplete } : {}),
    state: "finished",
    attempts,
    outcome: result.kind,
    ...keptFailure(result),
    finishedAt: now,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(extra.callbackPending ? { callbackPending: true } : { callbackPending: undefined }),
    ...(extra.callbackResult !== undefined ? { callbackResult: extra.callbackResult } : {}),
    ...(extra.onCompleteError !== undefined ? { onCompleteError: extra.onCompleteError } : {}),
  });
  const queuedNext = await releaseKey(db, work, by);
  return expiresAt !== undefined ? { expiresAt, queuedNext } : { queuedNext };
}

/** The earlier of two optional times. */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function withoutFields<T extends object, K extends keyof T>(obj: T, keys: K[]): Omit<T, K> {
  const copy = { ...obj };
  for (const k of keys) delete copy[k];
  return copy;
}

type KeptResult = NonNullable<Doc<"work">["callbackResult"]>;

/** A result as keepResult stores it: its JSON text's UTF-8 bytes (escaping can make them more than its Convex size). */
export function encodeResult(result: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(convexToJson(result as Value)));
}

/**
 * Keeps a result for `finalize` (callbackResult): inline when small, else
 * as its JSON text's bytes in payload rows of at most DELIVERY_CHUNK_BYTES,
 * so a return value larger than one document (up to
 * DELIVERY_MAX_RESULT_BYTES) is kept whole.
 */
export async function keepResult(db: MutationCtx["db"], result: RunResult): Promise<KeptResult> {
  if (sizeOf(result) <= INLINE_VALUE_MAX_BYTES) return { inline: result };
  const bytes = encodeResult(result);
  const chunkIds: Id<"payload">[] = [];
  for (let at = 0; at < bytes.length; at += DELIVERY_CHUNK_BYTES) {
    chunkIds.push(await db.insert("payload", { value: bytes.slice(at, at + DELIVERY_CHUNK_BYTES).buffer }));
  }
  return { chunkIds };
}

async function loadResult(db: MutationCtx["db"], kept: KeptResult): Promise<RunResult> {
  if (kept.chunkIds === undefined) return kept.inline as RunResult;
  const chunks: Uint8Array[] = [];
  for (const id of kept.chunkIds) chunks.push(new Uint8Array((await loadValue(db, undefined, id)) as ArrayBuffer));
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return jsonToConvex(JSON.parse(new TextDecoder().decode(bytes)) as Parameters<typeof jsonToConvex>[0]) as RunResult;
}

/** Bytes of a kept result's payload rows, at most (each is read to load it). */
function keptResultBytes(kept: KeptResult | undefined): number {
  return (kept?.chunkIds?.length ?? 0) * DELIVERY_CHUNK_BYTES;
}

/**
 * Schedules `finalize` for rows finished with their onComplete pending, and
 * records the call on each row (finalizeId), so that the recovery check can
 * tell a call Convex still holds from one that failed (loop.ts#retryFinalize).
 * `retry`: a run after one that failed; past FINALIZE_MAX_ATTEMPTS runs it
 * finishes without the onComplete.
 */
export async function scheduleFinalize(
  ctx: Pick<MutationCtx, "db" | "scheduler">,
  workIds: Id<"work">[],
  logLevel: LogLevel,
  now: number,
  retry?: { runs: number; skipCallback: boolean },
): Promise<void> {
  const finalizeId = await ctx.scheduler.runAfter(heldMs("complete:finalize"), internal.complete.finalize, {
    workIds,
    logLevel,
    ...(retry?.skipCallback ? { skipCallback: true } : {}),
  });
  for (const workId of workIds) {
    await ctx.db.patch("work", workId, {
      finalizeId,
      finalizeCheckAt: now + FINALIZE_RETRY_AFTER_MS,
      ...(retry ? { finalizeAttempts: retry.runs } : {}),
    });
  }
}

/** Puts a job back in the queue for its next attempt. */
async function requeue(
  db: MutationCtx["db"],
  work: Doc<"work">,
  s: Extract<Settlement, { kind: "retry" }>,
  by: Queuer,
) {
  await db.patch("work", work._id, {
    state: "pending",
    attempts: s.attempts,
    lastError: keptError(s.error),
    readyAt: s.retryAt,
  });
  // The job stays its key's head while it backs off: the key stays held.
  await queueJobs(db, by, { readyAt: s.retryAt, workIds: [work._id], rank: rankOf(work.priority) });
}

/**
 * Settles the reported attempts, each in this transaction: retry or finish,
 * with onComplete run inline, or (`deferCallbacks`, for a scheduled
 * delivery) left to a `finalize` call with the result kept on the row.
 * Reports for an attempt that is not the job's current running one (late,
 * duplicate, or superseded by recovery) are ignored. Frees the slots with
 * one pendingCompletion row and kicks the loop when it must (wake.ts).
 */
export async function settleReports(
  ctx: Pick<MutationCtx, "db" | "scheduler" | "runMutation">,
  reports: Report[],
  logger: Logger,
  options: {
    /** A row the caller already read in this transaction (saves a read). */
    known?: Doc<"work">;
    /** Schedule onCompletes in `finalize`, with this log level, instead of running them here. */
    deferCallbacks?: { logLevel: LogLevel };
  } = {},
): Promise<void> {
  const { known, deferCallbacks } = options;
  const now = Date.now();
  const tally = emptyTally();
  const items: { workId: Id<"work">; attempt: number }[] = [];
  const toFinalize: Id<"work">[] = [];
  const discards = new Discards();
  let expiresAt: number | undefined;
  // What it queued for the loop: a key's next job, or retries (when due).
  const queued: { now: boolean; retryAt?: number } = { now: false };
  for (const report of reports) {
    const work = known?._id === report.workId ? known : await ctx.db.get("work", report.workId);
    if (!work || work.state !== "running" || work.attempts !== report.attempt) {
      logger.debug("ignored a report for an attempt that is not running", report.workId, report.attempt);
      continue;
    }
    const s = settle(work, report.result, now, Math.random);
    count(tally, s);
    items.push({ workId: work._id, attempt: report.attempt });
    if (s.kind === "retry") {
      await requeue(ctx.db, work, s, "writer");
      queued.retryAt = earliest(queued.retryAt, s.retryAt);
      logger.event("INFO", "completed", {
        workId: work._id, fnName: work.fnName, outcome: "retry", status: "retrying", attempts: s.attempts,
        error: keptError(s.error), retryAt: s.retryAt,
      });
      continue;
    }
    const callback = wantsCallback(work.onComplete, s.result.kind);
    let extra: Parameters<typeof writeOutcome>[3] = {};
    if (callback && deferCallbacks) {
      extra = { callbackPending: true, callbackResult: await keepResult(ctx.db, s.result) };
      toFinalize.push(work._id);
    } else if (callback) {
      extra = { onCompleteError: await runOnComplete(ctx, work, s.result, logger) };
    }
    const written = await writeOutcome(
      ctx.db,
      work,
      { result: s.result, attempts: s.attempts, now },
      extra,
      "writer",
      discards,
    );
    expiresAt = earliest(expiresAt, written.expiresAt);
    queued.now ||= written.queuedNext;
    logger.event("INFO", "completed", {
      workId: work._id, fnName: work.fnName, outcome: s.result.kind, status: s.result.kind, attempts: s.attempts,
      ...(s.result.kind === "failed" ? { error: keptError(s.result.error) } : {}),
    });
  }
  await discards.flush(ctx.scheduler);
  if (items.length === 0) return;
  if (deferCallbacks && toFinalize.length > 0) await scheduleFinalize(ctx, toFinalize, deferCallbacks.logLevel, now);
  const row = await ctx.db.insert("pendingCompletion", {
    items,
    ...tally,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    segment: ctx.db.vars.commitTs,
  });
  await kickForCompletion(ctx, row, queued);
}

/** Called by action workers with the results of their jobs. */
export const report = internalMutation({
  args: { reports: v.array(vReport), logLevel: vLogLevel },
  returns: v.null(),
  handler: async (ctx, { reports, logLevel }) => {
    await settleReports(ctx, reports, createLogger(logLevel));
    failpoint("report:afterSettle");
    return null;
  },
});

/**
 * A result whose report failed, scheduled by its worker: Convex retries a
 * scheduled mutation until it commits, so the result is not lost. It
 * settles the attempt like a report but leaves onComplete to `finalize`, so
 * that its transaction stays small and does not depend on the callback: an
 * onComplete that outgrows a transaction cannot fail the delivery. Late or
 * duplicate (the report it replaces did commit): ignored, like a report.
 */
export const deliver = internalMutation({
  args: { report: vReport, logLevel: vLogLevel },
  returns: v.null(),
  handler: async (ctx, { report, logLevel }) => {
    await settleReports(ctx, [report], createLogger(logLevel), { deferCallbacks: { logLevel } });
    failpoint("deliver:afterSettle");
    return null;
  },
});

/**
 * Runs onComplete for jobs finished without it (callbackPending: by the
 * loop, or by a delivery), each once: the flag is cleared in the same
 * transaction as the call. Runs as many as its byte budget has room for
 * (FINALIZE_BYTES_BUDGET: large contexts and results, and callbacks that
 * store them, add up) and hands the rest to another call.
 */
export const finalize = internalMutation({
  args: {
    workIds: v.array(v.id("work")),
    logLevel: vLogLevel,
    /** Set by recovery after FINALIZE_MAX_ATTEMPTS failed runs: finish without onComplete. */
    skipCallback: v.optional(v.boolean()),
  },
  returns: v.null(),
  handler: async (ctx, { workIds, logLevel, skipCallback }) => {
    const logger = createLogger(logLevel);
    const budget = await Budget.open(ctx.meta, { read: FINALIZE_BYTES_BUDGET, written: FINALIZE_BYTES_BUDGET });
    const discards = new Discards();
    let earliestExpiry: number | undefined;
    let ran = 0;
    for (const [i, workId] of workIds.entries()) {
      const work = await ctx.db.get("work", workId);
      if (!work?.callbackPending || work.outcome === undefined) continue;
      // Room for this onComplete (its context and kept result, what it reads
      // and writes); else it and the rest run in a finalize of their own.
      // The first always runs. (Retries run one job per call: only a first
      // run is split.)
      const room = FINALIZE_ROOM_BYTES + keptResultBytes(work.callbackResult);
      if (ran > 0 && !(await budget.allows({ read: room, written: room }))) {
        await scheduleFinalize(ctx, workIds.slice(i), logLevel, Date.now());
        break;
      }
      ran += 1;
      const onCompleteError = skipCallback
        ? `onComplete could not be run: its transaction failed ${(work.finalizeAttempts ?? 1) - 1} times`
        : await runOnComplete(ctx, work, await callbackResultOf(ctx.db, work), logger);
      failpoint("finalize:afterCallback");
      for (const id of work.callbackResult?.chunkIds ?? []) discards.add(id);
      discards.add(work.onComplete?.contextPayloadId);
      if (work.statusTtl === 0) {
        await ctx.db.delete("work", work._id);
        continue;
      }
      const expiresAt = expiryOf(work.finishedAt ?? Date.now(), work.statusTtl);
      await ctx.db.patch("work", work._id, {
        // Run: its handle and context are not needed again.
        onComplete: undefined,
        callbackPending: undefined,
        callbackResult: undefined,
        finalizeId: undefined,
        finalizeCheckAt: undefined,
        finalizeAttempts: undefined,
        onCompleteError,
        expiresAt,
      });
      earliestExpiry = earliest(earliestExpiry, expiresAt);
    }
    await discards.flush(ctx.scheduler);
    // Tell the loop when these outcomes expire, so its sweep finds them.
    if (earliestExpiry !== undefined) {
      await ctx.db.insert("pendingCompletion", {
        items: [],
        succeeded: 0,
        failed: 0,
        canceled: 0,
        retries: 0,
        expiresAt: earliestExpiry,
        segment: ctx.db.vars.commitTs,
      });
      // Kicked at once: the loop may be idle, and must time its sweep.
      await kickLoop(ctx, Date.now());
    }
    return null;
  },
});

/**
 * What onComplete gets from `finalize`: the result a delivery kept, or, for
 * a job the loop ended, canceled or failed by recovery (no errorData then,
 * but a kept one is passed on all the same).
 */
async function callbackResultOf(db: MutationCtx["db"], work: Doc<"work">): Promise<RunResult> {
  if (work.callbackResult !== undefined) return await loadResult(db, work.callbackResult);
  if (work.outcome === "failed") {
    return {
      kind: "failed",
      error: work.error ?? "",
      ...(work.errorData !== undefined ? { errorData: work.errorData } : {}),
    };
  }
  if (work.outcome === "canceled") return { kind: "canceled" };
  throw new Error(`workpool invariant: job ${work._id} succeeded but no result was kept for its onComplete`);
}

/**
 * Settling done by the loop (cancel of a pending job, recovery). onComplete
 * never runs inside the loop's transaction, so a job that needs it is marked
 * callbackPending and the caller schedules `finalize` for it. Returns that,
 * and when the kept outcome expires.
 */
export async function settleInLoop(
  db: MutationCtx["db"],
  work: Doc<"work">,
  s: Settlement,
  now: number,
  discards: Discards,
): Promise<{ callbackPending: boolean; expiresAt?: number }> {
  if (s.kind === "retry") {
    await requeue(db, work, s, "loop");
    return { callbackPending: false };
  }
  const callbackPending = wantsCallback(work.onComplete, s.result.kind);
  const written = await writeOutcome(
    db,
    work,
    { result: s.result, attempts: s.attempts, now },
    { callbackPending },
    "loop",
    discards,
  );
  return { callbackPending, ...written };
}
