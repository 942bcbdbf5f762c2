// The component's public functions, called through the client: enqueue,
// status, stats, cancel. Writers insert (work, pendingStart,
// pendingCancelation; an enqueue's stats tally rides on its inbox row) and
// kick the loop (wake.ts); the loop decides what runs.
import { v, type Infer } from "convex/values";
import {
  CANCEL_ALL_DEFAULT_LIMIT,
  CANCEL_ALL_MAX_LIMIT,
  CANCEL_ALL_PAGE_BYTES_BUDGET,
  DEFAULT_STATUS_TTL_MS,
  DELAYED_FOLD_MIN_INTERVAL_MS,
  ID_MAX_BYTES,
  KEPT_NAME_MAX_BYTES,
  PENDING_START_CHUNK,
  STATUS_BATCH_MAX_IDS,
  WORK_ROW_MAX_BYTES,
} from "./constants.js";
import { Budget } from "./budget.js";
import { cutText } from "./core/text.js";
import { statusOf } from "./core/status.js";
import {
  checkFunctionHandle,
  checkIntegerBetween,
  checkIdempotencyKey,
  checkKey,
  checkRetryBehavior,
  checkStatusTtl,
  checkTime,
  firstProblem,
} from "./core/validation.js";
import { applyConfig } from "./config.js";
import { rankOf } from "./core/plan.js";
import { isDelayed, newEnqueueTally, tallyEnqueued } from "./core/stats.js";
import { oldestLive } from "./keys.js";
import { queueJobs } from "./queues.js";
import { countDelayedAtEnqueue, readStats, storedTally } from "./stats.js";
import { fail } from "./errors.js";
import { createLogger, type Logger } from "./logging.js";
import { storeValue } from "./payload.js";
import {
  enqueueItemFields,
  vConfigUpdate,
  vEnqueueItem,
  vLogLevel,
  vPoolStats,
  vStatus,
  type EnqueueItem,
} from "./validators.js";
import { kickForEnqueue, kickLoop } from "./wake.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import {
  internalMutation,
  mutation,
  query,
  type DatabaseReader,
  type MutationCtx,
} from "./_generated/server.js";

function checkItem(item: EnqueueItem, field: string): void {
  const problem = firstProblem(
    checkFunctionHandle(`${field}fnHandle`, item.fnHandle),
    item.onComplete === undefined ? null : checkFunctionHandle(`${field}onComplete.fnHandle`, item.onComplete.fnHandle),
    checkTime(`${field}runAt`, item.runAt),
    item.retryBehavior === undefined ? null : checkRetryBehavior(`${field}retryBehavior`, item.retryBehavior),
    item.statusTtl === undefined ? null : checkStatusTtl(`${field}statusTtl`, item.statusTtl),
    item.idempotencyKey === undefined ? null : checkIdempotencyKey(`${field}idempotencyKey`, item.idempotencyKey),
    item.key === undefined ? null : checkKey(`${field}key`, item.key),
  );
  if (problem) fail("INVALID_ARGUMENT", problem);
}

/** Inserts one job's row; returns its id, when it is due, and whether stats count it delayed. */
async function insertWork(db: MutationCtx["db"], item: EnqueueItem, now: number) {
  const args = await storeValue(db, `args of ${item.fnName}`, item.fnArgs);
  const onComplete = item.onComplete;
  const context =
    onComplete === undefined
      ? undefined
      : await storeValue(db, `onComplete context of ${item.fnName}`, onComplete.context);
  // A time in the past means now: it must not jump ahead of jobs already due.
  // Whole milliseconds, rounded up, as the scheduler keeps them.
  const readyAt = Math.max(Math.ceil(item.runAt), now);
  const delayed = isDelayed(readyAt, now);
  const workId = await db.insert("work", {
    fnType: item.fnType,
    fnHandle: item.fnHandle,
    // A label for logs: cut, like kept error text, so the row stays small.
    fnName: cutText(item.fnName, KEPT_NAME_MAX_BYTES),
    ...(args.payloadId !== undefined ? { argsPayloadId: args.payloadId } : { fnArgs: args.inline }),
    valueBytes: args.bytes + (context?.bytes ?? 0),
    ...(onComplete !== undefined
      ? {
          onComplete: {
            fnHandle: onComplete.fnHandle,
            ...(context?.payloadId !== undefined
              ? { contextPayloadId: context.payloadId }
              : { context: context?.inline }),
            ...(onComplete.excludeKinds?.length ? { excludeKinds: onComplete.excludeKinds } : {}),
          },
        }
      : {}),
    ...(item.retryBehavior !== undefined ? { retryBehavior: item.retryBehavior } : {}),
    // Infinity (keep forever) is a valid float64 and stored as such.
    statusTtl: item.statusTtl ?? DEFAULT_STATUS_TTL_MS,
    state: "pending",
    attempts: 0,
    runAt: readyAt,
    readyAt,
    ...(item.idempotencyKey !== undefined ? { idempotencyKey: item.idempotencyKey } : {}),
    ...(item.key !== undefined ? { liveKey: item.key } : {}),
    ...(item.priority !== undefined && item.priority !== "normal" ? { priority: item.priority } : {}),
    ...(delayed ? { countedDelayed: true } : {}),
  });
  return { workId, readyAt, delayed };
}

