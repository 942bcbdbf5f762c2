// The arithmetic behind `stats` (DESIGN, pool statistics): outcome buckets
// for the last minute and hour, which jobs count as delayed, and how the
// counters combine into pending, due, delayed and backing off. What the
// loop and enqueue count is test/stats.test.ts's.
import { describe, expect, test } from "vitest";
import {
  HOUR,
  MINUTE,
  SECOND,
  STATS_HOUR_BUCKET_MS,
  STATS_MINUTE_BUCKET_MS,
} from "../constants.js";
import {
  addOutcomes,
  outcomesOf,
  addToBuckets,
  delayedSecond,
  isDelayed,
  newEnqueueTally,
  outcomeDelta,
  poolStats,
  recordOutcomes,
  secondBegun,
  sumWindow,
  tallyEnqueued,
  zeroOutcomes,
  zeroTotals,
  type Bucket,
  type OutcomeCounts,
  type StatsInput,
} from "./stats.js";

/** A whole minute, so that bucket starts are easy to read. */
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

const outcomes = (o: Partial<OutcomeCounts> = {}): OutcomeCounts => ({ ...zeroOutcomes(), ...o });
const bucket = (at: number, o: Partial<OutcomeCounts> = {}): Bucket => ({ at, ...outcomes(o) });

describe("isDelayed: a job counts as delayed until the second it is due begins", () => {
  test.each([
    { readyAt: NOW, now: NOW, delayed: false, why: "due now" },
    { readyAt: NOW - 5 * SECOND, now: NOW, delayed: false, why: "due in the past" },
    { readyAt: NOW + 1, now: NOW, delayed: false, why: "due 1 ms later, within the current second" },
    { readyAt: NOW + 1001, now: NOW + 1, delayed: true, why: "due 1 s later, in the next second" },
    { readyAt: NOW + 999, now: NOW + 1, delayed: false, why: "due later within the current second" },
    { readyAt: NOW + 999, now: NOW, delayed: false, why: "due at the current second's last ms" },
    { readyAt: NOW + SECOND, now: NOW + 999, delayed: true, why: "due at the next second's first ms" },
    { readyAt: NOW + SECOND, now: NOW + SECOND, delayed: false, why: "due at the second that just began" },
    { readyAt: NOW + 60 * SECOND + 500, now: NOW, delayed: true, why: "due in a minute" },
    { readyAt: NOW + 60 * SECOND + 500, now: NOW + 60 * SECOND, delayed: false, why: "the second it is due in has begun" },
  ])("$why: delayed $delayed", ({ readyAt, now, delayed }) => {
    expect(isDelayed(readyAt, now)).toBe(delayed);
  });

  test("delayedSecond and secondBegun agree with isDelayed at the boundaries", () => {
    expect(delayedSecond(NOW)).toBe(NOW / SECOND);
    expect(delayedSecond(NOW + 999)).toBe(NOW / SECOND);
    expect(delayedSecond(NOW + 1000)).toBe(NOW / SECOND + 1);
    expect(secondBegun(NOW / SECOND, NOW - 1)).toBe(false);
    expect(secondBegun(NOW / SECOND, NOW)).toBe(true);
  });
});

describe("tallyEnqueued", () => {
  test("counts every job, and delayed ones by the second they become due", () => {
    const t = newEnqueueTally();
    tallyEnqueued(t, NOW, false);
    tallyEnqueued(t, NOW + 5 * SECOND + 10, true);
    tallyEnqueued(t, NOW + 5 * SECOND + 990, true);
    tallyEnqueued(t, NOW + 7 * SECOND, true);
    expect(t.enqueued).toBe(4);
    expect(t.delayed).toBe(3);
    expect([...t.seconds.entries()]).toEqual([
      [NOW / SECOND + 5, 2],
      [NOW / SECOND + 7, 1],
    ]);
  });
});

