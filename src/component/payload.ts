// Args and context too large for the `work` row (above INLINE_VALUE_MAX_BYTES)
// live in `payload` rows, so that the rows the loop reads stay small.
import { v, getConvexSize, type Value } from "convex/values";
import { INLINE_VALUE_MAX_BYTES } from "./constants.js";
import { checkValueBytes } from "./core/validation.js";
import { fail } from "./errors.js";
import type { Id } from "./_generated/dataModel.js";
import { internalQuery, type DatabaseReader, type DatabaseWriter } from "./_generated/server.js";

/** A value kept inline, or the id of the payload row holding it. */
export type Stored = { inline?: unknown; payloadId?: Id<"payload"> };

/** Size of a Convex value in bytes, as Convex counts it. */
export function sizeOf(value: unknown): number {
  return value === undefined ? 0 : getConvexSize(value as Value);
}

/**
 * Keeps `value` inline when small, else in a payload row. Rejects a value
 * above MAX_VALUE_BYTES, naming what it is (`what`) and its size.
 */
export async function storeValue(
  db: DatabaseWriter,
  what: string,
  value: unknown,
): Promise<Stored> {
  const bytes = sizeOf(value);
  const tooLarge = checkValueBytes(what, bytes);
  if (tooLarge) fail("VALUE_TOO_LARGE", tooLarge);
  if (bytes <= INLINE_VALUE_MAX_BYTES) return { inline: value };
  return { payloadId: await db.insert("payload", { value }) };
}

export async function loadValue(
  db: DatabaseReader,
  inline: unknown,
  payloadId: Id<"payload"> | undefined,
): Promise<unknown> {
  if (payloadId === undefined) return inline;
  const row = await db.get("payload", payloadId);
  if (row === null) {
    throw new Error(`workpool invariant: payload ${payloadId} is missing`);
  }
  return row.value;
}

export async function deletePayload(
  db: DatabaseWriter,
  payloadId: Id<"payload"> | undefined,
): Promise<void> {
  if (payloadId !== undefined && (await db.get("payload", payloadId)) !== null) {
    await db.delete("payload", payloadId);
  }
}

/** For worker actions, which cannot read the database themselves. */
export const get = internalQuery({
  args: { id: v.id("payload") },
  returns: v.any(),
  handler: async (ctx, { id }) => loadValue(ctx.db, undefined, id),
});
