// Waking the loop. Enqueue, completion, cancel and config changes call
// wakeLoop after inserting their rows: it reads the run-status singleton and
// writes it only when the loop would not otherwise see the new work in time
// (idle, or asleep until later than the work is due).
import { LOOP_STALL_MS } from "./constants.js";
import { needsWake, watchdogAction } from "./core/plan.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import type { MutationCtx } from "./_generated/server.js";

export async function getRunStatus(ctx: { db: MutationCtx["db"] }) {
  return await ctx.db.query("runStatus").first();
}

/**
 * Makes sure the loop runs no later than `dueAt` (epoch ms; now or earlier
 * means at once). A new generation makes any loop call already scheduled a
 * no-op, so exactly one loop is in charge.
 */
export async function wakeLoop(
  ctx: Pick<MutationCtx, "db" | "scheduler">,
  dueAt: number,
): Promise<void> {
  const runStatus = await getRunStatus(ctx);
  const now = Date.now();
  if (!needsWake(runStatus, dueAt) && !(await loopCallFailed(ctx, runStatus, now))) return;
  await restartLoop(ctx, runStatus, dueAt, now);
}

/**
 * Whether the loop call that the run-status row counts on has failed, so
 * nothing would ever run the loop again: the first call of a running chain,
 * or a sleeping call past its time (a mutation that throws is not retried),
 * or is stuck pending long past its time.
 * Checked only once that call is LOOP_STALL_MS overdue, so a healthy, busy
 * loop costs its writers nothing; the watchdog covers later calls.
 */
export async function loopCallFailed(
  ctx: Pick<MutationCtx, "db">,
  runStatus: Doc<"runStatus"> | null,
  now: number,
): Promise<boolean> {
  if (runStatus === null || runStatus.scheduledId === undefined) return false;
  const dueAt = runStatus.state === "running" ? runStatus.since : runStatus.state === "scheduled" ? runStatus.wakeAt : undefined;
  if (dueAt === undefined || now - dueAt < LOOP_STALL_MS) return false;
  const call = await ctx.db.system.get("_scheduled_functions", runStatus.scheduledId);
  const kind = call?.state.kind;
  // Still pending this long after its time: Convex is holding it (a system
  // error reschedules with backoff of up to hours); a new call replaces it,
  // and the held one does nothing when it runs (stale generation).
  return kind === undefined || kind === "failed" || kind === "canceled" || kind === "pending";
}

/**
 * Schedules a loop call of a new generation, due at `dueAt`, making any loop
 * call already scheduled a no-op.
 */
export async function restartLoop(
  ctx: Pick<MutationCtx, "db" | "scheduler">,
  runStatus: Doc<"runStatus"> | null,
  dueAt: number,
  now: number,
): Promise<void> {
  // Whoever starts the loop makes sure a watchdog will look after it, in
  // case this very call fails before the loop could schedule one.
  await ensureWatch(ctx, Math.max(dueAt, now) + LOOP_STALL_MS);
  const generation = (runStatus?.generation ?? 0) + 1;
  // A sleeping loop call would only no-op (stale generation): cancel it.
  if (runStatus?.state === "scheduled" && runStatus.scheduledId !== undefined) {
    await cancelIfPending(ctx, runStatus.scheduledId);
  }
  let next: Omit<Doc<"runStatus">, "_id" | "_creationTime">;
  if (dueAt <= now) {
    const scheduledId = await ctx.scheduler.runAfter(0, internal.loop.main, { generation });
    next = { state: "running", generation, scheduledId, since: now };
  } else {
    const scheduledId = await ctx.scheduler.runAt(dueAt, internal.loop.main, {
      generation,
    });
    next = { state: "scheduled", generation, wakeAt: dueAt, scheduledId };
  }
  if (runStatus === null) await ctx.db.insert("runStatus", next);
  else await ctx.db.replace("runStatus", runStatus._id, next);
}

/**
 * Cancels a scheduled loop call that has not started. One that started is
 * left alone: its generation is stale, so it does nothing.
 */
export async function cancelIfPending(
  ctx: Pick<MutationCtx, "db" | "scheduler">,
  scheduledId: Id<"_scheduled_functions">,
): Promise<void> {
  const scheduled = await ctx.db.system.get("_scheduled_functions", scheduledId);
  if (scheduled?.state.kind === "pending") {
    await ctx.scheduler.cancel(scheduledId);
  }
}

/**
 * Makes sure a watchdog runs by about `at` (see loop.ts#watchdog): schedules
 * one if none is pending, and moves up one pending far later (set while the
 * loop slept for a job due tomorrow: had it been kept, a failure of the call
 * this wake schedules would strand the pool until then). Read on every wake
 * from idle; written only when none is pending or the pending one is late.
 */
export async function ensureWatch(ctx: Pick<MutationCtx, "db" | "scheduler">, at: number): Promise<void> {
  const row = await ctx.db.query("watchdog").first();
  const action = watchdogAction(true, row ?? undefined, Date.now(), at);
  if (action === "keep") return;
  if (action === "reschedule") await cancelIfPending(ctx, row!.scheduledId);
  const scheduledId = await ctx.scheduler.runAt(at, internal.loop.watchdog, { at });
  if (row === null) await ctx.db.insert("watchdog", { at, scheduledId });
  else await ctx.db.replace("watchdog", row._id, { at, scheduledId });
}
