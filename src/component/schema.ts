// The component's tables. Who writes what (DESIGN §7, "writers insert, one
// loop decides"; docs/design.md has the audit's measured matrix):
// - enqueue inserts `work`, `pendingStart` (and `payload` for large values);
//   what it adds to `stats` rides on its pendingStart row (`tally`), and it
//   inserts a `delayedCount` row of its own per second its delayed jobs are
//   due in, so it writes no document another enqueue writes;
// - cancel flags the job's `work` row and, for a pending job, inserts
//   `pendingCancelation`;
// - completion (a report, or a scheduled delivery) writes its own job's
//   `work` row, inserts `pendingCompletion`, `pendingStart` for a retry or
//   for the next job of a finished key, and `payload` for a result kept for
//   onComplete;
// - the loop alone writes `poolState` and `startQueue`, consumes the
//   `pending*` queues (reading writers' rows only up to its snapshot: see
//   pendingStart), moves `work` rows from pending to running, counts the
//   enqueue tallies it consumes, and folds `delayedCount` rows;
// - writers kick the loop (schedule a call) instead of waking it through a
//   shared row; completions read `slots`, which changes only when the pool
//   fills up or stops being full, and enqueues, cancels and config changes
//   read `watchdog`, which changes about once a minute at most (wake.ts).
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  vFnType,
  vLogLevel,
  vPriority,
  vResultKind,
  vRetryBehavior,
} from "./validators.js";

export const vWorkState = v.union(
  v.literal("pending"),
  v.literal("running"),
  v.literal("finished"),
);

/**
 * What one enqueue call adds to `stats`: the jobs it created (those waiting
 * for their key included) and, of those, how many were due in a later
 * second.
 */
export const vEnqueueTally = v.object({ enqueued: v.number(), delayed: v.number() });

const vOutcomeCounts = {
  succeeded: v.number(),
  failed: v.number(),
  canceled: v.number(),
  retries: v.number(),
};
export const vTotals = v.object({
  ...vOutcomeCounts,
  /** Jobs enqueued, from the tallies the loop consumed. */
  enqueued: v.number(),
  /** Of those, due in a later second at enqueue. */
  delayedEnqueued: v.number(),
  /** Attempts after the first that started. */
  retriesStarted: v.number(),
  /** Jobs canceled while waiting for a retry. */
  retriesCanceled: v.number(),
  /** delayedCount rows folded in once due. */
  delayedMatured: v.number(),
  /** Delayed jobs canceled before their second came. */
  delayedCanceled: v.number(),
});
/** Outcomes of the time bucket starting at `at`. */
export const vBucket = v.object({ at: v.number(), ...vOutcomeCounts });

