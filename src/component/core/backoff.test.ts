// The retry schedule (DESIGN §3): the nominal delay after each failed attempt,
// pinned in tables, and the jitter's bounds, checked over many draws from an
// injected random source. Only the delay is tested here; what follows a
// failure (retry or finish) is transitions.test.ts's.
import { describe, expect, test } from "vitest";
import { DEFAULT_RETRY_BEHAVIOR, type RetryBehavior } from "../validators.js";
import { backoffMs, nominalBackoffMs, reportRetryMs } from "./backoff.js";

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

/** A small seeded PRNG (mulberry32), so that a failing draw can be replayed. */
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

/**
 * Math.random's largest value: V8 draws multiples of 2^-52, so 1 - 2^-52.
 * (The very largest double below 1, 1 - 2^-53, makes 0.5 + r round to
 * exactly 1.5 in floating point; no JS engine's Math.random returns it.)
 */
const ALMOST_ONE = 1 - Number.EPSILON;

const TRIPLING: RetryBehavior = {
  maxAttempts: 6,
  initialBackoffMs: 1000,
  base: 3,
};

describe("the nominal schedule", () => {
  eachCase(
    [
      { failedAttempts: 1, delayMs: 250 },
      { failedAttempts: 2, delayMs: 500 },
      { failedAttempts: 3, delayMs: 1000 },
      { failedAttempts: 4, delayMs: 2000 },
    ],
    (c) =>
      `with the default behavior, a retry after failed attempt ${c.failedAttempts} waits ${c.delayMs} ms before jitter`,
    ({ failedAttempts, delayMs }) => {
      expect(nominalBackoffMs(DEFAULT_RETRY_BEHAVIOR, failedAttempts)).toBe(
        delayMs,
      );
    },
  );

  eachCase(
    [
      { failedAttempts: 1, delayMs: 1000 },
      { failedAttempts: 2, delayMs: 3000 },
      { failedAttempts: 3, delayMs: 9000 },
      { failedAttempts: 4, delayMs: 27000 },
      { failedAttempts: 5, delayMs: 81000 },
    ],
    (c) =>
      `with initialBackoffMs 1000 and base 3, a retry after failed attempt ${c.failedAttempts} waits ${c.delayMs} ms before jitter`,
    ({ failedAttempts, delayMs }) => {
      expect(nominalBackoffMs(TRIPLING, failedAttempts)).toBe(delayMs);
    },
  );

  test("the default behavior is the published one: 5 runs, first retry after 250 ms, doubling", () => {
    expect(DEFAULT_RETRY_BEHAVIOR).toEqual({
      maxAttempts: 5,
      initialBackoffMs: 250,
      base: 2,
    });
  });

  test("base 1 waits the same delay before every retry", () => {
    const constant: RetryBehavior = {
      maxAttempts: 10,
      initialBackoffMs: 700,
      base: 1,
    };
    for (let n = 1; n <= 9; n++) {
      expect(nominalBackoffMs(constant, n)).toBe(700);
      expect(backoffMs(constant, n, () => 0.5)).toBe(700);
    }
  });

  test("initialBackoffMs 0 retries at once, whatever the base and the jitter", () => {
    const immediate: RetryBehavior = {
      maxAttempts: 5,
      initialBackoffMs: 0,
      base: 2,
    };
    const random = seeded(7);
    for (let n = 1; n <= 4; n++) {
      expect(nominalBackoffMs(immediate, n)).toBe(0);
      expect(backoffMs(immediate, n, random)).toBe(0);
    }
  });
});

describe("jitter", () => {
  test("a draw of 0 halves the delay", () => {
    expect(backoffMs(DEFAULT_RETRY_BEHAVIOR, 1, () => 0)).toBe(125);
    expect(backoffMs(TRIPLING, 3, () => 0)).toBe(4500);
  });

  test("a draw of 0.5 gives the nominal delay", () => {
    expect(backoffMs(DEFAULT_RETRY_BEHAVIOR, 4, () => 0.5)).toBe(2000);
    expect(backoffMs(TRIPLING, 2, () => 0.5)).toBe(3000);
  });

  test("a draw just under 1 gives just under one and a half times the delay", () => {
    for (const [behavior, n, nominal] of [
      [DEFAULT_RETRY_BEHAVIOR, 1, 250],
      [DEFAULT_RETRY_BEHAVIOR, 4, 2000],
      [TRIPLING, 3, 9000],
    ] as const) {
      const delay = backoffMs(behavior, n, () => ALMOST_ONE);
      expect(delay).toBeLessThan(1.5 * nominal);
      expect(delay).toBeCloseTo(1.5 * nominal, 6);
    }
  });

  eachCase(
    [
      { name: "the default behavior", behavior: DEFAULT_RETRY_BEHAVIOR },
      { name: "initialBackoffMs 1000, base 3", behavior: TRIPLING },
    ],
    (c) =>
      `over many draws with ${c.name}, every delay lies in [0.5, 1.5) × nominal and the draws spread over that range`,
    ({ behavior }) => {
      const random = seeded(20240611);
      for (let n = 1; n <= 4; n++) {
        const nominal = nominalBackoffMs(behavior, n);
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < 2000; i++) {
          const delay = backoffMs(behavior, n, random);
          expect(delay).toBeGreaterThanOrEqual(0.5 * nominal);
          expect(delay).toBeLessThan(1.5 * nominal);
          min = Math.min(min, delay);
          max = Math.max(max, delay);
        }
        // Jitter must actually spread retries: the draws reach near both ends.
        expect(min).toBeLessThan(0.55 * nominal);
        expect(max).toBeGreaterThan(1.45 * nominal);
      }
    },
  );

  test("the delay grows linearly with the draw, so jobs that failed together retry apart", () => {
    const draws = [0, 0.1, 0.25, 0.5, 0.75, 0.9];
    const delays = draws.map((r) =>
      backoffMs(DEFAULT_RETRY_BEHAVIOR, 2, () => r),
    );
    expect(delays).toEqual([250, 300, 375, 500, 625, 700]);
  });

  test("the random source is called once per delay", () => {
    let calls = 0;
    backoffMs(DEFAULT_RETRY_BEHAVIOR, 3, () => {
      calls++;
      return 0.3;
    });
    expect(calls).toBe(1);
  });
});

describe("a worker's waits before it reports again", () => {
  eachCase(
    [
      { retry: 1, waitMs: 250 },
      { retry: 2, waitMs: 500 },
      { retry: 3, waitMs: 1000 },
      { retry: 4, waitMs: 2000 },
      { retry: 6, waitMs: 8000 },
      { retry: 7, waitMs: 10_000 },
      { retry: 20, waitMs: 10_000 },
    ],
    (c) => `retry ${c.retry} waits ${c.waitMs} ms before jitter (doubling from 250 ms, at most 10 s)`,
    ({ retry, waitMs }) => {
      expect(reportRetryMs(retry, () => 0.5)).toBe(waitMs);
    },
  );

  test("the jitter is the job retries' one: [0.5, 1.5) × the wait", () => {
    expect(reportRetryMs(3, () => 0)).toBe(500);
    const random = seeded(99);
    for (let i = 0; i < 1000; i++) {
      const wait = reportRetryMs(2, random);
      expect(wait).toBeGreaterThanOrEqual(250);
      expect(wait).toBeLessThan(750);
    }
  });
});
