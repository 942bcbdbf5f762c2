// The option and argument rules (DESIGN §2, §9), shared by the client and the
// component: each check passes a valid value (null) and, for a bad one,
// returns the exact message a user reads, which names the field, the rule and
// the value received. How the client and component throw them is tested with
// those layers.
import { describe, expect, test } from "vitest";
import { DAY } from "../constants.js";
import { DEFAULT_RETRY_BEHAVIOR } from "../validators.js";
import {
  LOG_LEVELS,
  RESULT_KINDS,
  checkBoolean,
  checkDelay,
  checkExcludeKinds,
  checkKnownKeys,
  checkLogLevel,
  checkMaxParallelism,
  checkPositiveInteger,
  checkRetryBehavior,
  checkStatusTtl,
  checkString,
  checkTime,
  describeValue,
  firstProblem,
} from "./validation.js";

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

describe("checkMaxParallelism", () => {
  test.each([0, 1, 10, 100, 101, 200])("%s is a valid cap", (value) => {
    expect(checkMaxParallelism("maxParallelism", value)).toBeNull();
  });

  const rule = "maxParallelism must be an integer between 0 and 200";
  eachCase(
    [
      { why: "above the limit", value: 250, got: "250" },
      { why: "one above the limit", value: 201, got: "201" },
      { why: "negative", value: -1, got: "-1" },
      { why: "not an integer", value: 2.5, got: "2.5" },
      { why: "NaN", value: NaN, got: "NaN" },
      { why: "Infinity", value: Infinity, got: "Infinity" },
      { why: "a numeric string", value: "10", got: '"10"' },
      { why: "null", value: null, got: "null" },
      { why: "undefined", value: undefined, got: "undefined" },
    ],
    (c) => `a cap that is ${c.why} is rejected with the rule and the value`,
    ({ value, got }) => {
      expect(checkMaxParallelism("maxParallelism", value)).toBe(
        `${rule}, got ${got}`,
      );
    },
  );

  test("the message is the one the design promises for 250", () => {
    expect(checkMaxParallelism("maxParallelism", 250)).toBe(
      "maxParallelism must be an integer between 0 and 200, got 250",
    );
  });

  test("the message names the field it is given", () => {
    expect(checkMaxParallelism("config.maxParallelism", -5)).toBe(
      "config.maxParallelism must be an integer between 0 and 200, got -5",
    );
  });
});

describe("checkLogLevel", () => {
  test.each([...LOG_LEVELS])("%s is a valid log level", (level) => {
    expect(checkLogLevel("logLevel", level)).toBeNull();
  });

  test("the levels run from most to least verbose", () => {
    expect(LOG_LEVELS).toEqual([
      "DEBUG",
      "TRACE",
      "INFO",
      "REPORT",
      "WARN",
      "ERROR",
    ]);
  });

  eachCase(
    [
      { why: "in lower case", value: "info", got: '"info"' },
      { why: "unknown", value: "VERBOSE", got: '"VERBOSE"' },
      { why: "a number", value: 3, got: "3" },
      { why: "undefined", value: undefined, got: "undefined" },
    ],
    (c) =>
      `a level that is ${c.why} is rejected with the allowed levels and the value`,
    ({ value, got }) => {
      expect(checkLogLevel("logLevel", value)).toBe(
        `logLevel must be one of DEBUG, TRACE, INFO, REPORT, WARN, ERROR, got ${got}`,
      );
    },
  );
});

