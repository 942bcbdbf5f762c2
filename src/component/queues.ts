// Who queues a job where. Writers (enqueue, a report's retry, the next job of
// a key) put it in the `pendingStart` inbox, stamped with their commit
// timestamp, so the loop's snapshot-bounded reads never meet their inserts.
// The loop, which alone reads and writes `startQueue`, puts the jobs it
// queues itself there, in due order.
import type { Infer } from "convex/values";
import type { vEnqueueTally } from "./schema.js";
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";

/** Which kind of transaction is queueing: the loop, or any other writer. */
export type Queuer = "loop" | "writer";

export type QueuedRow = { readyAt: number; workIds: Id<"work">[]; rank: number };

/**
 * Queues jobs; an enqueue's row also carries the call's stats tally
 * (writers only). Returns a writer's inbox row, which its kick names.
 */
export async function queueJobs(
  db: MutationCtx["db"],
  by: Queuer,
  row: QueuedRow & { tally?: Infer<typeof vEnqueueTally> },
): Promise<Id<"pendingStart"> | undefined> {
  if (by === "loop") {
    await db.insert("startQueue", { readyAt: row.readyAt, workIds: row.workIds, rank: row.rank });
    return undefined;
  }
  return await db.insert("pendingStart", { ...row, segment: db.vars.commitTs });
}