/**
 * Whether a job still answers for its idempotency key: pending, running, or
 * finished with its outcome still retained (statusTtl 0 retains nothing,
 * even while its onComplete is still to run; no expiresAt otherwise means
 * kept forever). Matches what `status` reports.
 */
function holdsKey(
  row: Pick<Doc<"work">, "state" | "statusTtl" | "expiresAt">,
  now: number,
): boolean {
  if (row.state !== "finished") return true;
  if (row.statusTtl === 0) return false;
  return row.expiresAt === undefined || row.expiresAt > now;
}

/**
 * The job holding `key`, if any. Only the newest row with the key can hold
 * it: a row is inserted with a key only when none held it, and a row never
 * holds its key again once it stopped (finished rows stay finished, expiry
 * only passes). Reads one index entry; enqueue without a key reads nothing.
 */
async function jobHoldingKey(db: MutationCtx["db"], key: string, now: number): Promise<Id<"work"> | null> {
  const newest = await db
    .query("work")
    .withIndex("by_idempotencyKey", (q) => q.eq("idempotencyKey", key))
    .order("desc")
    .first();
  return newest !== null && holdsKey(newest, now) ? newest._id : null;
}

/**
 * Enqueues jobs in order. Consecutive jobs due at the same time share
 * pendingStart rows of up to PENDING_START_CHUNK ids, so a batch costs one
 * queue row per chunk rather than one per job.
 */
async function enqueueItems(
  ctx: Pick<MutationCtx, "db" | "scheduler">,
  items: EnqueueItem[],
  logger: Logger,
): Promise<Id<"work">[]> {
  items.forEach((item, i) => checkItem(item, items.length > 1 ? `items[${i}].` : ""));
  const now = Date.now();
  const ids: Id<"work">[] = [];
  let chunk: { readyAt: number; workIds: Id<"work">[]; rank: number } | null = null;
  let earliest = Infinity;
  const counted = newEnqueueTally();
  for (const item of items) {
    if (item.idempotencyKey !== undefined) {
      // Read-your-writes: an earlier item of this batch, or an enqueue
      // earlier in the caller's transaction, is found here too.
      const existing = await jobHoldingKey(ctx.db, item.idempotencyKey, now);
      if (existing !== null) {
        ids.push(existing);
        logger.debug(`enqueue of ${item.fnName}: idempotencyKey ${JSON.stringify(item.idempotencyKey)} is held by ${existing}`);
        continue;
      }
    }
    // A key held by a live job (this batch's earlier items included): the
    // job waits outside the queue until the jobs before it finish.
    const waits = item.key !== undefined && (await oldestLive(ctx.db, item.key)) !== null;
    const { workId, readyAt, delayed } = await insertWork(ctx.db, item, now);
    ids.push(workId);
    tallyEnqueued(counted, readyAt, delayed);
    logger.event("INFO", "enqueued", {
      workId, fnName: item.fnName, fnType: item.fnType, runAt: readyAt,
      ...(item.key !== undefined ? { key: item.key, waitsForKey: waits } : {}),
      ...(item.priority !== undefined ? { priority: item.priority } : {}),
    });
    if (waits) continue;
    earliest = Math.min(earliest, readyAt);
    const rank = rankOf(item.priority);
    if (chunk && (chunk.readyAt !== readyAt || chunk.rank !== rank || chunk.workIds.length >= PENDING_START_CHUNK)) {
      await queueJobs(ctx.db, "writer", chunk);
      chunk = null;
    }
    chunk ??= { readyAt, workIds: [], rank };
    chunk.workIds.push(workId);
  }
  // The call's tally rides on its last inbox row, or on a row of its own
  // when every new job waits for its key (stats.ts).
  const tally = storedTally(counted);
  let lastRow: Id<"pendingStart"> | undefined;
  if (chunk) lastRow = await queueJobs(ctx.db, "writer", { ...chunk, tally });
  else if (counted.enqueued > 0) {
    lastRow = await queueJobs(ctx.db, "writer", { readyAt: now, workIds: [], rank: rankOf(undefined), tally });
  }
  await countDelayedAtEnqueue(ctx.db, counted);
  // Nothing to kick for when every item named a job that already exists.
  if (earliest !== Infinity) await kickForEnqueue(ctx, earliest, lastRow);
  // Every new job waits for its key: the loop need not start anything, but
  // must take the tally (and fold the delayed counts) in before they pile
  // up for `stats`; soon, not at once.
  else if (counted.enqueued > 0) await kickForEnqueue(ctx, now + DELAYED_FOLD_MIN_INTERVAL_MS, lastRow);
  return ids;
}