describe("checkRetryBehavior", () => {
  eachCase(
    [
      { what: "the default behavior", value: DEFAULT_RETRY_BEHAVIOR },
      {
        what: "one run, no delay, constant base",
        value: { maxAttempts: 1, initialBackoffMs: 0, base: 1 },
      },
      {
        what: "fractional delay and base",
        value: { maxAttempts: 3, initialBackoffMs: 0.5, base: 1.5 },
      },
      {
        what: "a large number of attempts",
        value: { maxAttempts: 1000, initialBackoffMs: DAY, base: 10 },
      },
    ],
    (c) => `${c.what} is a valid retry behavior`,
    ({ value }) => {
      expect(checkRetryBehavior("retry", value)).toBeNull();
    },
  );

  const shape =
    "retry must be an object { maxAttempts, initialBackoffMs, base }";
  eachCase(
    [
      { why: "null", value: null, got: "null" },
      { why: "undefined", value: undefined, got: "undefined" },
      { why: "a number", value: 5, got: "5" },
      { why: "a string", value: "always", got: '"always"' },
      { why: "an array", value: [5, 250, 2], got: "[5,250,2]" },
    ],
    (c) => `a behavior that is ${c.why} is rejected as not an object`,
    ({ value, got }) => {
      expect(checkRetryBehavior("retry", value)).toBe(`${shape}, got ${got}`);
    },
  );

  test("an unknown key is named, with the keys expected", () => {
    expect(
      checkRetryBehavior("retry", { ...DEFAULT_RETRY_BEHAVIOR, maxRetries: 3 }),
    ).toBe(
      "retry.maxRetries is not an option (expected maxAttempts, initialBackoffMs, base)",
    );
  });

  const ok = DEFAULT_RETRY_BEHAVIOR;
  eachCase(
    [
      { why: "0", value: 0, got: "0" },
      { why: "negative", value: -1, got: "-1" },
      { why: "not an integer", value: 2.5, got: "2.5" },
      { why: "NaN", value: NaN, got: "NaN" },
      { why: "Infinity", value: Infinity, got: "Infinity" },
      { why: "a string", value: "5", got: '"5"' },
      { why: "missing", value: undefined, got: "undefined" },
    ],
    (c) => `maxAttempts that is ${c.why} is rejected`,
    ({ value, got }) => {
      expect(checkRetryBehavior("retry", { ...ok, maxAttempts: value })).toBe(
        `retry.maxAttempts must be an integer >= 1, got ${got}`,
      );
    },
  );

  eachCase(
    [
      { why: "negative", value: -1, got: "-1" },
      { why: "NaN", value: NaN, got: "NaN" },
      { why: "Infinity", value: Infinity, got: "Infinity" },
      { why: "a string", value: "250", got: '"250"' },
      { why: "missing", value: undefined, got: "undefined" },
    ],
    (c) => `initialBackoffMs that is ${c.why} is rejected`,
    ({ value, got }) => {
      expect(
        checkRetryBehavior("retry", { ...ok, initialBackoffMs: value }),
      ).toBe(`retry.initialBackoffMs must be a finite number >= 0, got ${got}`);
    },
  );

  eachCase(
    [
      { why: "below 1", value: 0.5, got: "0.5" },
      { why: "0", value: 0, got: "0" },
      { why: "negative", value: -2, got: "-2" },
      { why: "NaN", value: NaN, got: "NaN" },
      { why: "Infinity", value: Infinity, got: "Infinity" },
      { why: "a string", value: "2", got: '"2"' },
      { why: "missing", value: undefined, got: "undefined" },
    ],
    (c) => `base that is ${c.why} is rejected`,
    ({ value, got }) => {
      expect(checkRetryBehavior("retry", { ...ok, base: value })).toBe(
        `retry.base must be a finite number >= 1, got ${got}`,
      );
    },
  );

  test("with several bad fields, the first in maxAttempts, initialBackoffMs, base order is reported", () => {
    expect(
      checkRetryBehavior("retry", {
        maxAttempts: 0,
        initialBackoffMs: -1,
        base: 0,
      }),
    ).toBe("retry.maxAttempts must be an integer >= 1, got 0");
    expect(
      checkRetryBehavior("retry", {
        maxAttempts: 2,
        initialBackoffMs: -1,
        base: 0,
      }),
    ).toBe("retry.initialBackoffMs must be a finite number >= 0, got -1");
  });

  test("the message names the field it is given", () => {
    expect(
      checkRetryBehavior("defaultRetryBehavior", { ...ok, base: 0.9 }),
    ).toBe("defaultRetryBehavior.base must be a finite number >= 1, got 0.9");
  });
});

describe("checkStatusTtl", () => {
  test.each([0, 1, 1.5, DAY, Infinity])(
    "%s ms is a valid retention",
    (value) => {
      expect(checkStatusTtl("statusTtl", value)).toBeNull();
    },
  );

  eachCase(
    [
      { why: "negative", value: -1, got: "-1" },
      { why: "-Infinity", value: -Infinity, got: "-Infinity" },
      { why: "NaN", value: NaN, got: "NaN" },
      { why: "a string", value: "1h", got: '"1h"' },
      { why: "null", value: null, got: "null" },
    ],
    (c) => `a retention that is ${c.why} is rejected`,
    ({ value, got }) => {
      expect(checkStatusTtl("statusTtl", value)).toBe(
        `statusTtl must be a number of ms >= 0 or Infinity, got ${got}`,
      );
    },
  );
});

