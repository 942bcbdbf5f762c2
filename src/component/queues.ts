// Who queues a job where. Writers (enqueue, a report's retry, the next job of
// a key) put it in the `pendingStart` inbox, stamped with their commit
// timestamp, so the loop's snapshot-bounded reads never meet their inserts.
// The loop, which alone reads and writes `startQueue`, puts the jobs it
// queues itself there, in due order.
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";

/** Which kind of transaction is queueing: the loop, or any other writer. */
export type Queuer = "loop" | "writer";

export type QueuedRow = { readyAt: number; workIds: Id<"work">[]; rank: number };

export async function queueJobs(db: MutationCtx["db"], by: Queuer, row: QueuedRow): Promise<void> {
  if (by === "loop") await db.insert("startQueue", row);
  else await db.insert("pendingStart", { ...row, segment: db.vars.commitTs });
}
