// Error text kept in rows is bounded in bytes (constants.ts,
// KEPT_ERROR_MAX_BYTES): a job may throw a message of any length, but the rows
// the loop and `status` read must stay small. Pure: no Convex.

/** What a cut text ends with, so a reader knows it is not whole. */
export const CUT_MARK = "[...truncated]";

/** Bytes of `codePoint` in UTF-8, as Convex stores strings. */
function utf8Bytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** Length of `text` in UTF-8 bytes. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) bytes += utf8Bytes(ch.codePointAt(0)!);
  return bytes;
}

/**
 * `text` if it fits in `maxBytes` of UTF-8; else its longest prefix that
 * fits together with CUT_MARK, followed by the mark. Never splits a
 * character (a surrogate pair stays whole or goes whole).
 */
export function cutText(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no counting.
  if (text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes) return text;
  const budget = maxBytes - CUT_MARK.length;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const n = utf8Bytes(ch.codePointAt(0)!);
    if (bytes + n > budget) break;
    bytes += n;
    end += ch.length;
  }
  return text.slice(0, end) + CUT_MARK;
}