describe("addToBuckets", () => {
  const add = (buckets: Bucket[], delta: Partial<OutcomeCounts>, now: number) =>
    addToBuckets(buckets, outcomes(delta), now, STATS_MINUTE_BUCKET_MS, MINUTE);

  test("adds to the bucket holding now, creating it at the bucket's start", () => {
    const b = add([], { succeeded: 2 }, NOW + 3 * SECOND);
    expect(b).toEqual([bucket(NOW, { succeeded: 2 })]);
    const b2 = add(b, { failed: 1, retries: 4 }, NOW + 9 * SECOND + 999);
    expect(b2).toEqual([bucket(NOW, { succeeded: 2, failed: 1, retries: 4 })]);
    const b3 = add(b2, { canceled: 1 }, NOW + 10 * SECOND);
    expect(b3).toEqual([bucket(NOW, { succeeded: 2, failed: 1, retries: 4 }), bucket(NOW + 10 * SECOND, { canceled: 1 })]);
  });

  test("does not change the buckets it was given", () => {
    const given = [bucket(NOW, { succeeded: 1 })];
    add(given, { succeeded: 5 }, NOW);
    expect(given).toEqual([bucket(NOW, { succeeded: 1 })]);
  });

  test("a zero delta adds no bucket, but still prunes", () => {
    expect(add([], {}, NOW)).toEqual([]);
    const old = bucket(NOW - 2 * MINUTE, { succeeded: 1 });
    expect(add([old], {}, NOW)).toEqual([]);
  });

  test("keeps buckets that end within keepMs of now, drops those that ended keepMs or more ago", () => {
    const buckets = [
      // Ends at NOW − 60 s: exactly keepMs ago, dropped.
      bucket(NOW - 70 * SECOND, { succeeded: 1 }),
      // Starts NOW − 60 s, ends NOW − 50 s: kept.
      bucket(NOW - 60 * SECOND, { succeeded: 2 }),
      bucket(NOW - 10 * SECOND, { succeeded: 3 }),
    ];
    const kept = add(buckets, { failed: 1 }, NOW);
    expect(kept).toEqual([
      bucket(NOW - 60 * SECOND, { succeeded: 2 }),
      bucket(NOW - 10 * SECOND, { succeeded: 3 }),
      bucket(NOW, { failed: 1 }),
    ]);
    // One ms later the bucket that started 60 s ago still overlaps the last minute.
    expect(add(buckets, {}, NOW + 1).map((b) => b.at)).toEqual([NOW - 60 * SECOND, NOW - 10 * SECOND]);
    // Once it has fully ended a minute ago, it goes.
    expect(add(buckets, {}, NOW + 10 * SECOND).map((b) => b.at)).toEqual([NOW - 10 * SECOND]);
  });

  test("a negative delta (a correction) is applied like any other", () => {
    expect(add([bucket(NOW, { succeeded: 3 })], { succeeded: -1 }, NOW)).toEqual([bucket(NOW, { succeeded: 2 })]);
  });
});

describe("sumWindow", () => {
  const minute = (buckets: Bucket[], now: number) => sumWindow(buckets, now, STATS_MINUTE_BUCKET_MS, MINUTE);
  const hour = (buckets: Bucket[], now: number) => sumWindow(buckets, now, STATS_HOUR_BUCKET_MS, HOUR);

  test("sums every bucket overlapping the window, field by field", () => {
    const buckets = [
      bucket(NOW - 50 * SECOND, { succeeded: 1, retries: 2 }),
      bucket(NOW - 20 * SECOND, { failed: 3 }),
      bucket(NOW, { canceled: 4, succeeded: 5 }),
    ];
    expect(minute(buckets, NOW + 5 * SECOND)).toEqual({ succeeded: 6, failed: 3, canceled: 4, retries: 2 });
  });

  test("a bucket that ended exactly windowMs ago is out; one ending 1 ms later is in", () => {
    const b = [bucket(NOW - 70 * SECOND, { succeeded: 1 }), bucket(NOW - 60 * SECOND, { failed: 1 })];
    // At NOW: the first ended at NOW − 60 s (out), the second at NOW − 50 s (in).
    expect(minute(b, NOW)).toEqual(outcomes({ failed: 1 }));
    // At NOW − 1 the first ended 59.999 s ago: it still overlaps.
    expect(minute(b, NOW - 1)).toEqual(outcomes({ succeeded: 1, failed: 1 }));
    // At NOW + 10 s the second has ended a minute ago too.
    expect(minute(b, NOW + 10 * SECOND)).toEqual(outcomes());
  });

  test("a bucket starting after now is not counted", () => {
    expect(minute([bucket(NOW + 10 * SECOND, { succeeded: 7 })], NOW)).toEqual(outcomes());
    expect(minute([bucket(NOW, { succeeded: 7 })], NOW)).toEqual(outcomes({ succeeded: 7 }));
  });

  test("the hour window counts minute buckets of the last hour", () => {
    const b = [
      bucket(NOW - HOUR - MINUTE, { succeeded: 1 }),
      bucket(NOW - HOUR, { succeeded: 10 }),
      bucket(NOW - 30 * MINUTE, { canceled: 2 }),
      bucket(NOW, { failed: 3 }),
    ];
    expect(hour(b, NOW)).toEqual(outcomes({ succeeded: 10, canceled: 2, failed: 3 }));
    expect(hour(b, NOW + MINUTE)).toEqual(outcomes({ canceled: 2, failed: 3 }));
    expect(hour(b, NOW + 2 * HOUR)).toEqual(outcomes());
  });

  test("nothing recorded sums to zeros", () => {
    expect(minute([], NOW)).toEqual(outcomes());
    expect(hour([], NOW)).toEqual(outcomes());
  });
});

describe("outcomesOf and addOutcomes", () => {
  test("a completion row's outcome counts are taken alone and added to every tally given", () => {
    const row = { succeeded: 3, failed: 1, canceled: 2, retries: 4, items: [], expiresAt: 5 };
    const outcomes = outcomesOf(row);
    expect(outcomes).toEqual({ succeeded: 3, failed: 1, canceled: 2, retries: 4 });
    const a = { succeeded: 1, failed: 1, canceled: 1, retries: 1 };
    const b = { ...zeroTotals(), enqueued: 7 };
    addOutcomes(outcomes, a, b);
    expect(a).toEqual({ succeeded: 4, failed: 2, canceled: 3, retries: 5 });
    expect(b).toEqual({ ...zeroTotals(), enqueued: 7, succeeded: 3, failed: 1, canceled: 2, retries: 4 });
  });
});

