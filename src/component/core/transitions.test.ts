// What follows an attempt (settle: retry or finish, and how), whether
// onComplete is called for an outcome (wantsCallback), and when a retained
// outcome expires (expiryOf). DESIGN §3 (retries), §6 (cancel while running),
// §2/§5 (statusTtl). The delay itself is pinned in backoff.test.ts.
import { describe, expect, test } from "vitest";
import { DAY, HOUR } from "../constants.js";
import { DEFAULT_RETRY_BEHAVIOR, type RetryBehavior } from "../validators.js";
import { nominalBackoffMs } from "./backoff.js";
import {
  expiryOf,
  settle,
  wantsCallback,
  type AttemptResult,
  type SettleInput,
} from "./transitions.js";

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

/** A fixed reference time, so that expected times read as offsets from it. */
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
/** A draw of 0.5 makes the jitter factor exactly 1: the nominal delay. */
const NO_JITTER = () => 0.5;

const success: AttemptResult = { kind: "success", returnValue: { answer: 42 } };
const failure: AttemptResult = { kind: "failed", error: "boom" };
const nonRetryable: AttemptResult = {
  kind: "failed",
  error: "bad input",
  nonRetryable: true,
};

function action(
  attempts: number,
  extra: Partial<SettleInput> = {},
): SettleInput {
  return {
    fnType: "action",
    attempts,
    retryBehavior: DEFAULT_RETRY_BEHAVIOR,
    ...extra,
  };
}

/** A small seeded PRNG (mulberry32): varied draws that replay the same. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source that fails the test if it is consulted. */
function unusedRandom(): number {
  throw new Error("random must not be drawn when nothing is retried");
}

describe("settle: success", () => {
  test("a successful first attempt finishes with its return value and 1 attempt", () => {
    expect(settle(action(0), success, NOW, unusedRandom)).toEqual({
      kind: "finish",
      result: { kind: "success", returnValue: { answer: 42 } },
      attempts: 1,
    });
  });

  test("a success after earlier failures finishes with every attempt counted", () => {
    expect(settle(action(3), success, NOW, unusedRandom)).toEqual({
      kind: "finish",
      result: success,
      attempts: 4,
    });
  });

  test.each(["mutation", "query"] as const)(
    "a successful %s finishes after one attempt",
    (fnType) => {
      expect(
        settle({ fnType, attempts: 0 }, success, NOW, unusedRandom),
      ).toEqual({
        kind: "finish",
        result: success,
        attempts: 1,
      });
    },
  );
});

