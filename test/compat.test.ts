// Drop-in at run time (DESIGN §2, rule 1), against the published
// @convex-dev/workpool installed beside us (0.4.12): the same defaults and
// validator shapes (with 0.4.16's optional `errorData` on failed results),
// and NonRetryableErrors of either package recognised by both, with the same
// data, so a job or a library may throw either.
import { ConvexError, type GenericValidator } from "convex/values";
import { describe, expect, test } from "vitest";
import * as ours from "convex-workpool";
import * as published from "workpool-published";

/**
 * A validator as Convex sends it to the backend (what deployments check
 * values against; `json` is internal in the types).
 */
function jsonOf(validator: GenericValidator): unknown {
  return (validator as unknown as { json: unknown }).json;
}

/** The published failed-result validator JSON, with 0.4.16's `errorData` added. */
function withErrorData(json: unknown): unknown {
  const union = structuredClone(json) as { type: string; value: { type: string; value: Record<string, unknown> }[] };
  const failed = union.value.find((m) => (m.value.kind as { fieldType: { value: string } }).fieldType.value === "failed")!;
  failed.value.errorData = { fieldType: { type: "any" }, optional: true };
  return union;
}

describe("defaults and validators", () => {
  test("DEFAULT_RETRY_BEHAVIOR is the published one", () => {
    expect(ours.DEFAULT_RETRY_BEHAVIOR).toEqual(published.DEFAULT_RETRY_BEHAVIOR);
  });

  test("vLogLevel, vRetryBehavior and vWorkId validate the same values", () => {
    expect(jsonOf(ours.vLogLevel)).toEqual(jsonOf(published.vLogLevel));
    expect(jsonOf(ours.vRetryBehavior)).toEqual(jsonOf(published.vRetryBehavior));
    expect(jsonOf(ours.vWorkId)).toEqual(jsonOf(published.vWorkId));
    expect(jsonOf(ours.vWorkIdValidator)).toEqual(jsonOf(published.vWorkIdValidator));
  });

  test("result validators are the published ones, with an optional errorData on failures", () => {
    expect(jsonOf(ours.vResult)).toEqual(withErrorData(jsonOf(published.vResult)));
    expect(jsonOf(ours.vResultValidator)).toEqual(withErrorData(jsonOf(published.vResultValidator)));
    expect(jsonOf(ours.vRunResult(ours.vRetryBehavior))).toEqual(withErrorData(jsonOf(published.vRunResult(published.vRetryBehavior))));
  });

  test("onComplete args validators are the published ones, with the same errorData", () => {
    const args = (json: unknown) => json as { value: { result: { fieldType: unknown } } & Record<string, unknown> };
    for (const [mine, theirs] of [
      [jsonOf(ours.vOnComplete), jsonOf(published.vOnComplete)],
      [jsonOf(ours.vOnCompleteArgs()), jsonOf(published.vOnCompleteArgs())],
      [jsonOf(ours.vOnCompleteArgs(ours.vLogLevel, ours.vRetryBehavior)), jsonOf(published.vOnCompleteArgs(published.vLogLevel, published.vRetryBehavior))],
    ]) {
      const expected = args(structuredClone(theirs));
      expected.value.result.fieldType = withErrorData(expected.value.result.fieldType);
      expect(mine).toEqual(expected);
    }
  });
});

describe("NonRetryableError across the two packages", () => {
  test("each package's error is recognised by the other, with the same data", () => {
    const mine = new ours.NonRetryableError("refused");
    const theirs = new published.NonRetryableError("refused");
    expect(mine.data).toEqual(theirs.data);
    expect(ours.isNonRetryableError(theirs)).toBe(true);
    expect(published.isNonRetryableError(mine)).toBe(true);
    // As a job's error would arrive after crossing a function boundary: a
    // plain ConvexError carrying the data.
    expect(published.isNonRetryableError(new ConvexError(mine.data))).toBe(true);
    expect(ours.isNonRetryableError(new ConvexError(theirs.data))).toBe(true);
  });

  test("neither takes an ordinary ConvexError for one", () => {
    const plain = new ConvexError({ code: "E", message: "m" });
    expect(ours.isNonRetryableError(plain)).toBe(false);
    expect(published.isNonRetryableError(plain)).toBe(false);
  });
});
