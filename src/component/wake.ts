// Kicking the loop. A writer (enqueue, a completion, cancel, finalize, a
// config change) that has work for the loop schedules a loop call: a kick.
// It writes no state of the loop's to do so, so a busy loop and its writers
// never meet on a document:
// - an enqueue that queued a job always kicks, naming its inbox row, and reads nothing the
//   loop writes per job (only the `watchdog` row, written when the pool
//   becomes active or idle and once a minute while it is active); the call
//   ends at once if the row was taken in already, or if the pool is full
//   (a completion will take the row in);
// - a completion reads the `slots` flag, which the loop writes only when
//   the pool fills up or stops being full: full, it kicks (a job waits for
//   the slot it frees); not full, it does not (no one waits for the slot;
//   the next kick, or the watchdog within a minute, takes it in), unless it
//   queued work (a key's next job: at once; a retry: at its due time);
// - a cancel, a finalize and a config change always kick.
// Kicks need no coordination: every loop call reads what it needs, and two
// that overlap are serialized by Convex like any two mutations.
import { LOOP_STALL_MS } from "./constants.js";
import { watchdogAction } from "./core/plan.js";
import type { Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import type { MutationCtx } from "./_generated/server.js";

type WriterCtx = Pick<MutationCtx, "db" | "scheduler">;

/**
 * Whether every slot was taken when the loop last looked (see the top of
 * this file). Before the loop's first call of this version wrote the flag
 * (a new pool, or one upgraded while busy), a completion takes the pool to
 * be full and kicks: a loop call too many rather than a slot left unseen.
 */
export async function slotsFull(db: MutationCtx["db"]): Promise<boolean> {
  const row = await db.query("slots").first();
  return row?.full ?? true;
}

/**
 * What a kick names, so a loop call whose work an earlier call already did
 * ends at once: the inbox row an enqueue wrote, or the completion row a
 * report wrote.
 */
export type KickFor = { pendingStart?: Id<"pendingStart">; pendingCompletion?: Id<"pendingCompletion"> };

/**
 * Schedules a loop call at `at` (now or earlier: at once). An enqueue or a
 * cancel also makes sure a watchdog will look after the pool, in case this
 * call fails before the loop could schedule one.
 */
export async function kickLoop(ctx: WriterCtx, at: number, kickFor: KickFor = {}, watch = false): Promise<void> {
  const now = Date.now();
  if (watch) await ensureWatch(ctx, Math.max(at, now) + LOOP_STALL_MS);
  if (at <= now) await ctx.scheduler.runAfter(0, internal.loop.main, kickFor);
  else await ctx.scheduler.runAt(at, internal.loop.main, kickFor);
}

/**
 * After an enqueue queued work due at `dueAt`: kicks the loop for then,
 * naming its inbox row. Of the loop's state it reads only the `watchdog`
 * row (ensureWatch), which changes about once a minute at most, not per
 * job: not `slots`, so an enqueuing user mutation does not conflict with
 * the loop filling up. A kick into a full pool ends at once (loop.ts), and
 * a completion takes the row in.
 */
export async function kickForEnqueue(ctx: WriterCtx, dueAt: number, row?: Id<"pendingStart">): Promise<void> {
  await kickLoop(ctx, dueAt, row !== undefined ? { pendingStart: row } : {}, true);
}

/**
 * After a completion freed slots (row: its pendingCompletion row):
 * kicks at once if the pool is full, or if it queued a key's next job;
 * else, for a retry, at its due time; else not at all.
 */
export async function kickForCompletion(
  ctx: WriterCtx,
  row: Id<"pendingCompletion">,
  queued: { now: boolean; retryAt?: number },
): Promise<void> {
  if (queued.now || (await slotsFull(ctx.db))) await kickLoop(ctx, 0, { pendingCompletion: row });
  else if (queued.retryAt !== undefined) await kickLoop(ctx, queued.retryAt);
}

/**
 * Cancels a scheduled call that has not started. One that started is left
 * alone: a loop call or a watchdog that runs needlessly does no harm.
 */
export async function cancelIfPending(
  ctx: WriterCtx,
  scheduledId: Id<"_scheduled_functions">,
): Promise<void> {
  const scheduled = await ctx.db.system.get("_scheduled_functions", scheduledId);
  if (scheduled?.state.kind === "pending") {
    await ctx.scheduler.cancel(scheduledId);
  }
}

/**
 * Makes sure a watchdog runs by about `at` (see loop.ts#watchdog): schedules
 * one if none is pending, and moves up one pending far later (had it been
 * kept, a failure of the call being kicked would strand the pool until
 * then). Written only when none is pending or the pending one is late, so
 * in an active pool about once a minute, never per job.
 */
export async function ensureWatch(ctx: WriterCtx, at: number): Promise<void> {
  const row = await ctx.db.query("watchdog").first();
  const action = watchdogAction(true, row ?? undefined, Date.now(), at);
  if (action === "keep") return;
  if (action === "reschedule") await cancelIfPending(ctx, row!.scheduledId);
  const scheduledId = await ctx.scheduler.runAt(at, internal.loop.watchdog, { at });
  if (row === null) await ctx.db.insert("watchdog", { at, scheduledId });
  else await ctx.db.replace("watchdog", row._id, { at, scheduledId });
}
