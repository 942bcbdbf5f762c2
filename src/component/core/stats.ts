// Live pool statistics (lib.stats), derived from counters. Pure.
//
// pending = enqueued (tallies the loop counted, and those still in the
// inbox) − finished (loop) − running.
// Of those, backing off = retries queued − retries started − retries canceled
// (all counted by the loop), delayed = delayed at enqueue − folded once due −
// due but not yet folded − canceled while delayed, and due is the rest.
import { DELAYED_COUNT_RESOLUTION_MS, HOUR, MINUTE, STATS_HOUR_BUCKET_MS, STATS_MINUTE_BUCKET_MS } from "../constants.js";
import type { PoolStats } from "../validators.js";

export type OutcomeCounts = { succeeded: number; failed: number; canceled: number; retries: number };
/** Lifetime counts the loop keeps in poolState. */
export type Totals = OutcomeCounts & {
  enqueued: number;
  delayedEnqueued: number;
  retriesStarted: number;
  retriesCanceled: number;
  delayedMatured: number;
  delayedCanceled: number;
};
export type Bucket = OutcomeCounts & { at: number };

export const zeroOutcomes = (): OutcomeCounts => ({ succeeded: 0, failed: 0, canceled: 0, retries: 0 });
export const zeroTotals = (): Totals => ({
  ...zeroOutcomes(),
  enqueued: 0,
  delayedEnqueued: 0,
  retriesStarted: 0,
  retriesCanceled: 0,
  delayedMatured: 0,
  delayedCanceled: 0,
});

/** The second (epoch seconds) under which a delayed job is counted. */
export const delayedSecond = (readyAt: number) => Math.floor(readyAt / DELAYED_COUNT_RESOLUTION_MS);
/** Whether that second has begun: the job no longer counts as delayed. */
export const secondBegun = (second: number, now: number) => second * DELAYED_COUNT_RESOLUTION_MS <= now;
/** A job enqueued now and due at readyAt counts as delayed until its second begins. */
export const isDelayed = (readyAt: number, now: number) => !secondBegun(delayedSecond(readyAt), now);

/**
 * What one enqueue call adds to the counters: the tally its inbox row
 * carries, and the delayed jobs per second (a delayedCount row each).
 */
export type EnqueueTally = { enqueued: number; delayed: number; seconds: Map<number, number> };
export const newEnqueueTally = (): EnqueueTally => ({ enqueued: 0, delayed: 0, seconds: new Map() });
export function tallyEnqueued(t: EnqueueTally, readyAt: number, delayed: boolean): void {
  t.enqueued += 1;
  if (!delayed) return;
  t.delayed += 1;
  const second = delayedSecond(readyAt);
  t.seconds.set(second, (t.seconds.get(second) ?? 0) + 1);
}

const OUTCOME_FIELDS = ["succeeded", "failed", "canceled", "retries"] as const;

/** The outcome counts of a row that carries them (a completion row), alone. */
export const outcomesOf = (row: OutcomeCounts): OutcomeCounts => {
  const d = zeroOutcomes();
  for (const f of OUTCOME_FIELDS) d[f] = row[f];
  return d;
};

/** Adds `d` into each of `into`, field by field. */
export function addOutcomes(d: OutcomeCounts, ...into: OutcomeCounts[]): void {
  for (const t of into) for (const f of OUTCOME_FIELDS) t[f] += d[f];
}

/** b − a, field by field. */
export function outcomeDelta(a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts {
  const d = zeroOutcomes();
  for (const f of OUTCOME_FIELDS) d[f] = b[f] - a[f];
  return d;
}

/**
 * Adds `delta` to the bucket of length `bucketMs` holding `now`, and drops
 * buckets that ended `keepMs` or more ago.
 */
export function addToBuckets(
  buckets: readonly Bucket[],
  delta: OutcomeCounts,
  now: number,
  bucketMs: number,
  keepMs: number,
): Bucket[] {
  const kept = buckets.filter((b) => b.at + bucketMs > now - keepMs).map((b) => ({ ...b }));
  if (OUTCOME_FIELDS.every((f) => delta[f] === 0)) return kept;
  const at = Math.floor(now / bucketMs) * bucketMs;
  let bucket = kept.find((b) => b.at === at);
  if (bucket === undefined) {
    bucket = { at, ...zeroOutcomes() };
    kept.push(bucket);
  }
  for (const f of OUTCOME_FIELDS) bucket[f] += delta[f];
  return kept;
}

/** Sum of the buckets that overlap the `windowMs` before now. */
export function sumWindow(buckets: readonly Bucket[], now: number, bucketMs: number, windowMs: number): OutcomeCounts {
  const sum = zeroOutcomes();
  for (const b of buckets) {
    if (b.at + bucketMs <= now - windowMs || b.at > now) continue;
    for (const f of OUTCOME_FIELDS) sum[f] += b[f];
  }
  return sum;
}

/** The loop's bucket bookkeeping for both windows after one iteration. */
export function recordOutcomes(
  state: { minuteBuckets?: Bucket[]; hourBuckets?: Bucket[] },
  delta: OutcomeCounts,
  now: number,
): { minuteBuckets: Bucket[]; hourBuckets: Bucket[] } {
  return {
    minuteBuckets: addToBuckets(state.minuteBuckets ?? [], delta, now, STATS_MINUTE_BUCKET_MS, MINUTE),
    hourBuckets: addToBuckets(state.hourBuckets ?? [], delta, now, STATS_HOUR_BUCKET_MS, HOUR),
  };
}


export type StatsInput = {
  now: number;
  maxParallelism: number;
  running: number;
  /** Jobs enqueued: counted by the loop, and in tallies still in the inbox. */
  enqueued: number;
  /** Of those, due in a later second at enqueue. */
  delayedEnqueued: number;
  /** Counts in delayedCount rows whose second has begun, not yet folded. */
  delayedUnfolded: number;
  totals: Totals;
  minuteBuckets: readonly Bucket[];
  hourBuckets: readonly Bucket[];
  /** readyAt of the pending job due longest ago (readyAt ≤ now). */
  oldestReadyAt: number | null;
};

export function poolStats(i: StatsInput): PoolStats {
  const t = i.totals;
  const finished = t.succeeded + t.failed + t.canceled;
  const pending = Math.max(0, i.enqueued - finished - i.running);
  const backingOff = Math.max(0, t.retries - t.retriesStarted - t.retriesCanceled);
  const delayed = Math.max(
    0,
    i.delayedEnqueued - t.delayedMatured - t.delayedCanceled - i.delayedUnfolded,
  );
  return {
    maxParallelism: i.maxParallelism,
    running: i.running,
    pending,
    pendingDue: Math.max(0, pending - delayed - backingOff),
    pendingDelayed: delayed,
    pendingBackingOff: backingOff,
    oldestPendingAgeMs: i.oldestReadyAt === null ? null : Math.max(0, i.now - i.oldestReadyAt),
    lastMinute: sumWindow(i.minuteBuckets, i.now, STATS_MINUTE_BUCKET_MS, MINUTE),
    lastHour: sumWindow(i.hourBuckets, i.now, STATS_HOUR_BUCKET_MS, HOUR),
  };
}