export const enqueue = mutation({
  args: { ...enqueueItemFields, config: vConfigUpdate },
  returns: v.string(),
  handler: async (ctx, { config, ...item }) => {
    const { config: effective, capRaised } = await applyConfig(ctx.db, config);
    const [id] = await enqueueItems(ctx, [item], createLogger(effective.logLevel));
    // An enqueue that only returned an existing job kicked nothing itself.
    if (capRaised) await kickLoop(ctx, Date.now(), {}, true);
    return id!;
  },
});

export const enqueueBatch = mutation({
  args: { items: v.array(vEnqueueItem), config: vConfigUpdate },
  returns: v.array(v.string()),
  handler: async (ctx, { items, config }) => {
    const { config: effective, capRaised } = await applyConfig(ctx.db, config);
    const ids = await enqueueItems(ctx, items, createLogger(effective.logLevel));
    if (capRaised) await kickLoop(ctx, Date.now(), {}, true);
    return ids;
  },
});

/**
 * Live numbers of the pool: running, pending (due, delayed, backing off),
 * recent outcomes and the oldest due job's wait. Reads a bounded number of
 * documents whatever the backlog (stats.ts#readStats).
 */
export const stats = query({
  args: {},
  returns: vPoolStats,
  handler: async (ctx) => await readStats(ctx.db, Date.now()),
});

/** The work id behind `id`, or a ConvexError naming the malformed string. */
function parseWorkId(db: DatabaseReader, id: string): Id<"work"> {
  const workId = db.normalizeId("work", id);
  if (workId === null) {
    fail("INVALID_WORK_ID", `${JSON.stringify(id)} is not a work id of this pool`);
  }
  return workId;
}

export const status = query({
  args: { id: v.string() },
  returns: vStatus,
  handler: async (ctx, { id }) => statusOf(await ctx.db.get("work", parseWorkId(ctx.db, id)), Date.now()),
});

/**
 * Up to STATUS_BATCH_MAX_IDS statuses: that many rows of the largest size
 * fit in one transaction's reads (the client splits longer lists).
 */
export const statusBatch = query({
  args: { ids: v.array(v.string()) },
  returns: v.array(vStatus),
  handler: async (ctx, { ids }) => {
    if (ids.length > STATUS_BATCH_MAX_IDS) {
      fail("INVALID_ARGUMENT", `ids must hold at most ${STATUS_BATCH_MAX_IDS} work ids per call, got ${ids.length}`);
    }
    const now = Date.now();
    const workIds = ids.map((id) => parseWorkId(ctx.db, id));
    return await Promise.all(workIds.map(async (id) => statusOf(await ctx.db.get("work", id), now)));
  },
});

/**
 * Cancels a job, once, given its row as just read: flags the row (a pending
 * job then never starts; a running attempt is not retried) and, for a
 * pending job, asks the loop to finish it as canceled. A finished or
 * unknown job is a no-op. Returns whether the loop has a request to apply.
 */
async function requestCancel(db: MutationCtx["db"], work: Doc<"work"> | null): Promise<boolean> {
  if (work === null || work.state === "finished" || work.cancelRequested) return false;
  await db.patch("work", work._id, { cancelRequested: true });
  // A running attempt's report reads the flag; nothing for the loop to do.
  if (work.state === "running") return false;
  await db.insert("pendingCancelation", { workId: work._id, segment: db.vars.commitTs });
  return true;
}

export const cancel = mutation({
  args: { id: v.string(), logLevel: v.optional(vLogLevel) },
  returns: v.null(),
  handler: async (ctx, { id, logLevel }) => {
    const workId = parseWorkId(ctx.db, id);
    await applyConfig(ctx.db, { logLevel });
    if (await requestCancel(ctx.db, await ctx.db.get("work", workId))) await kickLoop(ctx, Date.now(), {}, true);
    return null;
  },
});

