// Counters behind `lib.stats` (core/stats.ts derives the numbers). An
// enqueue call updates no shared counter: its count rides on its inbox row
// (`tally`), which the loop adds to poolState.totals when it takes the row
// in, and it inserts one delayedCount row of its own per second its delayed
// jobs are due in, which the loop folds once that second begins. So no
// document is written by two enqueues.
import { DELAYED_FOLD_BATCH, STATS_INBOX_READ_LIMIT, STATS_UNFOLDED_READ_LIMIT } from "./constants.js";
import { readConfig } from "./config.js";
import {
  addOutcomes,
  delayedSecond,
  outcomesOf,
  poolStats,
  recordOutcomes,
  zeroTotals,
  type EnqueueTally,
  type Totals,
} from "./core/stats.js";
import type { PoolStats } from "./validators.js";
import type { Doc } from "./_generated/dataModel.js";
import type { DatabaseReader, MutationCtx } from "./_generated/server.js";

/** The tally an enqueue call's inbox row carries. */
export const storedTally = (t: EnqueueTally) => ({ enqueued: t.enqueued, delayed: t.delayed });

/** An enqueue call's delayed jobs: one new delayedCount row per second. */
export async function countDelayedAtEnqueue(db: MutationCtx["db"], tally: EnqueueTally): Promise<void> {
  for (const [second, count] of tally.seconds) await db.insert("delayedCount", { second, count });
}

/** The loop counts an enqueue call's tally as its inbox row leaves the inbox. */
export function countTally(tally: { enqueued: number; delayed: number } | undefined, totals: Totals): void {
  if (tally === undefined) return;
  totals.enqueued += tally.enqueued;
  totals.delayedEnqueued += tally.delayed;
}

/**
 * The loop's fold: delayedCount rows whose second has begun are summed and
 * deleted (at most DELAYED_FOLD_BATCH). Returns the sum, and whether rows
 * of begun seconds are left. It does not look ahead for the next row: that
 * range is where enqueues insert; the loop takes its next fold time from
 * its own startQueue instead (loop.ts).
 */
export async function foldDelayed(db: MutationCtx["db"], now: number): Promise<{ matured: number; more: boolean }> {
  // Only begun seconds: enqueues insert rows of later ones (a row of the
  // second that begins while an enqueue runs is the rare exception).
  const current = delayedSecond(now);
  const begun = await db
    .query("delayedCount")
    .withIndex("by_second", (q) => q.lte("second", current))
    .take(DELAYED_FOLD_BATCH + 1);
  let matured = 0;
  for (const row of begun.slice(0, DELAYED_FOLD_BATCH)) {
    matured += row.count;
    await db.delete("delayedCount", row._id);
  }
  return { matured, more: begun.length > DELAYED_FOLD_BATCH };
}

/**
 * A job counted as delayed at enqueue is being canceled: takes it out of a
 * row of its second, if one is not folded yet. Returns whether it did (then
 * the caller counts it in totals.delayedCanceled).
 */
export async function uncountDelayed(db: MutationCtx["db"], work: Doc<"work">): Promise<boolean> {
  if (!work.countedDelayed) return false;
  // Any row of the job's second will do: `stats` sums them.
  const second = delayedSecond(work.runAt);
  const row = await db.query("delayedCount").withIndex("by_second", (q) => q.eq("second", second)).first();
  if (row === null) return false;
  if (row.count <= 1) await db.delete("delayedCount", row._id);
  else await db.patch("delayedCount", row._id, { count: row.count - 1 });
  return true;
}

/**
 * Reads the numbers for `lib.stats`: config, poolState, the tallies still in
 * the inbox and the completions the loop has not taken in (at most
 * STATS_INBOX_READ_LIMIT rows each), the oldest due pending
 * job, and the delayedCount rows whose second has begun but which the loop
 * has not folded yet (a few: it folds them as it runs, and its timer runs it for them
 * at least every DELAYED_FOLD_MIN_INTERVAL_MS).
 */
export async function readStats(db: DatabaseReader, now: number): Promise<PoolStats> {
  const config = await readConfig(db);
  const state = await db.query("poolState").first();
  const totals = { ...zeroTotals(), ...state?.totals };
  const inbox = await db.query("pendingStart").take(STATS_INBOX_READ_LIMIT);
  let inboxEnqueued = 0;
  let inboxDelayed = 0;
  for (const row of inbox) {
    inboxEnqueued += row.tally?.enqueued ?? 0;
    inboxDelayed += row.tally?.delayed ?? 0;
  }
  // Completions the loop has not taken in yet (below its cap, a completion
  // kicks no one: wake.ts): their jobs no longer run, and their outcomes
  // count, when they happened.
  let running = state?.running.length ?? 0;
  let buckets = { minuteBuckets: state?.minuteBuckets ?? [], hourBuckets: state?.hourBuckets ?? [] };
  const inFlight = new Map((state?.running ?? []).map((e) => [e.workId, e.attempt]));
  for (const row of await db.query("pendingCompletion").take(STATS_INBOX_READ_LIMIT)) {
    for (const item of row.items) {
      if (inFlight.get(item.workId) === item.attempt) running -= 1;
    }
    const outcomes = outcomesOf(row);
    addOutcomes(outcomes, totals);
    buckets = recordOutcomes(buckets, outcomes, row._creationTime);
  }
  const unfolded = await db
    .query("delayedCount")
    .withIndex("by_second", (q) => q.lte("second", delayedSecond(now)))
    .take(STATS_UNFOLDED_READ_LIMIT);
  const oldest = await db
    .query("work")
    .withIndex("by_state_readyAt", (q) => q.eq("state", "pending").lte("readyAt", now))
    .first();
  return poolStats({
    now,
    maxParallelism: config.maxParallelism,
    running,
    enqueued: totals.enqueued + inboxEnqueued,
    delayedEnqueued: totals.delayedEnqueued + inboxDelayed,
    delayedUnfolded: unfolded.reduce((n, r) => n + r.count, 0),
    totals,
    minuteBuckets: buckets.minuteBuckets,
    hourBuckets: buckets.hourBuckets,
    oldestReadyAt: oldest?.readyAt ?? null,
  });
}
