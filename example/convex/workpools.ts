// The app's pools. Each is a separate mount in convex.config.ts, with its
// own queue and cap; the Workpool objects just hold the options.
import { Workpool } from "convex-workpool";
import { components } from "./_generated/api.js";

/** High priority: its own 10 slots, flaky sends retried with backoff. */
export const emailPool = new Workpool(components.emailWorkpool, {
  maxParallelism: 10,
  retryActionsByDefault: true,
  defaultRetryBehavior: { maxAttempts: 3, initialBackoffMs: 1000, base: 2 },
  statusTtl: 24 * 60 * 60 * 1000,
});

/** Lower priority: at most 5 pages fetched at once. */
export const scrapePool = new Workpool(components.scrapeWorkpool, {
  maxParallelism: 5,
});

/** Serial: increments run one at a time, so they never conflict. */
export const counterPool = new Workpool(components.counterPool, {
  maxParallelism: 1,
});
