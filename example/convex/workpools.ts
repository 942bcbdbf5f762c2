// The app's pools. Each is a separate mount in convex.config.ts, with its
// own queue and cap; the Workpool objects just hold the options.
import { Workpool } from "convex-workpool";
import { components } from "./_generated/api.js";
import { query } from "./_generated/server.js";

/** The email pool's slots when it is not paused (see emails.setPaused). */
export const EMAIL_SLOTS = 10;

/**
 * High priority: its own slots, so scraping never delays an email; flaky
 * sends retried with backoff. No `maxParallelism` here: a Workpool created
 * with one sends it with every enqueue, which would undo a pause. The pool
 * uses its stored cap instead, 10 until changed by `config.update`.
 */
export const emailPool = new Workpool(components.emailWorkpool, {
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

/** The external API allows 2 requests at a time: never more in flight. */
export const apiPool = new Workpool(components.apiWorkpool, {
  maxParallelism: 2,
  retryActionsByDefault: true,
});

/**
 * Live numbers of every pool, by mount name: jobs pending (due, delayed,
 * backing off), running, and outcomes in the last minute and hour. For a
 * dashboard: a query, so a client subscribes and sees them change. Each
 * pool's stats read a few documents, however long its queue.
 */
export const poolStats = query({
  args: {},
  handler: async (ctx) => ({
    emailWorkpool: await emailPool.stats(ctx),
    scrapeWorkpool: await scrapePool.stats(ctx),
    counterPool: await counterPool.stats(ctx),
    apiWorkpool: await apiPool.stats(ctx),
  }),
});
