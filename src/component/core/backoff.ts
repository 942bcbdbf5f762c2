// Delay before a retry (DESIGN §3). Pure: randomness is injected.
import { JITTER_MIN, JITTER_SPAN, REPORT_RETRY_INITIAL_MS, REPORT_RETRY_MAX_MS } from "../constants.js";
import type { RetryBehavior } from "../validators.js";

/** The delay before the retry that follows the n-th failed attempt, without jitter. */
export function nominalBackoffMs(
  behavior: RetryBehavior,
  failedAttempts: number,
): number {
  return behavior.initialBackoffMs * behavior.base ** (failedAttempts - 1);
}

/**
 * The delay before the retry that follows the n-th failed attempt (n >= 1):
 * `initialBackoffMs · base^(n−1) · J`, J uniform in [0.5, 1.5). The jitter
 * spreads retries of jobs that failed together (a thundering herd).
 *
 * @param random returns a number in [0, 1), like Math.random.
 */
export function backoffMs(
  behavior: RetryBehavior,
  failedAttempts: number,
  random: () => number,
): number {
  const jitter = JITTER_MIN + random() * JITTER_SPAN;
  return nominalBackoffMs(behavior, failedAttempts) * jitter;
}

/**
 * A worker's wait before its n-th retry (n >= 1) of a report, or of
 * scheduling a delivery: REPORT_RETRY_INITIAL_MS · 2^(n−1), at most
 * REPORT_RETRY_MAX_MS, times the same jitter as job retries, so that the
 * workers of a pool that failed together do not retry in step.
 *
 * @param random returns a number in [0, 1), like Math.random.
 */
export function reportRetryMs(retry: number, random: () => number): number {
  const nominal = Math.min(REPORT_RETRY_INITIAL_MS * 2 ** (retry - 1), REPORT_RETRY_MAX_MS);
  return nominal * (JITTER_MIN + random() * JITTER_SPAN);
}
