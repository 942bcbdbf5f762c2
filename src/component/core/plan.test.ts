// The loop's scheduling decisions (DESIGN §4 timing, §7 "no polling"): how
// many jobs may start under the cap, when the loop runs next, and whether an
// enqueue must wake it. The loop's reads and writes are tested elsewhere.
import { describe, expect, test } from "vitest";
import {
  HOUR,
  RECOVERY_INTERVAL_MS,
  SECOND,
  SWEEP_MIN_INTERVAL_MS,
} from "../constants.js";
import {
  freeSlots,
  needsWake,
  nextWake,
  watchdogAction,
  type IterationOutcome,
} from "./plan.js";

/**
 * A table test titled by a sentence built from each row (vitest's `$field`
 * would quote and cut strings).
 */
function eachCase<T>(
  rows: readonly T[],
  title: (row: T) => string,
  fn: (row: T) => void,
) {
  for (const row of rows) test(title(row), () => fn(row));
}

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

/** An iteration that left nothing behind: no backlog, nothing running, nothing waiting or retained. */
function outcome(extra: Partial<IterationOutcome> = {}): IterationOutcome {
  return {
    nowMs: NOW,
    backlogNow: false,
    freeSlots: 10,
    ...extra,
  };
}

describe("freeSlots", () => {
  eachCase(
    [
      { maxParallelism: 10, running: 0, free: 10 },
      { maxParallelism: 10, running: 3, free: 7 },
      { maxParallelism: 10, running: 10, free: 0 },
      { maxParallelism: 200, running: 199, free: 1 },
    ],
    (c) =>
      `with a cap of ${c.maxParallelism} and ${c.running} running, ${c.free} may start`,
    ({ maxParallelism, running, free }) => {
      expect(freeSlots(maxParallelism, running)).toBe(free);
    },
  );

  test("a cap lowered below the running count leaves no slot, never a negative count", () => {
    expect(freeSlots(5, 12)).toBe(0);
    expect(freeSlots(1, 200)).toBe(0);
  });

  test("a cap of 0 pauses starting, whether or not jobs are still running", () => {
    expect(freeSlots(0, 0)).toBe(0);
    expect(freeSlots(0, 4)).toBe(0);
  });
});

describe("nextWake", () => {
  test("a queue with rows left over makes the loop run again at once", () => {
    expect(nextWake(outcome({ backlogNow: true }))).toEqual({ kind: "now" });
  });

  test("a backlog wins over every later time", () => {
    const o = outcome({
      backlogNow: true,
      freeSlots: 0,
      nextReadyAt: NOW + HOUR,
      nextExpiry: NOW + HOUR,
    });
    expect(nextWake(o)).toEqual({ kind: "now" });
  });

  test("a pool with nothing pending, running or retained goes idle", () => {
    expect(nextWake(outcome())).toEqual({ kind: "idle" });
  });

  test("a delayed job with a free slot wakes the loop when it becomes due", () => {
    expect(nextWake(outcome({ nextReadyAt: NOW + 30 * SECOND }))).toEqual({
      kind: "at",
      atMs: NOW + 30 * SECOND,
    });
  });

  eachCase(
    [
      { when: "due right now", readyAt: NOW },
      { when: "overdue", readyAt: NOW - 5 * SECOND },
    ],
    (c) => `a job ${c.when} with a free slot makes the loop run again at once`,
    ({ readyAt }) => {
      expect(nextWake(outcome({ nextReadyAt: readyAt }))).toEqual({
        kind: "now",
      });
    },
  );

  test("a due job with no free slot does not wake the loop: a completion will", () => {
    expect(
      nextWake(outcome({ freeSlots: 0, nextReadyAt: NOW - SECOND })),
    ).toEqual({ kind: "idle" });
  });

  test("a paused pool (cap 0) with nothing running does not wake for waiting jobs", () => {
    expect(
      nextWake(outcome({ freeSlots: 0, nextReadyAt: NOW })),
    ).toEqual({ kind: "idle" });
  });

  test("a retained outcome wakes an otherwise idle loop when it expires", () => {
    expect(nextWake(outcome({ nextExpiry: NOW + HOUR }))).toEqual({
      kind: "at",
      atMs: NOW + HOUR,
    });
  });

  eachCase(
    [
      { when: "expires soon", expiry: NOW + SECOND },
      { when: "expires right now", expiry: NOW },
      { when: "has already expired", expiry: NOW - HOUR },
    ],
    (c) =>
      `an outcome that ${c.when} wakes the loop no sooner than the sweep interval from now`,
    ({ expiry }) => {
      expect(nextWake(outcome({ nextExpiry: expiry }))).toEqual({
        kind: "at",
        atMs: NOW + SWEEP_MIN_INTERVAL_MS,
      });
    },
  );

  eachCase(
    [
      {
        what: "a delayed job due before the recovery check wakes the loop for the job",
        o: { running: 2, freeSlots: 8, nextReadyAt: NOW + 10 * SECOND },
        atMs: NOW + 10 * SECOND,
      },
      {
        what: "an expiry before a delayed job wakes the loop for the expiry",
        o: { nextReadyAt: NOW + 2 * HOUR, nextExpiry: NOW + HOUR },
        atMs: NOW + HOUR,
      },
      {
        what: "a delayed job before an expiry wakes the loop for the job",
        o: { nextReadyAt: NOW + 2 * SECOND, nextExpiry: NOW + SECOND },
        atMs: NOW + 2 * SECOND,
      },
      {
        what: "a job waiting for a slot does not pull the wake before the expiry",
        o: {
          freeSlots: 0,
          running: 4,
          nextRecoveryAt: NOW + 3 * HOUR,
          nextReadyAt: NOW + SECOND,
          nextExpiry: NOW + 2 * HOUR,
        },
        atMs: NOW + 2 * HOUR,
      },
    ],
    (c) => `${c.what}`,
    ({ o, atMs }) => {
      expect(nextWake(outcome(o))).toEqual({ kind: "at", atMs });
    },
  );
});

