// A job's state machine (DESIGN §3, §6). Pure: given a job and an event,
// return what happens next; the shell applies it.
//
//   pending ──start──▶ running ──settle──▶ finished (success | failed | canceled)
//      ▲                  │
//      └──── retry ───────┘   (a failed action with attempts left, not canceled)
//   pending ──cancel──▶ finished (canceled)
//   running ──cancel──▶ running, cancelRequested: its attempt ends on its own;
//                       a failure that would retry ends as canceled instead.
import type { FnType, RetryBehavior, RunResult } from "../validators.js";

type FailedResult = Extract<RunResult, { kind: "failed" }>;
import { backoffMs } from "./backoff.js";

/** How one attempt ended, as the worker saw it. */
export type AttemptResult =
  | { kind: "success"; returnValue: unknown }
  | {
      kind: "failed";
      error: string;
      /** The thrown ConvexError's data, handed on to onComplete if this attempt is the last. */
      errorData?: FailedResult["errorData"];
      /** A NonRetryableError: fail now whatever the retry policy. */
      nonRetryable?: boolean;
    };

/** The parts of a job that decide what follows an attempt. */
export type SettleInput = {
  fnType: FnType;
  /** Attempts that ended before this one. */
  attempts: number;
  retryBehavior?: RetryBehavior;
  cancelRequested?: boolean;
};

export type Settlement =
  | {
      kind: "finish";
      result: RunResult;
      /** Attempts run in all, this one included. */
      attempts: number;
    }
  | {
      kind: "retry";
      /** Epoch ms when the next attempt becomes due. */
      retryAt: number;
      attempts: number;
      error: string;
    };

/**
 * What follows an attempt that ended with `result`. Only actions retry;
 * mutations and queries are transactions that Convex already retries on
 * conflicts, and a deterministic failure would only fail again.
 */
export function settle(
  job: SettleInput,
  result: AttemptResult,
  nowMs: number,
  random: () => number,
): Settlement {
  const attempts = job.attempts + 1;
  if (result.kind === "success") {
    return { kind: "finish", result, attempts };
  }
  const failed: RunResult = {
    kind: "failed",
    error: result.error,
    ...(result.errorData !== undefined ? { errorData: result.errorData } : {}),
  };
  const behavior = job.retryBehavior;
  const mayRetry =
    job.fnType === "action" &&
    behavior !== undefined &&
    !result.nonRetryable &&
    attempts < behavior.maxAttempts;
  if (!mayRetry) {
    return { kind: "finish", result: failed, attempts };
  }
  if (job.cancelRequested) {
    return { kind: "finish", result: { kind: "canceled" }, attempts };
  }
  return {
    kind: "retry",
    // Whole milliseconds, rounded up: "no earlier than" the jittered delay.
    retryAt: Math.ceil(nowMs + backoffMs(behavior, attempts, random)),
    attempts,
    error: result.error,
  };
}

/** Whether onComplete is called for a job that ended with `kind`. */
export function wantsCallback(
  onComplete: { excludeKinds?: readonly RunResult["kind"][] } | undefined,
  kind: RunResult["kind"],
): boolean {
  return (
    onComplete !== undefined && !(onComplete.excludeKinds ?? []).includes(kind)
  );
}

/** When a finished job's retained outcome expires; undefined = never. */
export function expiryOf(
  finishedAt: number,
  statusTtl: number | undefined,
): number | undefined {
  if (statusTtl === undefined || !Number.isFinite(statusTtl)) return undefined;
  return finishedAt + statusTtl;
}