describe("checkTime", () => {
  eachCase(
    [
      { what: "now", value: NOW },
      { what: "the epoch", value: 0 },
      { what: "a time in the past (means now)", value: -1000 },
      { what: "a fractional time", value: NOW + 0.5 },
    ],
    (c) => `${c.what} is a valid runAt`,
    ({ value }) => {
      expect(checkTime("runAt", value)).toBeNull();
    },
  );

  eachCase(
    [
      { why: "NaN", value: NaN, got: "NaN" },
      { why: "Infinity", value: Infinity, got: "Infinity" },
      { why: "-Infinity", value: -Infinity, got: "-Infinity" },
      { why: "a date string", value: "2025-01-01", got: '"2025-01-01"' },
      { why: "undefined", value: undefined, got: "undefined" },
    ],
    (c) => `a runAt that is ${c.why} is rejected`,
    ({ value, got }) => {
      expect(checkTime("runAt", value)).toBe(
        `runAt must be a finite epoch time in ms, got ${got}`,
      );
    },
  );

  test("the seeds' name runAtTime is named when it is the field checked", () => {
    expect(checkTime("runAtTime", Infinity)).toBe(
      "runAtTime must be a finite epoch time in ms, got Infinity",
    );
  });
});

describe("checkDelay", () => {
  test.each([0, 1, 0.5, DAY])("a delay of %s ms is valid", (value) => {
    expect(checkDelay("runAfter", value)).toBeNull();
  });

  eachCase(
    [
      { why: "negative", value: -1, got: "-1" },
      { why: "NaN", value: NaN, got: "NaN" },
      { why: "Infinity", value: Infinity, got: "Infinity" },
      { why: "a string", value: "1s", got: '"1s"' },
      { why: "null", value: null, got: "null" },
    ],
    (c) => `a delay that is ${c.why} is rejected`,
    ({ value, got }) => {
      expect(checkDelay("runAfter", value)).toBe(
        `runAfter must be a finite number of ms >= 0, got ${got}`,
      );
    },
  );

  test("the seeds' name delayMs is named when it is the field checked", () => {
    expect(checkDelay("delayMs", -250)).toBe(
      "delayMs must be a finite number of ms >= 0, got -250",
    );
  });
});

describe("checkBoolean", () => {
  test.each([true, false])("%s is a valid boolean", (value) => {
    expect(checkBoolean("retryActionsByDefault", value)).toBeNull();
  });

  eachCase(
    [
      { value: "true", got: '"true"' },
      { value: 1, got: "1" },
      { value: null, got: "null" },
      { value: undefined, got: "undefined" },
    ],
    (c) => `${c.got} is not a boolean`,
    ({ value, got }) => {
      expect(checkBoolean("retryActionsByDefault", value)).toBe(
        `retryActionsByDefault must be a boolean, got ${got}`,
      );
    },
  );
});

describe("checkString", () => {
  test.each(["sendEmail", ""])("%j is a valid string", (value) => {
    expect(checkString("name", value)).toBeNull();
  });

  eachCase(
    [
      { value: 42, got: "42" },
      { value: { label: "x" }, got: '{"label":"x"}' },
      { value: undefined, got: "undefined" },
    ],
    (c) => `${c.got} is not a string`,
    ({ value, got }) => {
      expect(checkString("name", value)).toBe(
        `name must be a string, got ${got}`,
      );
    },
  );
});

describe("checkExcludeKinds", () => {
  test.each([
    [[]],
    [["success"]],
    [["failed", "canceled"]],
    [[...RESULT_KINDS]],
  ])("%j is a valid list of kinds to exclude", (value) => {
    expect(checkExcludeKinds("onCompleteExcludeKinds", value)).toBeNull();
  });

  test("a single kind not in a list is rejected as not an array", () => {
    expect(checkExcludeKinds("onCompleteExcludeKinds", "success")).toBe(
      'onCompleteExcludeKinds must be an array of success, failed, canceled, got "success"',
    );
  });

  test("the seeds' outcome name completed is not a kind, and the bad entry is named", () => {
    expect(
      checkExcludeKinds("onCompleteExcludeKinds", ["success", "completed"]),
    ).toBe(
      'onCompleteExcludeKinds entries must be one of success, failed, canceled, got "completed"',
    );
  });

  test("a non-string entry is named", () => {
    expect(checkExcludeKinds("onCompleteExcludeKinds", ["failed", 1])).toBe(
      "onCompleteExcludeKinds entries must be one of success, failed, canceled, got 1",
    );
  });
});

describe("checkPositiveInteger", () => {
  test.each([1, 64, 10_000])("%s is a valid positive integer", (value) => {
    expect(checkPositiveInteger("limit", value)).toBeNull();
  });

  eachCase(
    [
      { why: "0", value: 0, got: "0" },
      { why: "negative", value: -3, got: "-3" },
      { why: "not an integer", value: 1.5, got: "1.5" },
      { why: "NaN", value: NaN, got: "NaN" },
      { why: "Infinity", value: Infinity, got: "Infinity" },
      { why: "a string", value: "64", got: '"64"' },
    ],
    (c) => `a limit that is ${c.why} is rejected`,
    ({ value, got }) => {
      expect(checkPositiveInteger("limit", value)).toBe(
        `limit must be an integer >= 1, got ${got}`,
      );
    },
  );
});

