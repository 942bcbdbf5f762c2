// Counters behind `lib.stats` (core/stats.ts derives the numbers). Enqueuers
// add to one random enqueueCount shard per call, and to the delayedCount row
// of each second their delayed jobs become due; everything else is counted
// by the loop in poolState, which it writes every iteration anyway.
import { DELAYED_FOLD_BATCH, STATS_SHARDS, STATS_UNFOLDED_READ_LIMIT } from "./constants.js";
import { readConfig } from "./config.js";
import { delayedSecond, poolStats, zeroTotals, type EnqueueTally } from "./core/stats.js";
import type { PoolStats } from "./validators.js";
import type { Doc } from "./_generated/dataModel.js";
import type { DatabaseReader, MutationCtx } from "./_generated/server.js";

/** Adds one enqueue call's jobs to the counters: one shard row, and that shard's row of each delayed second. */
export async function countEnqueued(db: MutationCtx["db"], tally: EnqueueTally): Promise<void> {
  if (tally.enqueued === 0) return;
  const shard = Math.floor(Math.random() * STATS_SHARDS);
  const row = await db.query("enqueueCount").withIndex("by_shard", (q) => q.eq("shard", shard)).first();
  if (row === null) {
    await db.insert("enqueueCount", { shard, enqueued: tally.enqueued, delayed: tally.delayed });
  } else {
    await db.patch("enqueueCount", row._id, {
      enqueued: row.enqueued + tally.enqueued,
      delayed: row.delayed + tally.delayed,
    });
  }
  for (const [second, count] of tally.seconds) {
    const existing = await db
      .query("delayedCount")
      .withIndex("by_second", (q) => q.eq("second", second).eq("shard", shard))
      .first();
    if (existing === null) await db.insert("delayedCount", { second, shard, count });
    else await db.patch("delayedCount", existing._id, { count: existing.count + count });
  }
}

/**
 * The loop's fold: delayedCount rows whose second has begun are summed and
 * deleted (at most DELAYED_FOLD_BATCH). Returns the sum and the second of
 * the next row left, if any (the loop wakes for it when nothing else does).
 */
export async function foldDelayed(
  db: MutationCtx["db"],
  now: number,
): Promise<{ matured: number; nextSecond: number | undefined; more: boolean }> {
  // Only begun seconds: enqueuers write future ones, so this range rarely
  // meets a concurrent enqueue (no conflict with the loop's transaction).
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
  if (begun.length > DELAYED_FOLD_BATCH) return { matured, nextSecond: current, more: true };
  const next = await db
    .query("delayedCount")
    .withIndex("by_second", (q) => q.gt("second", current))
    .first();
  return { matured, nextSecond: next?.second, more: false };
}

/**
 * A job counted as delayed at enqueue is being canceled: takes it out of
 * its second's row, if that row is not folded yet. Returns whether it did
 * (then the caller counts it in totals.delayedCanceled).
 */
export async function uncountDelayed(db: MutationCtx["db"], work: Doc<"work">): Promise<boolean> {
  if (!work.countedDelayed) return false;
  // Any shard's row of the job's second will do: `stats` sums them.
  const second = delayedSecond(work.runAt);
  const row = await db.query("delayedCount").withIndex("by_second", (q) => q.eq("second", second)).first();
  if (row === null) return false;
  if (row.count <= 1) await db.delete("delayedCount", row._id);
  else await db.patch("delayedCount", row._id, { count: row.count - 1 });
  return true;
}

/**
 * Reads the numbers for `lib.stats`: config, poolState, the STATS_SHARDS
 * shards, the oldest due pending job, and the delayedCount rows whose second
 * has begun but which the loop has not folded yet (a few: it folds them as
 * it runs, and wakes for them at least every DELAYED_FOLD_MIN_INTERVAL_MS).
 */
export async function readStats(db: DatabaseReader, now: number): Promise<PoolStats> {
  const config = await readConfig(db);
  const state = await db.query("poolState").first();
  const shards = await db.query("enqueueCount").take(STATS_SHARDS);
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
    running: state?.running.length ?? 0,
    enqueued: shards.reduce((n, s) => n + s.enqueued, 0),
    delayedEnqueued: shards.reduce((n, s) => n + s.delayed, 0),
    delayedUnfolded: unfolded.reduce((n, r) => n + r.count, 0),
    totals: state?.totals ?? zeroTotals(),
    minuteBuckets: state?.minuteBuckets ?? [],
    hourBuckets: state?.hourBuckets ?? [],
    oldestReadyAt: oldest?.readyAt ?? null,
  });
}