describe("settle: failure of an action with a retry behavior", () => {
  test("a failed action with attempts left runs again after its backoff", () => {
    expect(settle(action(0), failure, NOW, NO_JITTER)).toEqual({
      kind: "retry",
      retryAt: NOW + 250,
      attempts: 1,
      error: "boom",
    });
  });

  eachCase(
    [
      { failedAttempt: 1, attemptsBefore: 0, delayMs: 250 },
      { failedAttempt: 2, attemptsBefore: 1, delayMs: 500 },
      { failedAttempt: 3, attemptsBefore: 2, delayMs: 1000 },
      { failedAttempt: 4, attemptsBefore: 3, delayMs: 2000 },
    ],
    (c) =>
      `under the default behavior, failed attempt ${c.failedAttempt} retries ${c.delayMs} ms after the failure`,
    ({ attemptsBefore, delayMs }) => {
      const s = settle(action(attemptsBefore), failure, NOW, NO_JITTER);
      expect(s).toEqual({
        kind: "retry",
        retryAt: NOW + delayMs,
        attempts: attemptsBefore + 1,
        error: "boom",
      });
    },
  );

  test("the retry time carries the jitter drawn from the random source", () => {
    const early = settle(action(1), failure, NOW, () => 0);
    const late = settle(action(1), failure, NOW, () => 0.9);
    expect(early).toMatchObject({ kind: "retry", retryAt: NOW + 250 });
    expect(late).toMatchObject({ kind: "retry", retryAt: NOW + 700 });
  });

  test("a retry is measured from the time of the failure", () => {
    const later = NOW + 5 * HOUR;
    expect(settle(action(0), failure, later, NO_JITTER)).toMatchObject({
      retryAt: later + 250,
    });
  });

  test("a failed action on its last attempt finishes failed with that attempt's error", () => {
    expect(
      settle(action(4), { kind: "failed", error: "fifth" }, NOW, unusedRandom),
    ).toEqual({
      kind: "finish",
      result: { kind: "failed", error: "fifth" },
      attempts: 5,
    });
  });

  test("a final failure hands on that attempt's errorData, null included; none is made up", () => {
    const data = { code: "RATE_LIMITED", retryAfterMs: 500 };
    for (const errorData of [data, null, "text"]) {
      expect(
        settle(action(4), { kind: "failed", error: "x", errorData }, NOW, unusedRandom),
      ).toEqual({ kind: "finish", result: { kind: "failed", error: "x", errorData }, attempts: 5 });
    }
    const plain = settle(action(4), failure, NOW, unusedRandom);
    expect(plain.kind === "finish" && "errorData" in plain.result).toBe(false);
    // A mutation, and a NonRetryableError, finish at once with theirs.
    expect(
      settle({ fnType: "mutation", attempts: 0 }, { kind: "failed", error: "x", errorData: data }, NOW, unusedRandom),
    ).toMatchObject({ kind: "finish", result: { errorData: data } });
    expect(
      settle(action(0), { ...nonRetryable, errorData: data }, NOW, unusedRandom),
    ).toMatchObject({ kind: "finish", result: { errorData: data } });
  });

  test("maxAttempts 1 means a failed action never retries", () => {
    const once: RetryBehavior = {
      maxAttempts: 1,
      initialBackoffMs: 250,
      base: 2,
    };
    expect(
      settle(action(0, { retryBehavior: once }), failure, NOW, unusedRandom),
    ).toEqual({
      kind: "finish",
      result: { kind: "failed", error: "boom" },
      attempts: 1,
    });
  });

  test("an action that always fails runs exactly maxAttempts times, each retry strictly later", () => {
    const behavior: RetryBehavior = {
      maxAttempts: 7,
      initialBackoffMs: 10,
      base: 3,
    };
    let attempts = 0;
    let now = NOW;
    let runs = 0;
    const random = seeded(99);
    for (;;) {
      runs++;
      const s = settle(
        action(attempts, { retryBehavior: behavior }),
        failure,
        now,
        random,
      );
      if (s.kind === "finish") {
        expect(s).toEqual({
          kind: "finish",
          result: { kind: "failed", error: "boom" },
          attempts: 7,
        });
        break;
      }
      expect(s.attempts).toBe(attempts + 1);
      expect(s.retryAt - now).toBeGreaterThanOrEqual(
        0.5 * nominalBackoffMs(behavior, s.attempts),
      );
      expect(s.retryAt - now).toBeLessThan(
        1.5 * nominalBackoffMs(behavior, s.attempts),
      );
      attempts = s.attempts;
      now = s.retryAt;
    }
    expect(runs).toBe(7);
  });

  test("a NonRetryableError fails the job at once although attempts are left", () => {
    expect(settle(action(0), nonRetryable, NOW, unusedRandom)).toEqual({
      kind: "finish",
      result: { kind: "failed", error: "bad input" },
      attempts: 1,
    });
  });

  test("a failure marked nonRetryable: false retries like any other", () => {
    expect(
      settle(
        action(0),
        { kind: "failed", error: "boom", nonRetryable: false },
        NOW,
        NO_JITTER,
      ),
    ).toMatchObject({
      kind: "retry",
      retryAt: NOW + 250,
    });
  });
});

describe("settle: jobs that never retry", () => {
  test.each(["mutation", "query"] as const)(
    "a failed %s finishes failed after one attempt even with a retry behavior",
    (fnType) => {
      const job: SettleInput = {
        fnType,
        attempts: 0,
        retryBehavior: DEFAULT_RETRY_BEHAVIOR,
      };
      expect(settle(job, failure, NOW, unusedRandom)).toEqual({
        kind: "finish",
        result: { kind: "failed", error: "boom" },
        attempts: 1,
      });
    },
  );

  test("a failed action without a retry behavior finishes failed at once", () => {
    expect(
      settle({ fnType: "action", attempts: 0 }, failure, NOW, unusedRandom),
    ).toEqual({
      kind: "finish",
      result: { kind: "failed", error: "boom" },
      attempts: 1,
    });
  });
});

