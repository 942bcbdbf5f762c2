// Finds running jobs whose worker is gone (its scheduled function failed, was
// canceled, or vanished, or it ended and its result never arrived) and fails
// their attempt, so that nothing stays "running" forever. Called by the loop
// every RECOVERY_INTERVAL_MS while jobs run.
import { DELIVERY_WAIT_MS, HOUR } from "./constants.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";

export type RunningEntry = Doc<"poolState">["running"][number];

/** Why a running entry's worker can no longer report, or null if it can. */
export async function lostWorker(
  db: MutationCtx["db"],
  entry: RunningEntry,
  now: number,
): Promise<string | null> {
  const scheduled = await db.system.get("_scheduled_functions", entry.scheduledId);
  const kind = scheduled?.state.kind;
  if (kind === "pending" || kind === "inProgress") return null;
  switch (kind) {
    case "failed":
      return "the worker running this job failed before reporting a result";
    case "canceled":
      return "the worker running this job was canceled before it reported a result";
    case "success":
      // A worker ends without error only once each result was reported or
      // handed to a scheduled delivery (worker.ts, Reporter), which Convex
      // may hold for hours: failing the attempt now could run a success
      // again. Only a delivery that never came, in DELIVERY_WAIT_MS, counts.
      if (now - entry.startedAt < DELIVERY_WAIT_MS) return null;
      return `the worker running this job ended, but its result did not arrive within ${DELIVERY_WAIT_MS / HOUR} hours`;
    default:
      return "the worker running this job disappeared before reporting a result";
  }
}

/**
 * Whether the job's row still shows this attempt running. If not, the
 * attempt was settled and its pendingCompletion row will free the slot.
 */
export function stillRunning(work: Doc<"work"> | null, entry: RunningEntry): work is Doc<"work"> {
  return work !== null && work.state === "running" && work.attempts === entry.attempt;
}
