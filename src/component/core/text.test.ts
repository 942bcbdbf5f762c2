// How kept error text is bounded (cutText): whole when it fits, else a
// prefix plus CUT_MARK within the byte limit, never splitting a character.
import { describe, expect, test } from "vitest";
import { CUT_MARK, cutText, utf8Length } from "./text.js";

describe("utf8Length", () => {
  test.each([
    ["", 0],
    ["abc", 3],
    ["é", 2],
    ["€", 3],
    ["😀", 4],
    ["a€😀", 8],
  ])("%j is %i bytes", (text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
  });
});

describe("cutText", () => {
  test("a text that fits is returned whole, up to exactly the limit", () => {
    expect(cutText("short", 100)).toBe("short");
    expect(cutText("x".repeat(100), 100)).toBe("x".repeat(100));
    expect(cutText("é".repeat(50), 100)).toBe("é".repeat(50));
  });

  test("a text one byte over is cut to a prefix and the mark, within the limit", () => {
    const cut = cutText("x".repeat(101), 100);
    expect(cut).toBe("x".repeat(100 - CUT_MARK.length) + CUT_MARK);
    expect(utf8Length(cut)).toBe(100);
  });

  test.each(["é", "€", "😀", "a😀"])("text of %j is cut at a character boundary, within the limit", (unit) => {
    const text = unit.repeat(1000);
    for (const limit of [64, 65, 66, 67, 100, 1001]) {
      const cut = cutText(text, limit);
      expect(cut.endsWith(CUT_MARK)).toBe(true);
      const kept = cut.slice(0, -CUT_MARK.length);
      expect(text.startsWith(kept)).toBe(true);
      // No lone surrogate: the kept prefix is whole characters.
      expect(kept).not.toMatch(/[\uD800-\uDBFF]$/);
      expect(utf8Length(cut)).toBeLessThanOrEqual(limit);
      // And the next character would not have fitted.
      const next = [...text.slice(kept.length)][0]!;
      expect(utf8Length(cut) + utf8Length(next)).toBeGreaterThan(limit);
    }
  });
});
