// NonRetryableError and what a failed job reports for a throw (errorMessage,
// errorDataOf): the shapes and texts the published package 0.5.0 uses, so
// that results read the same on both (end to end: test/errors.test.ts).
import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import { NonRetryableError, errorDataOf, errorMessage, isNonRetryableError } from "./errors.js";

describe("NonRetryableError", () => {
  test("is a ConvexError whose data is the published marker and the message", () => {
    const e = new NonRetryableError("address rejected");
    expect(e).toBeInstanceOf(ConvexError);
    expect(e.data).toEqual({ __convexWorkpoolNonRetryable: true, message: "address rejected" });
    expect(e.name).toBe("NonRetryableError");
    expect(e.message).toBe("address rejected");
    expect("cause" in e).toBe(false);
  });

  test("keeps a cause, and a subclass's name", () => {
    const cause = new Error("HTTP 400");
    expect(new NonRetryableError("bad request", { cause }).cause).toBe(cause);
    class InvalidInput extends NonRetryableError {}
    expect(new InvalidInput("no").name).toBe("InvalidInput");
    expect(isNonRetryableError(new InvalidInput("no"))).toBe(true);
  });
});

describe("isNonRetryableError", () => {
  const marker = { __convexWorkpoolNonRetryable: true, message: "m" };
  test.each([
    ["a NonRetryableError", new NonRetryableError("x"), true],
    ["a ConvexError with the marker and a message (one rethrown across a boundary)", new ConvexError(marker), true],
    ["a ConvexError with this package's earlier data", new ConvexError({ kind: "WorkpoolNonRetryable", message: "m" }), true],
    ["a plain object with the marker", marker, true],
    ["a plain object with the marker and no message", { __convexWorkpoolNonRetryable: true }, true],
    ["an Error carrying the marker", Object.assign(new Error("e"), { __convexWorkpoolNonRetryable: true }), true],
    ["a ConvexError with the marker but no message", new ConvexError({ __convexWorkpoolNonRetryable: true }), false],
    ["a ConvexError with the marker set to something else", new ConvexError({ __convexWorkpoolNonRetryable: "yes", message: "m" }), false],
    ["a ConvexError with other data", new ConvexError({ code: "E", message: "m" }), false],
    ["an Error", new Error("x"), false],
    ["a string", "x", false],
    ["null", null, false],
    ["undefined", undefined, false],
  ])("%s: %s", (_name, error, expected) => {
    expect(isNonRetryableError(error)).toBe(expected);
  });
});

describe("errorMessage and errorDataOf", () => {
  const nullPrototype: unknown = Object.create(null);
  test.each([
    ["an Error", new Error("boom"), "boom", undefined],
    ["a ConvexError with string data", new ConvexError("boom"), "boom", "boom"],
    ["a ConvexError with object data", new ConvexError({ code: "E", n: 1 }), '{"code":"E","n":1}', { code: "E", n: 1 }],
    [
      "a ConvexError with object data that has a message",
      new ConvexError({ code: "E", message: "readable" }),
      '{"code":"E","message":"readable"}',
      { code: "E", message: "readable" },
    ],
    ["a ConvexError with null data", new ConvexError(null), "null", null],
    ["a ConvexError with an array", new ConvexError([1, "a"]), '[1,"a"]', [1, "a"]],
    ["a ConvexError whose data was removed", Object.assign(new ConvexError("x"), { data: undefined }), "x", null],
    [
      "a NonRetryableError",
      new NonRetryableError("refused"),
      "refused",
      { __convexWorkpoolNonRetryable: true, message: "refused" },
    ],
    [
      "a ConvexError with this package's earlier data",
      new ConvexError({ kind: "WorkpoolNonRetryable", message: "old" }),
      "old",
      { kind: "WorkpoolNonRetryable", message: "old" },
    ],
    ["a plain object with the marker", { __convexWorkpoolNonRetryable: true, message: "m" }, "m", undefined],
    ["a plain object with the marker and no message", { __convexWorkpoolNonRetryable: true }, "[object Object]", undefined],
    ["a string", "plain", "plain", undefined],
    ["a number", 42, "42", undefined],
    ["undefined", undefined, "undefined", undefined],
    ["an object that cannot become text", nullPrototype, "[object Object]", undefined],
  ])("%s", (_name, error, message, data) => {
    expect(errorMessage(error)).toBe(message);
    expect(errorDataOf(error)).toEqual(data);
  });

  test("a ConvexError's object data longer than Convex's 16 KiB message is reported whole as errorData", () => {
    const data = { blob: "x".repeat(20_000) };
    const e = new ConvexError(data);
    expect(errorMessage(e)).toHaveLength(16_384);
    expect(errorMessage(e).endsWith("[...truncated]")).toBe(true);
    expect(errorDataOf(e)).toBe(data);
  });
});