describe("recordOutcomes", () => {
  test("adds one iteration's outcomes to both windows, which then forget them at their own pace", () => {
    const before = zeroTotals();
    const after = { ...before, succeeded: 2, failed: 1, canceled: 1, retries: 3, retriesStarted: 5 };
    const delta = outcomeDelta(before, after);
    expect(delta).toEqual({ succeeded: 2, failed: 1, canceled: 1, retries: 3 });
    const state = recordOutcomes({}, delta, NOW + 5 * SECOND);
    expect(sumWindow(state.minuteBuckets, NOW + 5 * SECOND, STATS_MINUTE_BUCKET_MS, MINUTE)).toEqual(delta);
    expect(sumWindow(state.hourBuckets, NOW + 5 * SECOND, STATS_HOUR_BUCKET_MS, HOUR)).toEqual(delta);
    // Two minutes on, another iteration prunes the minute buckets, not the hour's.
    const later = recordOutcomes(state, outcomes(), NOW + 2 * MINUTE);
    expect(later.minuteBuckets).toEqual([]);
    expect(sumWindow(later.hourBuckets, NOW + 2 * MINUTE, STATS_HOUR_BUCKET_MS, HOUR)).toEqual(delta);
    expect(recordOutcomes(later, outcomes(), NOW + 2 * HOUR).hourBuckets).toEqual([]);
  });
});

describe("poolStats", () => {
  function input(extra: Partial<StatsInput> = {}): StatsInput {
    return {
      now: NOW,
      maxParallelism: 10,
      running: 0,
      enqueued: 0,
      delayedEnqueued: 0,
      delayedUnfolded: 0,
      totals: zeroTotals(),
      minuteBuckets: [],
      hourBuckets: [],
      oldestReadyAt: null,
      ...extra,
    };
  }

  test("an empty pool: zeros and no oldest age", () => {
    expect(poolStats(input({ maxParallelism: 7 }))).toEqual({
      maxParallelism: 7,
      running: 0,
      pending: 0,
      pendingDue: 0,
      pendingDelayed: 0,
      pendingBackingOff: 0,
      oldestPendingAgeMs: null,
      lastMinute: outcomes(),
      lastHour: outcomes(),
    });
  });

  test("pending is enqueued less finished less running, split into due, delayed and backing off", () => {
    const totals = {
      ...zeroTotals(),
      succeeded: 20,
      failed: 5,
      canceled: 3,
      retries: 9, // failed attempts followed by another
      retriesStarted: 6,
      retriesCanceled: 1,
      delayedMatured: 4,
      delayedCanceled: 2,
    };
    const s = poolStats(input({ enqueued: 60, running: 7, delayedEnqueued: 15, delayedUnfolded: 3, totals }));
    expect(s.running).toBe(7);
    expect(s.pending).toBe(60 - 28 - 7);
    expect(s.pendingBackingOff).toBe(9 - 6 - 1);
    expect(s.pendingDelayed).toBe(15 - 4 - 2 - 3);
    expect(s.pendingDue).toBe(25 - 2 - 6);
    expect(s.pendingDue + s.pendingDelayed + s.pendingBackingOff).toBe(s.pending);
  });

  test("no count goes negative, even if counters disagree for a moment", () => {
    const totals = { ...zeroTotals(), succeeded: 5, retries: 1, retriesStarted: 3, delayedMatured: 4 };
    const s = poolStats(input({ enqueued: 3, running: 2, delayedEnqueued: 1, totals }));
    expect(s.pending).toBe(0);
    expect(s.pendingBackingOff).toBe(0);
    expect(s.pendingDelayed).toBe(0);
    expect(s.pendingDue).toBe(0);
  });

  test("the oldest pending age is how long the oldest due job has waited", () => {
    expect(poolStats(input({ oldestReadyAt: NOW - 12_345 })).oldestPendingAgeMs).toBe(12_345);
    expect(poolStats(input({ oldestReadyAt: NOW })).oldestPendingAgeMs).toBe(0);
    expect(poolStats(input({ oldestReadyAt: NOW + 50 })).oldestPendingAgeMs).toBe(0);
  });

  test("lastMinute and lastHour sum their own buckets", () => {
    const s = poolStats(
      input({
        minuteBuckets: [bucket(NOW - 2 * MINUTE, { succeeded: 100 }), bucket(NOW - 10 * SECOND, { succeeded: 1, retries: 1 })],
        hourBuckets: [bucket(NOW - 2 * HOUR, { failed: 100 }), bucket(NOW - 30 * MINUTE, { succeeded: 8, failed: 2 })],
      }),
    );
    expect(s.lastMinute).toEqual(outcomes({ succeeded: 1, retries: 1 }));
    expect(s.lastHour).toEqual(outcomes({ succeeded: 8, failed: 2 }));
  });
});