export default defineSchema({
  /** One row per job, from enqueue until its outcome expires. */
  work: defineTable({
    fnType: vFnType,
    fnHandle: v.string(),
    fnName: v.string(),
    /** Inline when small; else in `payload` (see argsPayloadId). */
    fnArgs: v.optional(v.any()),
    argsPayloadId: v.optional(v.id("payload")),
    /**
     * Bytes of args and context together, as enqueued (worker groups are
     * sized by it). Absent on rows written before it was kept.
     */
    valueBytes: v.optional(v.number()),
    /** Until onComplete has run (or is excluded): dropped, context and all, once it has. */
    onComplete: v.optional(
      v.object({
        fnHandle: v.string(),
        context: v.optional(v.any()),
        contextPayloadId: v.optional(v.id("payload")),
        excludeKinds: v.optional(v.array(vResultKind)),
      }),
    ),
    retryBehavior: v.optional(vRetryBehavior),
    /** Retention of the outcome in ms; Infinity = keep forever. */
    statusTtl: v.number(),
    state: vWorkState,
    /** Attempts run to the end so far (a running attempt is not counted). */
    attempts: v.number(),
    /** When the job was first due, epoch ms (for start lag). */
    runAt: v.number(),
    /** When the next (or current) attempt became due, epoch ms. */
    readyAt: v.number(),
    /** Error of the latest failed attempt (cut to KEPT_ERROR_MAX_BYTES); set while backing off. */
    lastError: v.optional(v.string()),
    /**
     * Set by cancel (lib.cancel, a cancelAll page): the job must not start,
     * and a running attempt is not retried.
     */
    cancelRequested: v.optional(v.boolean()),
    // Filled in when state is "finished":
    outcome: v.optional(vResultKind),
    /** Cut to KEPT_ERROR_MAX_BYTES; onComplete got the whole text. */
    error: v.optional(v.string()),
    /** The ConvexError data of a failure, if at most KEPT_ERROR_DATA_MAX_BYTES. */
    errorData: v.optional(v.any()),
    finishedAt: v.optional(v.number()),
    /** finishedAt + statusTtl; the row is deleted after it. */
    expiresAt: v.optional(v.number()),
    /**
     * Finished by the loop or by a scheduled delivery; onComplete is still
     * to be called, by `finalize`.
     */
    callbackPending: v.optional(v.boolean()),
    /**
     * While callbackPending after a scheduled delivery: the result
     * onComplete gets (all of it: `error` and `errorData` above are cut),
     * inline if small, else encoded in payload rows (complete.ts#keepResult).
     */
    callbackResult: v.optional(
      v.object({ inline: v.optional(v.any()), chunkIds: v.optional(v.array(v.id("payload"))) }),
    ),
    /** While callbackPending: the `finalize` call that should run it. */
    finalizeId: v.optional(v.id("_scheduled_functions")),
    /** While callbackPending: when the recovery check next looks at that call. */
    finalizeCheckAt: v.optional(v.number()),
    /** `finalize` runs scheduled for this row so far (recovery retries them). */
    finalizeAttempts: v.optional(v.number()),
    /** What onComplete threw, if it did. */
    onCompleteError: v.optional(v.string()),
    /** Enqueue with this key returns this job while it is live (lib.ts). */
    idempotencyKey: v.optional(v.string()),
    /**
     * Serialization key, while the job is live (dropped when it finishes):
     * of a key's live jobs only the oldest is queued or runs; the next is
     * queued when it finishes (keys.ts).
     */
    liveKey: v.optional(v.string()),
    /** Absent means "normal". Kept for the job's retries. */
    priority: v.optional(vPriority),
    /** Due in a later second at enqueue: counted in `delayedCount` (stats.ts). */
    countedDelayed: v.optional(v.boolean()),
  })
    .index("by_expiresAt", ["expiresAt"])
    .index("by_callbackPending", ["callbackPending", "finalizeCheckAt"])
    .index("by_idempotencyKey", ["idempotencyKey"])
    .index("by_liveKey", ["liveKey"])
    // The oldest due pending job, for `stats` (jobs waiting for a slot, a
    // retry or their key alike; canceled ones are finished).
    .index("by_state_readyAt", ["state", "readyAt"])
    // cancelAll walks live jobs in creation order (not by_state_readyAt's
    // due order: its pages need a creation-time cursor and bound).
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes
    .index("by_state", ["state"]),

  /**
   * Args or context too large to keep in the `work` row. Deleted by
   * `payload:discard` once the job no longer needs it (payload.ts).
   */
  payload: defineTable({ value: v.any() }),

  /**
   * Jobs enqueued (or queued again: a retry, the next job of a key) by a
   * writer, in chunks: one row holds the ids of jobs queued together with
   * the same due time and priority, in enqueue order. The writers' inbox:
   * the loop reads it in commit order, only up to its own snapshot
   * (`segment` ≤ ctx.meta.getSnapshotTs()), so a writer committing while
   * the loop runs inserts beyond every range the loop read and never
   * conflicts with it. The loop starts due rows from here and moves rows
   * not yet due to `startQueue` (all rows of an inbox too long to sort in
   * one iteration).
   */
  pendingStart: defineTable({
    readyAt: v.number(),
    workIds: v.array(v.id("work")),
    /** The jobs' priority rank (core/plan.ts#PRIORITY_RANK): 0 is high. */
    rank: v.number(),
    /** The writer's commit timestamp (db.vars.commitTs). */
    segment: v.commitTs(),
    /**
     * On the last row of an enqueue call (or a row of its own, with no
     * workIds, when all its jobs wait for their key): what the call adds to
     * `stats`. The loop counts it when the row leaves the inbox, or is
     * patched without it (stats.ts#countTally).
     */
    tally: v.optional(vEnqueueTally),
  }).index("by_segment", ["segment"]),

  /**
   * Jobs waiting for their due time (or a slot), in due order: rows the loop
   * moved from the inbox, and jobs the loop queued itself (a recovered
   * attempt's retry, the next job of a key whose head it ended). Written and
   * read by the loop alone, so its due-time ranges meet no other writer.
   */
  startQueue: defineTable({
    readyAt: v.number(),
    workIds: v.array(v.id("work")),
    rank: v.number(),
  })
    .index("by_readyAt", ["readyAt"])
    .index("by_rank_readyAt", ["rank", "readyAt"]),

  /** Attempts that ended, for the loop to free their slots (read up to its snapshot, as pendingStart). */
  pendingCompletion: defineTable({
    items: v.array(v.object({ workId: v.id("work"), attempt: v.number() })),
    succeeded: v.number(),
    failed: v.number(),
    canceled: v.number(),
    retries: v.number(),
    /** Earliest expiry among the outcomes these items keep, if any. */
    expiresAt: v.optional(v.number()),
    segment: v.commitTs(),
  }).index("by_segment", ["segment"]),

  /**
   * Cancel requests of pending jobs, for the loop to finish them as canceled
   * (read up to its snapshot, as pendingStart). The request also sets
   * `work.cancelRequested`, which is what keeps the job from starting: a
   * loop iteration that read the job as pending before the request
   * committed conflicts with it, and is retried, instead of starting it.
   */
  pendingCancelation: defineTable({ workId: v.id("work"), segment: v.commitTs() }).index("by_segment", [
    "segment",
  ]),

  /**
   * A cancelAll in progress: every job created up to `upTo` (a
   * _creationTime) counts as canceled. Its pages cancel such jobs one by
   * one; meanwhile the loop cancels instead of starting any job it covers,
   * so none that was pending at the call starts. The last page deletes it.
   */
  cancelAllRequest: defineTable({ upTo: v.number() }).index("by_upTo", ["upTo"]),

  /** Singleton: pool settings, changed by clients and `config.update`. */
  config: defineTable({
    maxParallelism: v.number(),
    logLevel: vLogLevel,
  }),

  /**
   * Singleton: whether every slot was taken when the loop last ran (wake.ts:
   * who kicks the loop). Read by completions, the loop and the watchdog;
   * written by the loop only when the pool fills up or stops being full.
   */
  slots: defineTable({ full: v.boolean() }),

  /**
   * Left by versions that woke one loop in charge through this row (every
   * writer read it; the loop wrote it at each sleep and wake). No longer
   * read or written but by the watchdog, which deletes it.
   */
  runStatus: defineTable({
    state: v.union(
      v.literal("idle"),
      v.literal("running"),
      v.literal("scheduled"),
    ),
    /** Only a loop call carrying this number does anything. */
    generation: v.number(),
    /** When state is "scheduled": when it runs. */
    wakeAt: v.optional(v.number()),
    /**
     * The loop call this state scheduled: the sleeping one ("scheduled"),
     * or the first of a running chain ("running"), to cancel it or to see
     * that it failed.
     */
    scheduledId: v.optional(v.id("_scheduled_functions")),
    /** When state became "running" (to tell a stalled loop from a busy one). */
    since: v.optional(v.number()),
  }),

  /**
   * Singleton: the pending watchdog call (loop.ts#watchdog), if any. Written
   * by the loop (to start or cancel it), by the watchdog itself (to go on),
   * about once a minute while the pool is active, and by a writer that
   * kicks the loop when none is pending (wake.ts#ensureWatch); absent when
   * idle.
   */
  watchdog: defineTable({
    at: v.number(),
    scheduledId: v.id("_scheduled_functions"),
  }),

  /**
   * Delayed jobs by the second they become due (epoch seconds), for
   * `stats`: inserted by an enqueue call, one row per second its delayed
   * jobs are due in (never updated by another enqueue), lowered by the loop
   * when it cancels one, and folded into poolState.totals.delayedMatured by
   * the loop once the second begins.
   */
  delayedCount: defineTable({
    second: v.number(),
    count: v.number(),
  }).index("by_second", ["second"]),

  /** Singleton written only by the loop: what runs now, and counters. */
  poolState: defineTable({
    running: v.array(
      v.object({
        workId: v.id("work"),
        attempt: v.number(),
        startedAt: v.number(),
        scheduledId: v.id("_scheduled_functions"),
      }),
    ),
    /** Counts since `windowStart`, for the periodic report. */
    counters: v.object({
      succeeded: v.number(),
      failed: v.number(),
      canceled: v.number(),
      retries: v.number(),
      started: v.number(),
    }),
    windowStart: v.number(),
    /** Next time the loop checks running jobs against the scheduler. */
    nextRecoveryAt: v.number(),
    /** When the last iteration ran (for the watchdog's `loopRestarted` log). */
    lastRunAt: v.optional(v.number()),
    /**
     * Earliest expiry of a retained outcome: null = none, absent = unknown
     * (look it up). Kept so the loop reads `work` only when rows expire.
     */
    nextExpiryAt: v.optional(v.union(v.number(), v.null())),
    /** Lifetime counts, for `stats` (stats.ts). */
    totals: v.optional(vTotals),
    /** Outcomes in STATS_MINUTE_BUCKET_MS buckets, for `stats`' last minute. */
    minuteBuckets: v.optional(v.array(vBucket)),
    /** Outcomes in STATS_HOUR_BUCKET_MS buckets, for `stats`' last hour. */
    hourBuckets: v.optional(v.array(vBucket)),
    /** A recovery round stopped at RECOVERY_BATCH: the next iteration goes on with it. */
    recoveryContinues: v.optional(v.boolean()),
    /** Per priority rank: starts in a row it was passed over (core/plan.ts#pickRank). */
    priorityPasses: v.optional(v.array(v.number())),
    /** The loop's pending call for a due time (core/plan.ts#timerAction). */
    timer: v.optional(v.object({ at: v.number(), scheduledId: v.id("_scheduled_functions") })),
  }),
});
