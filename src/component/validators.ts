// Validators shared by the component's functions, its schema and the client.
// Each validator is defined once here; the matching TypeScript type is
// derived with `Infer` (or written out where the published API documents it).
import { v, type Infer, type Validator, type VAny } from "convex/values";

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

/** The result handed to onComplete, with a typed return value. */
export function vRunResult<RV extends Validator<any, any, any> = VAny>(
  returnValue: RV,
) {
  return v.union(
    v.object({ kind: v.literal("success"), returnValue }),
    v.object({ kind: v.literal("failed"), error: v.string() }),
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
    /** What onComplete threw, if it did (it is not run again). */
    onCompleteError: v.optional(v.string()),
  }),
);
export type Status = Infer<typeof vStatus>;
