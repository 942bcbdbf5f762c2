// What `status` reports for a job's row (DESIGN §5): pending and running with
// the attempts already run; finished with how it ended while the outcome is
// retained (statusTtl), bare `finished` after that or for an unknown id.
import { describe, expect, test } from "vitest";
import { DAY, SECOND } from "../constants.js";
import { statusOf, type StatusSource } from "./status.js";

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

const FINISHED_AT = Date.UTC(2025, 0, 1, 12, 0, 0);
const EXPIRES_AT = FINISHED_AT + DAY;

function finished(extra: Partial<StatusSource> = {}): StatusSource {
  return {
    state: "finished",
    attempts: 1,
    outcome: "success",
    finishedAt: FINISHED_AT,
    expiresAt: EXPIRES_AT,
    ...extra,
  };
}

describe("an id the pool does not hold", () => {
  test("a missing row (never enqueued, or swept after its retention) reads as plain finished", () => {
    expect(statusOf(null, FINISHED_AT)).toEqual({ state: "finished" });
  });
});

describe("jobs not yet finished", () => {
  eachCase(
    [
      { state: "pending", attempts: 0, what: "waiting for its first run" },
      {
        state: "pending",
        attempts: 2,
        what: "backing off after two failed attempts",
      },
      { state: "running", attempts: 0, what: "running its first attempt" },
      {
        state: "running",
        attempts: 3,
        what: "running after three failed attempts",
      },
    ] as const,
    (c) => `a job ${c.what} is ${c.state} with previousAttempts ${c.attempts}`,
    ({ state, attempts }) => {
      expect(statusOf({ state, attempts }, FINISHED_AT)).toEqual({
        state,
        previousAttempts: attempts,
      });
    },
  );

  test("a pending job's status carries nothing beyond state and previousAttempts", () => {
    const status = statusOf(
      { state: "pending", attempts: 1, expiresAt: FINISHED_AT - 1 },
      FINISHED_AT,
    );
    expect(status).toStrictEqual({ state: "pending", previousAttempts: 1 });
  });
});

describe("finished jobs within their retention", () => {
  test("a success reports its outcome, attempts and finish time, and no error", () => {
    const status = statusOf(finished({ attempts: 2 }), FINISHED_AT + SECOND);
    expect(status).toStrictEqual({
      state: "finished",
      outcome: "success",
      attempts: 2,
      finishedAt: FINISHED_AT,
    });
  });

  test("a failure also reports the last error", () => {
    const status = statusOf(
      finished({ outcome: "failed", attempts: 5, error: "boom" }),
      FINISHED_AT + SECOND,
    );
    expect(status).toStrictEqual({
      state: "finished",
      outcome: "failed",
      attempts: 5,
      finishedAt: FINISHED_AT,
      error: "boom",
    });
  });

  test("a failure with kept errorData reports it beside the error, null included", () => {
    for (const errorData of [{ code: "E", n: 1 }, null]) {
      const status = statusOf(
        finished({ outcome: "failed", error: "boom", errorData }),
        FINISHED_AT + SECOND,
      );
      expect(status).toStrictEqual({
        state: "finished",
        outcome: "failed",
        attempts: 1,
        finishedAt: FINISHED_AT,
        error: "boom",
        errorData,
      });
    }
  });

  test("a cancellation reports canceled with the attempts that ran, and no error", () => {
    const status = statusOf(
      finished({ outcome: "canceled", attempts: 0 }),
      FINISHED_AT,
    );
    expect(status).toStrictEqual({
      state: "finished",
      outcome: "canceled",
      attempts: 0,
      finishedAt: FINISHED_AT,
    });
  });

  test("the outcome is still reported just before it expires", () => {
    expect(statusOf(finished(), EXPIRES_AT - 1)).toMatchObject({
      outcome: "success",
      attempts: 1,
    });
  });

  test("an outcome kept forever (no expiry) is reported in full long after", () => {
    const status = statusOf(
      finished({ outcome: "failed", error: "boom", expiresAt: undefined }),
      FINISHED_AT + 10_000 * DAY,
    );
    expect(status).toStrictEqual({
      state: "finished",
      outcome: "failed",
      attempts: 1,
      finishedAt: FINISHED_AT,
      error: "boom",
    });
  });
});

describe("finished jobs past their retention", () => {
  test("an outcome past its expiry reads as plain finished, even before the sweep deletes the row", () => {
    expect(
      statusOf(
        finished({ outcome: "failed", error: "boom", errorData: { code: "E" } }),
        EXPIRES_AT + SECOND,
      ),
    ).toStrictEqual({
      state: "finished",
    });
  });

  test("an outcome reads as plain finished from the moment it expires", () => {
    expect(statusOf(finished(), EXPIRES_AT)).toStrictEqual({
      state: "finished",
    });
  });

  test("a statusTtl of 0 forgets the outcome at once", () => {
    expect(
      statusOf(finished({ expiresAt: FINISHED_AT }), FINISHED_AT),
    ).toStrictEqual({ state: "finished" });
  });
});
