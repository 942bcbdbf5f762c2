// Which retry behavior a job gets (DESIGN §3). Pure.
import { DEFAULT_RETRY_BEHAVIOR, type RetryBehavior } from "../validators.js";

/**
 * `retry: true` uses the pool's default (or DEFAULT_RETRY_BEHAVIOR), `false`
 * none, an object itself; absent follows `retryActionsByDefault`. Setting
 * `defaultRetryBehavior` alone does not turn retries on.
 */
export function resolveRetryBehavior(options: {
  retry?: boolean | RetryBehavior;
  retryActionsByDefault?: boolean;
  defaultRetryBehavior?: RetryBehavior;
}): RetryBehavior | undefined {
  const poolDefault = options.defaultRetryBehavior ?? DEFAULT_RETRY_BEHAVIOR;
  if (options.retry === true) return poolDefault;
  if (options.retry === false) return undefined;
  if (options.retry !== undefined) return options.retry;
  return options.retryActionsByDefault ? poolDefault : undefined;
}