/**
 * Cancels every job enqueued before the call, at most `limit` per
 * transaction (fewer when their rows are large: a page also stops at its
 * byte budget), continuing in scheduled calls. It walks the live jobs (running ones
 * first, then pending ones) in creation order up to the newest job that
 * existed when it was called, which includes jobs enqueued earlier in the
 * calling transaction; finished jobs kept for their status are not read.
 */
export const cancelAll = mutation({
  args: {
    before: v.optional(v.number()),
    limit: v.optional(v.number()),
    logLevel: v.optional(vLogLevel),
  },
  returns: v.null(),
  handler: async (ctx, { before, limit, logLevel }) => {
    const problem = firstProblem(
      before === undefined ? null : checkTime("before", before),
      limit === undefined ? null : checkIntegerBetween("limit", limit, 1, CANCEL_ALL_MAX_LIMIT),
    );
    if (problem) fail("INVALID_ARGUMENT", problem);
    const { config } = await applyConfig(ctx.db, { logLevel });
    const newest = await ctx.db.query("work").order("desc").first();
    if (newest === null) return null;
    const upTo = before === undefined ? newest._creationTime : Math.min(before, newest._creationTime);
    const requestId = await ctx.db.insert("cancelAllRequest", { upTo });
    await cancelPage(ctx, {
      requestId,
      state: "running",
      after: -1,
      upTo,
      limit: limit ?? CANCEL_ALL_DEFAULT_LIMIT,
      logLevel: config.logLevel,
    });
    return null;
  },
});

const vPageArgs = {
  requestId: v.id("cancelAllRequest"),
  /**
   * Running jobs are walked first: one that retries meanwhile becomes
   * pending and is met in the pending walk. A covered pending job cannot
   * start (the loop honours the cancelAllRequest), so it is met too.
   */
  state: v.union(v.literal("running"), v.literal("pending")),
  /** Jobs created after this _creationTime and up to `upTo` are left. */
  after: v.number(),
  upTo: v.number(),
  limit: v.number(),
  logLevel: vLogLevel,
};
type PageArgs = Infer<ReturnType<typeof v.object<typeof vPageArgs>>>;

/**
 * Room one job of a page needs at most: its row read by the walk and again
 * by the write of its flag, the row written, and its cancel request.
 */
const CANCEL_ALL_JOB_BYTES = { read: 2 * WORK_ROW_MAX_BYTES, written: WORK_ROW_MAX_BYTES + 4 * ID_MAX_BYTES };

/**
 * Flags up to `limit` jobs, in creation order, and as many as its byte
 * budget has room for (CANCEL_ALL_PAGE_BYTES_BUDGET, and what is left of
 * the caller's transaction for the first page), then schedules the next
 * page from the last one flagged. Always flags one, so every page makes
 * progress.
 */
async function cancelPage(ctx: Pick<MutationCtx, "db" | "scheduler" | "meta">, page: PageArgs) {
  const budget = await Budget.open(ctx.meta, { read: CANCEL_ALL_PAGE_BYTES_BUDGET, written: CANCEL_ALL_PAGE_BYTES_BUDGET });
  const walk = ctx.db
    .query("work")
    .withIndex("by_state", (q) =>
      q.eq("state", page.state).gt("_creationTime", page.after).lte("_creationTime", page.upTo),
    );
  let flagged = 0;
  let any = false;
  // Stopped short of the range's end, after the job created at this time.
  let stoppedAfter: number | null = null;
  // One row at a time, so that the walk reads no row it has no room for.
  for await (const work of walk) {
    if (await requestCancel(ctx.db, work)) any = true;
    flagged += 1;
    if (flagged === page.limit || !(await budget.allows(CANCEL_ALL_JOB_BYTES))) {
      stoppedAfter = work._creationTime;
      break;
    }
  }
  if (any) await kickLoop(ctx, Date.now(), {}, true);
  if (stoppedAfter !== null) {
    await ctx.scheduler.runAfter(0, internal.lib.cancelAllPage, { ...page, after: stoppedAfter });
  } else if (page.state === "running") {
    await ctx.scheduler.runAfter(0, internal.lib.cancelAllPage, { ...page, state: "pending", after: -1 });
  } else if ((await ctx.db.get("cancelAllRequest", page.requestId)) !== null) {
    // Every covered job now has its own cancel request: lift the barrier.
    await ctx.db.delete("cancelAllRequest", page.requestId);
  }
}

export const cancelAllPage = internalMutation({
  args: vPageArgs,
  returns: v.null(),
  handler: async (ctx, page) => {
    await cancelPage(ctx, page);
    return null;
  },
});
