// Which retry behavior a job gets from its `retry` option and the pool's
// options (DESIGN §3, "Resolution"). What the behavior then does is
// backoff.test.ts's and transitions.test.ts's.
import { describe, expect, test } from "vitest";
import { DEFAULT_RETRY_BEHAVIOR, type RetryBehavior } from "../validators.js";
import { resolveRetryBehavior } from "./retry.js";

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

const POOL_DEFAULT: RetryBehavior = {
  maxAttempts: 3,
  initialBackoffMs: 100,
  base: 4,
};
const PER_JOB: RetryBehavior = {
  maxAttempts: 8,
  initialBackoffMs: 10,
  base: 1.5,
};

type Case = {
  what: string;
  retry?: boolean | RetryBehavior;
  retryActionsByDefault?: boolean;
  defaultRetryBehavior?: RetryBehavior;
  expected: RetryBehavior | undefined;
};

const cases: Case[] = [
  // retry: true
  {
    what: "retry true uses the pool's defaultRetryBehavior",
    retry: true,
    defaultRetryBehavior: POOL_DEFAULT,
    expected: POOL_DEFAULT,
  },
  {
    what: "retry true without a pool default uses DEFAULT_RETRY_BEHAVIOR",
    retry: true,
    expected: DEFAULT_RETRY_BEHAVIOR,
  },
  {
    what: "retry true retries even when retryActionsByDefault is false",
    retry: true,
    retryActionsByDefault: false,
    expected: DEFAULT_RETRY_BEHAVIOR,
  },
  // retry: false
  { what: "retry false never retries", retry: false, expected: undefined },
  {
    what: "retry false wins over retryActionsByDefault",
    retry: false,
    retryActionsByDefault: true,
    expected: undefined,
  },
  {
    what: "retry false wins over retryActionsByDefault with a pool default",
    retry: false,
    retryActionsByDefault: true,
    defaultRetryBehavior: POOL_DEFAULT,
    expected: undefined,
  },
  // retry: an object
  {
    what: "a retry object is used as given",
    retry: PER_JOB,
    expected: PER_JOB,
  },
  {
    what: "a retry object wins over the pool default",
    retry: PER_JOB,
    retryActionsByDefault: true,
    defaultRetryBehavior: POOL_DEFAULT,
    expected: PER_JOB,
  },
  {
    what: "a retry object retries even when retryActionsByDefault is false",
    retry: PER_JOB,
    retryActionsByDefault: false,
    expected: PER_JOB,
  },
  // retry absent
  {
    what: "no retry option and no pool options means no retries",
    expected: undefined,
  },
  {
    what: "no retry option follows retryActionsByDefault true with the pool default",
    retryActionsByDefault: true,
    defaultRetryBehavior: POOL_DEFAULT,
    expected: POOL_DEFAULT,
  },
  {
    what: "no retry option follows retryActionsByDefault true with DEFAULT_RETRY_BEHAVIOR",
    retryActionsByDefault: true,
    expected: DEFAULT_RETRY_BEHAVIOR,
  },
  {
    what: "no retry option follows retryActionsByDefault false",
    retryActionsByDefault: false,
    expected: undefined,
  },
  {
    what: "defaultRetryBehavior alone does not turn retries on",
    defaultRetryBehavior: POOL_DEFAULT,
    expected: undefined,
  },
  {
    what: "defaultRetryBehavior with retryActionsByDefault false does not turn retries on",
    retryActionsByDefault: false,
    defaultRetryBehavior: POOL_DEFAULT,
    expected: undefined,
  },
];

describe("resolveRetryBehavior", () => {
  eachCase(
    cases,
    (c) => `${c.what}`,
    ({ retry, retryActionsByDefault, defaultRetryBehavior, expected }) => {
      const options: Parameters<typeof resolveRetryBehavior>[0] = {};
      if (retry !== undefined) options.retry = retry;
      if (retryActionsByDefault !== undefined)
        options.retryActionsByDefault = retryActionsByDefault;
      if (defaultRetryBehavior !== undefined)
        options.defaultRetryBehavior = defaultRetryBehavior;
      expect(resolveRetryBehavior(options)).toEqual(expected);
    },
  );

  test("an option explicitly set to undefined counts as absent", () => {
    expect(
      resolveRetryBehavior({
        retry: undefined,
        retryActionsByDefault: true,
        defaultRetryBehavior: POOL_DEFAULT,
      }),
    ).toEqual(POOL_DEFAULT);
    expect(
      resolveRetryBehavior({
        retry: undefined,
        retryActionsByDefault: undefined,
      }),
    ).toBeUndefined();
  });

  test("resolving does not alter the behaviors it was given", () => {
    const poolDefault = { ...POOL_DEFAULT };
    const perJob = { ...PER_JOB };
    resolveRetryBehavior({ retry: true, defaultRetryBehavior: poolDefault });
    resolveRetryBehavior({
      retry: perJob,
      retryActionsByDefault: true,
      defaultRetryBehavior: poolDefault,
    });
    expect(poolDefault).toEqual(POOL_DEFAULT);
    expect(perJob).toEqual(PER_JOB);
    expect(DEFAULT_RETRY_BEHAVIOR).toEqual({
      maxAttempts: 5,
      initialBackoffMs: 250,
      base: 2,
    });
  });
});