describe("checkKnownKeys", () => {
  const allowed = ["maxParallelism", "logLevel", "statusTtl"] as const;

  test("known keys, or none, pass", () => {
    expect(checkKnownKeys("Workpool options", {}, allowed)).toBeNull();
    expect(
      checkKnownKeys(
        "Workpool options",
        { maxParallelism: 5, statusTtl: 0 },
        allowed,
      ),
    ).toBeNull();
  });

  test("a misspelled key is named, with the keys expected", () => {
    expect(
      checkKnownKeys("Workpool options", { maxParalelism: 5 }, allowed),
    ).toBe(
      'Workpool options: unknown option "maxParalelism" (expected one of maxParallelism, logLevel, statusTtl)',
    );
  });

  test("with several unknown keys, the first is named", () => {
    expect(
      checkKnownKeys(
        "enqueue options",
        { logLevel: "INFO", delay: 5, retries: 3 },
        allowed,
      ),
    ).toBe(
      'enqueue options: unknown option "delay" (expected one of maxParallelism, logLevel, statusTtl)',
    );
  });

  test("a key whose value is undefined is still an unknown option", () => {
    expect(
      checkKnownKeys(
        "Workpool options",
        { retryByDefault: undefined },
        allowed,
      ),
    ).toBe(
      'Workpool options: unknown option "retryByDefault" (expected one of maxParallelism, logLevel, statusTtl)',
    );
  });
});

describe("firstProblem", () => {
  test("no checks, or only passing ones, mean no problem", () => {
    expect(firstProblem()).toBeNull();
    expect(firstProblem(null, undefined, null)).toBeNull();
  });

  test("the first failing check's message is returned", () => {
    expect(firstProblem(null, undefined, "first", null, "second")).toBe(
      "first",
    );
  });

  test("it composes with the checks, in the order given", () => {
    expect(
      firstProblem(
        checkMaxParallelism("maxParallelism", 5),
        checkLogLevel("logLevel", "LOUD"),
        checkStatusTtl("statusTtl", -1),
      ),
    ).toBe(
      'logLevel must be one of DEBUG, TRACE, INFO, REPORT, WARN, ERROR, got "LOUD"',
    );
  });
});

describe("describeValue", () => {
  eachCase<{ what: string; value: unknown; shown: string }>(
    [
      { what: "an integer", value: 42, shown: "42" },
      { what: "a fraction", value: -1.5, shown: "-1.5" },
      { what: "NaN", value: NaN, shown: "NaN" },
      { what: "Infinity", value: Infinity, shown: "Infinity" },
      { what: "a string", value: "abc", shown: '"abc"' },
      { what: "the empty string", value: "", shown: '""' },
      {
        what: "a string holding quotes",
        value: 'say "hi"',
        shown: '"say \\"hi\\""',
      },
      { what: "undefined", value: undefined, shown: "undefined" },
      { what: "null", value: null, shown: "null" },
      { what: "a boolean", value: true, shown: "true" },
      { what: "a bigint", value: 10n, shown: "10n" },
      {
        what: "an object",
        value: { a: 1, b: [true, null] },
        shown: '{"a":1,"b":[true,null]}',
      },
      { what: "an array", value: [1, "two"], shown: '[1,"two"]' },
      { what: "a function", value: () => 1, shown: "a function" },
      {
        what: "a named function",
        value: function sendEmail() {},
        shown: "a function",
      },
    ],
    (c) => `shows ${c.what} as ${c.shown}`,
    ({ value, shown }) => {
      expect(describeValue(value)).toBe(shown);
    },
  );

  test("an object whose JSON is over 80 characters is cut to 80, ending in ...", () => {
    const value = { list: Array.from({ length: 40 }, (_, i) => i) };
    const json = JSON.stringify(value);
    expect(json.length).toBeGreaterThan(80);
    const shown = describeValue(value);
    expect(shown).toHaveLength(80);
    expect(shown).toBe(`${json.slice(0, 77)}...`);
  });

  test("an object whose JSON is exactly 80 characters is shown whole", () => {
    const value = { k: "x".repeat(72) };
    const json = JSON.stringify(value);
    expect(json).toHaveLength(80);
    expect(describeValue(value)).toBe(json);
  });

  test("a value JSON cannot encode is shown by its type instead of throwing", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(describeValue(circular)).toBe("[object Object]");
    expect(describeValue({ big: 1n })).toBe("[object Object]");
  });
});
