// Validators shared by the component's functions, its schema and the client.
// Each validator is defined once here; the matching TypeScript type is
// derived with `Infer` (or written out where the published API documents it).
import { v, type Infer, type Validator, type Value, type VAny } from "convex/values";

/** The three kinds of job a pool runs. */
export const vFnType = v.union(
  v.literal("action"),
  v.literal("mutation"),
  v.literal("query"),
);
export type FnType = Infer<typeof vFnType>;

/** Log levels, from most to least verbose (see logging.ts). */
export const vLogLevel = v.union(
  v.literal("DEBUG"),
  v.literal("TRACE"),
  v.literal("INFO"),
  v.literal("REPORT"),
  v.literal("WARN"),
  v.literal("ERROR"),
);
export type LogLevel = Infer<typeof vLogLevel>;

export const vRetryBehavior = v.object({
  maxAttempts: v.number(),
  initialBackoffMs: v.number(),
  base: v.number(),
});
/** How a failed action is retried. */
export type RetryBehavior = {
  /** Runs in all, the first included: 1 means no retry. Integer >= 1. */
  maxAttempts: number;
  /** Delay before the first retry, in ms, before jitter. >= 0. */
  initialBackoffMs: number;
  /** Growth factor of the delay per failed attempt. >= 1. */
  base: number;
};

/** The published default: 5 runs, retries after ~250, 500, 1000, 2000 ms. */
export const DEFAULT_RETRY_BEHAVIOR: RetryBehavior = {
  maxAttempts: 5,
  initialBackoffMs: 250,
  base: 2,
};

/** Which due jobs start first (DESIGN-level docs: docs/design.md, "Priorities"). */
export const vPriority = v.union(v.literal("high"), v.literal("normal"), v.literal("low"));
export type Priority = Infer<typeof vPriority>;

/** Pool-wide settings that the client sends along with its calls. */
export const vConfigUpdate = v.object({
  maxParallelism: v.optional(v.number()),
  logLevel: v.optional(vLogLevel),
});
export type ConfigUpdate = Infer<typeof vConfigUpdate>;

export const vResultKind = v.union(
  v.literal("success"),
  v.literal("failed"),
  v.literal("canceled"),
);
export type ResultKind = Infer<typeof vResultKind>;

/**
 * The result handed to onComplete, with a typed return value. `errorData`
 * is optional, so a handler written for results without it still validates.
 */
export function vRunResult<RV extends Validator<any, any, any> = VAny>(
  returnValue: RV,
) {
  return v.union(
    v.object({ kind: v.literal("success"), returnValue }),
    v.object({
      kind: v.literal("failed"),
      error: v.string(),
      // Any Convex value; typed as one (not `any`) to match RunResult.
      errorData: v.optional(v.any() as VAny<Value>),
    }),
    v.object({ kind: v.literal("canceled") }),
  );
}
export const vResult = vRunResult(v.any());
export type RunResult<Returns = unknown> =
  | {
      kind: "success";
      /** What the function returned. */
      returnValue: Returns;
    }
  | {
      kind: "failed";
      /** The message of the last attempt's error. */
      error: string;
      /**
       * The `data` of the ConvexError the last attempt threw (null if it had
       * none); absent for any other throw, and for data above 1 MiB less
       * 4 KiB (MAX_VALUE_BYTES). A NonRetryableError's is
       * `{ __convexWorkpoolNonRetryable: true, message }`.
       */
      errorData?: Value;
    }
  | { kind: "canceled" };

/** What to call when a job ends, as the client sends it. */
export const vOnCompleteSpec = v.object({
  fnHandle: v.string(),
  context: v.optional(v.any()),
  excludeKinds: v.optional(v.array(vResultKind)),
});
export type OnCompleteSpec = Infer<typeof vOnCompleteSpec>;

/** One job as the client sends it to `lib.enqueue` / `lib.enqueueBatch`. */
export const enqueueItemFields = {
  fnHandle: v.string(),
  fnName: v.string(),
  fnType: vFnType,
  fnArgs: v.any(),
  onComplete: v.optional(vOnCompleteSpec),
  retryBehavior: v.optional(vRetryBehavior),
  /** Epoch ms; a time in the past means now. */
  runAt: v.number(),
  /** How long the outcome stays readable, in ms (Infinity = forever); default 24 h. */
  statusTtl: v.optional(v.number()),
  /**
   * If a job of this pool with this key is pending, running, or finished
   * within its statusTtl, enqueue returns its id instead of a new job.
   */
  idempotencyKey: v.optional(v.string()),
  /** Jobs with the same key run one at a time, in enqueue order. */
  key: v.optional(v.string()),
  /** Among due jobs, higher priority starts first; default "normal". */
  priority: v.optional(vPriority),
};
export const vEnqueueItem = v.object(enqueueItemFields);
export type EnqueueItem = Infer<typeof vEnqueueItem>;

/** A job's status, as `lib.status` returns it (DESIGN §5). */
export const vStatus = v.union(
  v.object({ state: v.literal("pending"), previousAttempts: v.number() }),
  v.object({ state: v.literal("running"), previousAttempts: v.number() }),
  v.object({
    state: v.literal("finished"),
    outcome: v.optional(vResultKind),
    attempts: v.optional(v.number()),
    finishedAt: v.optional(v.number()),
    error: v.optional(v.string()),
    /** The failed job's errorData, when it was kept (at most KEPT_ERROR_DATA_MAX_BYTES, 2 KiB). */
    errorData: v.optional(v.any() as VAny<Value>),
    /** What onComplete threw, if it did (it is not run again). */
    onCompleteError: v.optional(v.string()),
  }),
);
export type Status = Infer<typeof vStatus>;

const vOutcomeCounts = v.object({
  succeeded: v.number(),
  failed: v.number(),
  canceled: v.number(),
  /** Failed attempts followed by another attempt. */
  retries: v.number(),
});

/** What `lib.stats` returns (see core/stats.ts for how each is counted). */
export const vPoolStats = v.object({
  maxParallelism: v.number(),
  /** Attempts in flight. */
  running: v.number(),
  /** Jobs not running and not finished: pendingDue + pendingDelayed + pendingBackingOff. */
  pending: v.number(),
  /** First attempts whose due time has come (waiting for a slot, or for their key). */
  pendingDue: v.number(),
  /** First attempts due in a later second. */
  pendingDelayed: v.number(),
  /** Jobs that failed an attempt and wait to retry (for the backoff, then a slot). */
  pendingBackingOff: v.number(),
  /** How long the pending job due longest ago has been due (waiting for a slot, a retry slot or its key); null if none. */
  oldestPendingAgeMs: v.union(v.number(), v.null()),
  /** Outcomes in the 10-second buckets overlapping the last minute. */
  lastMinute: vOutcomeCounts,
  /** Outcomes in the minute buckets overlapping the last hour. */
  lastHour: vOutcomeCounts,
});
export type PoolStats = Infer<typeof vPoolStats>;