describe("needsWake", () => {
  const readyAt = NOW + 10 * SECOND;

  test("a loop that never ran must be woken", () => {
    expect(needsWake(null, readyAt)).toBe(true);
  });

  test("an idle loop must be woken", () => {
    expect(needsWake({ state: "idle" }, readyAt)).toBe(true);
  });

  test("a running loop will see the job without being woken", () => {
    expect(needsWake({ state: "running" }, readyAt)).toBe(false);
    expect(needsWake({ state: "running" }, NOW - HOUR)).toBe(false);
  });

  test("a loop asleep until after the job is due must be woken", () => {
    expect(
      needsWake({ state: "scheduled", wakeAt: readyAt + 1 }, readyAt),
    ).toBe(true);
  });

  test("a loop asleep until before the job is due will see it", () => {
    expect(
      needsWake({ state: "scheduled", wakeAt: readyAt - SECOND }, readyAt),
    ).toBe(false);
  });

  test("a loop asleep until exactly the job's due time will see it", () => {
    expect(needsWake({ state: "scheduled", wakeAt: readyAt }, readyAt)).toBe(
      false,
    );
  });

  test("a scheduled loop without a known wake time is woken", () => {
    expect(needsWake({ state: "scheduled" }, readyAt)).toBe(true);
  });
});

describe("watchdogAction", () => {
  eachCase(
    [
      { active: true, watchdog: undefined, action: "schedule", why: "the pool is active and no watchdog is set" },
      { active: true, watchdog: { at: NOW + SECOND }, action: "keep", why: "the pool is active and a watchdog is pending" },
      { active: true, watchdog: { at: NOW }, action: "schedule", why: "the pool is active and the watchdog is due or has fired" },
      { active: false, watchdog: { at: NOW + SECOND }, action: "cancel", why: "the pool is inactive and a watchdog is pending" },
      { active: false, watchdog: { at: NOW - SECOND }, action: "none", why: "the pool is inactive and the watchdog has fired" },
      { active: false, watchdog: undefined, action: "none", why: "the pool is inactive and none is set" },
    ] as const,
    (c) => `${c.action} when ${c.why}`,
    ({ active, watchdog, action }) => {
      expect(watchdogAction(active, watchdog, NOW)).toBe(action);
    },
  );

  test("an idle pool never keeps a watchdog: nothing stays scheduled", () => {
    expect(watchdogAction(false, { at: NOW + RECOVERY_INTERVAL_MS }, NOW)).toBe("cancel");
  });
});
