// The loop's scheduling decisions (DESIGN §4 timing, §7 "no polling"): how
// many jobs may start under the cap, when the loop runs next, its timer, and
// what the watchdog does. The loop's reads and writes are tested elsewhere.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  HOUR,
  LOOP_STALL_MS,
  PRIORITY_MAX_PASSES,
  RECOVERY_INTERVAL_MS,
  SECOND,
  DAY,
  SWEEP_MIN_INTERVAL_MS,
} from "../constants.js";
import {
  afterStart,
  freeSlots,
  nextWake,
  pickRank,
  PRIORITY_RANK,
  rankOf,
  timerAction,
  watchdogAction,
  watchdogPlan,
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

  test("a delayed job with a free slot runs the loop when it becomes due", () => {
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

  test("a due job with no free slot does not run the loop: a completion will", () => {
    expect(
      nextWake(outcome({ freeSlots: 0, nextReadyAt: NOW - SECOND })),
    ).toEqual({ kind: "idle" });
  });

  test("a paused pool (cap 0) with nothing running does not run for waiting jobs", () => {
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
      `an outcome that ${c.when} runs the loop no sooner than the sweep interval from now`,
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
        what: "a delayed job due before the recovery check runs the loop for the job",
        o: { running: 2, freeSlots: 8, nextReadyAt: NOW + 10 * SECOND },
        atMs: NOW + 10 * SECOND,
      },
      {
        what: "an expiry before a delayed job runs the loop for the expiry",
        o: { nextReadyAt: NOW + 2 * HOUR, nextExpiry: NOW + HOUR },
        atMs: NOW + HOUR,
      },
      {
        what: "a delayed job before an expiry runs the loop for the job",
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

describe("timerAction", () => {
  const at = (atMs: number) => ({ kind: "at" as const, atMs });
  eachCase(
    [
      { timer: undefined, wake: at(NOW + HOUR), action: "set", why: "the loop must run at a time and has no timer" },
      { timer: { at: NOW + SECOND }, wake: at(NOW + HOUR), action: "keep", why: "a pending timer is due before the time needed (it runs and plans again)" },
      { timer: { at: NOW + HOUR }, wake: at(NOW + HOUR), action: "keep", why: "a pending timer is due at exactly the time needed" },
      { timer: { at: NOW + DAY }, wake: at(NOW + HOUR), action: "set", why: "a pending timer is due after the time needed" },
      { timer: { at: NOW }, wake: at(NOW + HOUR), action: "set", why: "the timer's time has come (this is its call, or it ran)" },
      { timer: { at: NOW + HOUR }, wake: { kind: "idle" as const }, action: "cancel", why: "the loop needs no timer and one is pending" },
      { timer: { at: NOW - SECOND }, wake: { kind: "idle" as const }, action: "drop", why: "the loop needs no timer and the old one's time has passed" },
      { timer: undefined, wake: { kind: "idle" as const }, action: "none", why: "the loop needs no timer and has none" },
      { timer: { at: NOW + HOUR }, wake: { kind: "now" as const }, action: "keep", why: "the loop goes on at once and a timer is pending (still needed later)" },
    ],
    (c) => `${c.action} when ${c.why}`,
    ({ timer, wake, action }) => {
      expect(timerAction(timer, wake, NOW)).toBe(action);
    },
  );
});

describe("watchdogPlan", () => {
  test("while attempts run or onCompletes are pending it kicks every recovery interval", () => {
    expect(watchdogPlan({ nowMs: NOW, recoveryWork: true })).toEqual({ kick: true, stalled: false, nextAt: NOW + RECOVERY_INTERVAL_MS });
    expect(watchdogPlan({ nowMs: NOW, recoveryWork: true, dueAt: NOW + DAY })).toEqual({ kick: true, stalled: false, nextAt: NOW + RECOVERY_INTERVAL_MS });
  });

  test("with nothing running and nothing due it ends", () => {
    expect(watchdogPlan({ nowMs: NOW, recoveryWork: false })).toEqual({ kick: false, stalled: false, nextAt: null });
  });

  test("a loop with a far due time is looked at only once its call should have run", () => {
    expect(watchdogPlan({ nowMs: NOW, recoveryWork: false, dueAt: NOW + 2 * HOUR })).toEqual({
      kick: false,
      stalled: false,
      nextAt: NOW + 2 * HOUR + LOOP_STALL_MS,
    });
  });

  test("what is still due a stall after its time is a stall: the loop is kicked", () => {
    const dueAt = NOW - LOOP_STALL_MS;
    expect(watchdogPlan({ nowMs: NOW, recoveryWork: false, dueAt })).toEqual({ kick: true, stalled: true, nextAt: NOW + RECOVERY_INTERVAL_MS });
    // Also while attempts run: it is a stall all the same (logged as one).
    expect(watchdogPlan({ nowMs: NOW, recoveryWork: true, dueAt })).toEqual({ kick: true, stalled: true, nextAt: NOW + RECOVERY_INTERVAL_MS });
  });

  test("a due time less than a stall ago is given its time", () => {
    const dueAt = NOW - LOOP_STALL_MS + 1;
    expect(watchdogPlan({ nowMs: NOW, recoveryWork: false, dueAt })).toEqual({ kick: false, stalled: false, nextAt: NOW + RECOVERY_INTERVAL_MS });
  });
});

describe("watchdogAction", () => {
  eachCase(
    [
      { active: true, watchdog: undefined, action: "schedule", why: "the pool is active and no watchdog is set" },
      { active: true, watchdog: { at: NOW + SECOND }, action: "keep", why: "the pool is active and a watchdog is pending" },
      { active: true, watchdog: { at: NOW }, action: "schedule", why: "the pool is active and the watchdog is due or has fired" },
      { active: false, watchdog: { at: NOW + SECOND }, action: "keep", why: "the pool is inactive and a watchdog is due within an interval (it ends itself)" },
      { active: false, watchdog: { at: NOW + DAY }, action: "cancel", why: "the pool is inactive and a watchdog is pending far off" },
      { active: false, watchdog: { at: NOW - SECOND }, action: "none", why: "the pool is inactive and the watchdog has fired" },
      { active: false, watchdog: undefined, action: "none", why: "the pool is inactive and none is set" },
    ] as const,
    (c) => `${c.action} when ${c.why}`,
    ({ active, watchdog, action }) => {
      expect(watchdogAction(active, watchdog, NOW)).toBe(action);
    },
  );

  test("an idle pool keeps at most one watchdog, due within a recovery interval", () => {
    expect(watchdogAction(false, { at: NOW + RECOVERY_INTERVAL_MS }, NOW)).toBe("keep");
    expect(watchdogAction(false, { at: NOW + RECOVERY_INTERVAL_MS + 1 }, NOW)).toBe("cancel");
  });

  test("an active pool moves up a watchdog set far off (by a kick for a job due later), but not one a little late", () => {
    const wantAt = NOW + RECOVERY_INTERVAL_MS;
    expect(watchdogAction(true, { at: NOW + DAY }, NOW, wantAt)).toBe("reschedule");
    expect(watchdogAction(true, { at: wantAt + RECOVERY_INTERVAL_MS }, NOW, wantAt)).toBe("keep");
    expect(watchdogAction(true, { at: wantAt + RECOVERY_INTERVAL_MS + 1 }, NOW, wantAt)).toBe("reschedule");
    expect(watchdogAction(true, { at: wantAt - SECOND }, NOW, wantAt)).toBe("keep");
    // Inactive: canceled when far off, whatever was wanted.
    expect(watchdogAction(false, { at: NOW + DAY }, NOW, wantAt)).toBe("cancel");
  });
});

describe("priority ranks", () => {
  test("high ranks before normal before low; no priority means normal", () => {
    expect(PRIORITY_RANK.high).toBeLessThan(PRIORITY_RANK.normal);
    expect(PRIORITY_RANK.normal).toBeLessThan(PRIORITY_RANK.low);
    expect(rankOf(undefined)).toBe(PRIORITY_RANK.normal);
    expect(rankOf("low")).toBe(PRIORITY_RANK.low);
  });
});

describe("pickRank", () => {
  const [HIGH, NORMAL, LOW] = [PRIORITY_RANK.high, PRIORITY_RANK.normal, PRIORITY_RANK.low];
  eachCase(
    [
      { due: [true, true, true], passes: [0, 0, 0], pick: HIGH, why: "all are due and none was passed" },
      { due: [false, true, true], passes: [0, 0, 0], pick: NORMAL, why: "normal and low are due" },
      { due: [false, false, true], passes: [0, 0, 0], pick: LOW, why: "only low is due" },
      { due: [true, false, true], passes: [0, 0, PRIORITY_MAX_PASSES - 1], pick: HIGH, why: "low was passed one time fewer than the bound" },
      { due: [true, false, true], passes: [0, 0, PRIORITY_MAX_PASSES], pick: LOW, why: "low was passed the bound's number of times" },
      { due: [true, true, false], passes: [0, PRIORITY_MAX_PASSES + 3], pick: NORMAL, why: "normal was passed more than the bound" },
      { due: [true, true, true], passes: [0, PRIORITY_MAX_PASSES, PRIORITY_MAX_PASSES], pick: NORMAL, why: "normal and low were passed equally: the tie goes to normal" },
      { due: [true, true, true], passes: [0, PRIORITY_MAX_PASSES, PRIORITY_MAX_PASSES + 1], pick: LOW, why: "low was passed more often than normal" },
      { due: [true, false, false], passes: [0, PRIORITY_MAX_PASSES, PRIORITY_MAX_PASSES], pick: HIGH, why: "the passed ranks are no longer due" },
      { due: [true, true, true], passes: [], pick: HIGH, why: "no pass counts are stored yet" },
    ],
    (c) => `picks ${["high", "normal", "low"][c.pick]} when ${c.why}`,
    ({ due, passes, pick }) => {
      expect(pickRank(due, passes)).toBe(pick);
    },
  );

  test("nothing due picks nothing", () => {
    expect(pickRank([false, false, false], [0, 0, 0])).toBeNull();
    expect(pickRank([false, false, false], [PRIORITY_MAX_PASSES, 20, 30])).toBeNull();
  });
});

describe("afterStart", () => {
  test("counts a pass for each other due rank, resets the started rank and ranks not due", () => {
    expect(afterStart([true, true, true], [0, 0, 0], 0)).toEqual([0, 1, 1]);
    expect(afterStart([true, true, false], [0, 4, 7], 0)).toEqual([0, 5, 0]);
    expect(afterStart([true, true, true], [2, 5, PRIORITY_MAX_PASSES], 2)).toEqual([3, 6, 0]);
    expect(afterStart([true, true, true], [], 1)).toEqual([1, 0, 1]);
  });

  test("with high always due and low due, low gets every tenth start", () => {
    const due = [true, false, true];
    let passes: number[] = [];
    const picks: number[] = [];
    for (let i = 0; i < 30; i++) {
      const rank = pickRank(due, passes)!;
      picks.push(rank);
      passes = afterStart(due, passes, rank);
    }
    const lowAt = picks.flatMap((r, i) => (r === PRIORITY_RANK.low ? [i + 1] : []));
    expect(lowAt).toEqual([10, 20, 30]);
  });

  test("with all three due, normal and low each get a start in every 11", () => {
    const due = [true, true, true];
    let passes: number[] = [];
    const picks: number[] = [];
    for (let i = 0; i < 40; i++) {
      const rank = pickRank(due, passes)!;
      picks.push(rank);
      passes = afterStart(due, passes, rank);
    }
    for (const rank of [PRIORITY_RANK.normal, PRIORITY_RANK.low]) {
      const at = picks.flatMap((r, i) => (r === rank ? [i] : []));
      const gaps = [at[0]!, ...at.slice(1).map((p, i) => p - at[i]! - 1)];
      expect(at.length).toBeGreaterThan(2);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(PRIORITY_MAX_PASSES + 1);
    }
  });
});

describe("pickRank and afterStart over many starts (property)", () => {
  const dueVector = fc.tuple(fc.boolean(), fc.boolean(), fc.boolean());
  test("the pick is due, a lone due rank is picked, and no rank that stays due is passed more than the bound allows", () => {
    fc.assert(
      fc.property(fc.array(dueVector, { minLength: 1, maxLength: 300 }), (steps) => {
        let passes: number[] = [];
        // Starts in a row that went elsewhere while each rank stayed due.
        const passedInARow = [0, 0, 0];
        for (const due of steps) {
          const rank = pickRank(due, passes);
          const dueRanks = due.flatMap((d, r) => (d ? [r] : []));
          if (dueRanks.length === 0) {
            // As in the loop: nothing starts, the pass counts stay as they are.
            expect(rank).toBeNull();
            passedInARow.fill(0);
            continue;
          }
          expect(rank).not.toBeNull();
          expect(due[rank!]).toBe(true);
          if (dueRanks.length === 1) expect(rank).toBe(dueRanks[0]);
          // Nobody starving: the highest due priority wins.
          if (passes.every((p) => p < PRIORITY_MAX_PASSES)) expect(rank).toBe(dueRanks[0]);
          passes = afterStart(due, passes, rank!);
          for (let r = 0; r < 3; r++) {
            passedInARow[r] = due[r] && r !== rank ? passedInARow[r]! + 1 : 0;
            // With three ranks, two starving at once delay each other by one.
            expect(passedInARow[r]).toBeLessThanOrEqual(PRIORITY_MAX_PASSES + 1);
            // Counts kept over a step with nothing due only ever favour the passed rank.
            expect(passes[r]).toBeGreaterThanOrEqual(passedInARow[r]!);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test("a rank that stays due through a long run of higher ones gets a start within the bound", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(PRIORITY_RANK.normal, PRIORITY_RANK.low),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 200 }),
        (starved, otherDue) => {
          let passes: number[] = [];
          let sinceLast = 0;
          for (const other of otherDue) {
            // The high rank is always due; `starved` always; the third at random.
            const due = [true, true, true].map((_, r) => r === 0 || r === starved || other);
            const rank = pickRank(due, passes)!;
            passes = afterStart(due, passes, rank);
            sinceLast = rank === starved ? 0 : sinceLast + 1;
            expect(sinceLast).toBeLessThanOrEqual(PRIORITY_MAX_PASSES + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
