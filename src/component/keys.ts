// Keyed serialization. Of the live (pending or running) jobs with one key,
// only the oldest, the key's head, is in the start queue or runs; the others
// wait outside the queue, holding no slot and blocking no one. When the head
// finishes, whoever finishes it queues the next. No per-key document: the
// state is the jobs' own rows: `liveKey` is set while a job is live, and
// `work.by_liveKey` lists a key's live jobs oldest first.
import { rankOf } from "./core/plan.js";
import { queueJobs, type Queuer } from "./queues.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";

/** The oldest pending or running job with `key`, or null. One index read. */
export async function oldestLive(db: MutationCtx["db"], key: string): Promise<Doc<"work"> | null> {
  return await db
    .query("work")
    .withIndex("by_liveKey", (q) => q.eq("liveKey", key))
    .first();
}

/**
 * Called with the row as it was before it finished, once the stored row
 * says it finished, without `liveKey` (or is deleted). If it was
 * its key's head (no live job with the key is older), the next live job
 * becomes the head and is queued at its own due time and priority. A job
 * that finished while waiting (canceled) leaves the head alone. Returns
 * whether it queued one.
 */
export async function releaseKey(db: MutationCtx["db"], finished: Doc<"work">, by: Queuer): Promise<boolean> {
  if (finished.liveKey === undefined) return false;
  const next = await oldestLive(db, finished.liveKey);
  if (next === null || next._creationTime < finished._creationTime) return false;
  await queueJobs(db, by, { readyAt: next.readyAt, workIds: [next._id], rank: rankOf(next.priority) });
  return true;
}
