// Args and context too large for the `work` row (above INLINE_VALUE_MAX_BYTES)
// live in `payload` rows, so that the rows the loop reads stay small. A
// payload row is deleted once nothing needs it, but never by the
// transaction that stops needing it: a delete reads the whole row (up to
// 1 MiB), so that transaction hands its ids to `discard`, a scheduled
// mutation that deletes them a byte budget at a time (budget.ts). Each
// payload row has one reference (a job's args or context), dropped by one
// transaction, so each id is discarded once.
import { v, getConvexSize, type Value } from "convex/values";
import { DISCARD_BATCH, DISCARD_BYTES_BUDGET, INLINE_VALUE_MAX_BYTES, PAYLOAD_ROW_MAX_BYTES } from "./constants.js";
import { Budget } from "./budget.js";
import { checkValueBytes } from "./core/validation.js";
import { fail } from "./errors.js";
import type { Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalMutation, internalQuery, type DatabaseReader, type DatabaseWriter, type MutationCtx } from "./_generated/server.js";

/** A value kept inline, or the id of the payload row holding it, and its size. */
export type Stored = { inline?: unknown; payloadId?: Id<"payload">; bytes: number };

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
  if (bytes <= INLINE_VALUE_MAX_BYTES) return { inline: value, bytes };
  return { payloadId: await db.insert("payload", { value }), bytes };
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

/**
 * The payload rows a transaction stops referencing. `flush` schedules their
 * deletion once, at the end of the transaction (nothing if there are none).
 */
export class Discards {
  private ids: Id<"payload">[] = [];

  add(id: Id<"payload"> | undefined): void {
    if (id !== undefined) this.ids.push(id);
  }

  async flush(scheduler: MutationCtx["scheduler"]): Promise<void> {
    for (let i = 0; i < this.ids.length; i += DISCARD_BATCH) {
      await scheduler.runAfter(0, internal.payload.discard, { ids: this.ids.slice(i, i + DISCARD_BATCH) });
    }
    this.ids = [];
  }
}

/**
 * Deletes payload rows nothing references any more, in order, while its
 * byte budget allows (a row is read to see that it is still there, and
 * again by its delete); the rest go to a call of their own. The first always
 * goes, so every call makes progress. A row already gone is skipped.
 */
export const discard = internalMutation({
  args: { ids: v.array(v.id("payload")) },
  returns: v.null(),
  handler: async (ctx, { ids }) => {
    const budget = await Budget.open(ctx.meta, { read: DISCARD_BYTES_BUDGET, written: DISCARD_BYTES_BUDGET });
    let done = 0;
    for (const id of ids) {
      if (done > 0 && !(await budget.allows({ read: 2 * PAYLOAD_ROW_MAX_BYTES }))) break;
      if ((await ctx.db.get("payload", id)) !== null) await ctx.db.delete("payload", id);
      done += 1;
    }
    if (done < ids.length) await ctx.scheduler.runAfter(0, internal.payload.discard, { ids: ids.slice(done) });
    return null;
  },
});

/** For worker actions, which cannot read the database themselves. */
export const get = internalQuery({
  args: { id: v.id("payload") },
  returns: v.any(),
  handler: async (ctx, { id }) => loadValue(ctx.db, undefined, id),
});