describe("settle: cancel requested while the attempt ran", () => {
  test("a failure that would have retried ends the job canceled, with the attempt counted", () => {
    expect(
      settle(action(1, { cancelRequested: true }), failure, NOW, unusedRandom),
    ).toEqual({
      kind: "finish",
      result: { kind: "canceled" },
      attempts: 2,
    });
  });

  test("a success keeps its own outcome", () => {
    expect(
      settle(action(0, { cancelRequested: true }), success, NOW, unusedRandom),
    ).toEqual({
      kind: "finish",
      result: success,
      attempts: 1,
    });
  });

  test("a failure with no attempts left keeps its own outcome: failed", () => {
    expect(
      settle(action(4, { cancelRequested: true }), failure, NOW, unusedRandom),
    ).toEqual({
      kind: "finish",
      result: { kind: "failed", error: "boom" },
      attempts: 5,
    });
  });

  test("a NonRetryableError keeps its own outcome: failed", () => {
    expect(
      settle(
        action(0, { cancelRequested: true }),
        nonRetryable,
        NOW,
        unusedRandom,
      ),
    ).toEqual({
      kind: "finish",
      result: { kind: "failed", error: "bad input" },
      attempts: 1,
    });
  });

  test("a failed action without a retry behavior keeps its own outcome: failed", () => {
    const job: SettleInput = {
      fnType: "action",
      attempts: 0,
      cancelRequested: true,
    };
    expect(settle(job, failure, NOW, unusedRandom)).toMatchObject({
      result: { kind: "failed", error: "boom" },
    });
  });

  test.each(["mutation", "query"] as const)(
    "a failed %s keeps its own outcome: failed",
    (fnType) => {
      const job: SettleInput = {
        fnType,
        attempts: 0,
        retryBehavior: DEFAULT_RETRY_BEHAVIOR,
        cancelRequested: true,
      };
      expect(settle(job, failure, NOW, unusedRandom)).toMatchObject({
        result: { kind: "failed", error: "boom" },
      });
    },
  );

  test("cancelRequested false does not stop a retry", () => {
    expect(
      settle(action(0, { cancelRequested: false }), failure, NOW, NO_JITTER),
    ).toMatchObject({
      kind: "retry",
      retryAt: NOW + 250,
    });
  });
});

describe("wantsCallback", () => {
  const kinds = ["success", "failed", "canceled"] as const;

  test.each(kinds)(
    "a job without onComplete calls nothing when it ends %s",
    (kind) => {
      expect(wantsCallback(undefined, kind)).toBe(false);
    },
  );

  test.each(kinds)(
    "onComplete without excludeKinds is called when the job ends %s",
    (kind) => {
      expect(wantsCallback({}, kind)).toBe(true);
      expect(wantsCallback({ excludeKinds: [] }, kind)).toBe(true);
    },
  );

  test("an excluded kind skips onComplete and the other kinds still call it", () => {
    const onComplete = { excludeKinds: ["success"] as const };
    expect(wantsCallback(onComplete, "success")).toBe(false);
    expect(wantsCallback(onComplete, "failed")).toBe(true);
    expect(wantsCallback(onComplete, "canceled")).toBe(true);
  });

  test("excluding several kinds skips each of them", () => {
    const onComplete = { excludeKinds: ["failed", "canceled"] as const };
    expect(wantsCallback(onComplete, "success")).toBe(true);
    expect(wantsCallback(onComplete, "failed")).toBe(false);
    expect(wantsCallback(onComplete, "canceled")).toBe(false);
  });

  test.each(kinds)(
    "excluding every kind skips onComplete when the job ends %s",
    (kind) => {
      expect(wantsCallback({ excludeKinds: [...kinds] }, kind)).toBe(false);
    },
  );
});

describe("expiryOf", () => {
  test("a statusTtl of Infinity keeps the outcome forever", () => {
    expect(expiryOf(NOW, Infinity)).toBeUndefined();
  });

  test("a statusTtl of 0 expires the outcome the moment the job finishes", () => {
    expect(expiryOf(NOW, 0)).toBe(NOW);
  });

  eachCase(
    [
      { ttl: 1, expected: NOW + 1 },
      { ttl: HOUR, expected: NOW + HOUR },
      { ttl: DAY, expected: NOW + DAY },
    ],
    (c) =>
      `a finite statusTtl of ${c.ttl} ms expires the outcome that long after it finished`,
    ({ ttl, expected }) => {
      expect(expiryOf(NOW, ttl)).toBe(expected);
    },
  );
});
