// A test-only module registered inside each pool (see setup.ts), so tests can
// look at the component's own tables: what is stored, what is scheduled.
// Apps never see it; it is not part of the package.
import { v } from "convex/values";
import { internal } from "../src/component/_generated/api.js";
import { internalMutation, internalQuery, type QueryCtx } from "../src/component/_generated/server.js";

const TABLES = [
  "work",
  "payload",
  "pendingStart",
  "startQueue",
  "pendingCompletion",
  "pendingCancelation",
  "cancelAllRequest",
  "watchdog",
  "config",
  "slots",
  "poolState",
] as const;

/**
 * What the loop is doing, as far as the scheduler shows: "running" while a
 * loop call is due now (kicked or going on), "scheduled" while only calls
 * for later are pending (a kick for a due time, or its timer: wakeAt, the
 * earliest), else "idle". `full`: the slots flag.
 */
async function loopView(
  db: QueryCtx["db"],
  scheduled: Array<{ name: string; scheduledTime: number; state: { kind: string } }>,
) {
  const now = Date.now();
  const live = scheduled.filter((s) => s.name === "loop:main" && (s.state.kind === "pending" || s.state.kind === "inProgress"));
  const timer = (await db.query("poolState").first())?.timer;
  const full = (await db.query("slots").first())?.full ?? false;
  if (live.some((s) => s.state.kind === "inProgress" || s.scheduledTime <= now)) return { state: "running", full };
  const later = [...live.map((s) => s.scheduledTime), ...(timer !== undefined && timer.at > now ? [timer.at] : [])];
  if (later.length > 0) return { state: "scheduled", wakeAt: Math.min(...later), full };
  return { state: "idle", full };
}

export const snapshot = internalQuery({
  args: {},
  returns: v.any(),
  handler: async (ctx) => {
    const counts: Record<string, number> = {};
    for (const table of TABLES) counts[table] = (await ctx.db.query(table).collect()).length;
    const scheduled = await ctx.db.system.query("_scheduled_functions").collect();
    return {
      counts,
      /** Job ids queued in the inbox (its rows may also carry only an enqueue's tally). */
      inboxIds: (await ctx.db.query("pendingStart").collect()).reduce((n, row) => n + row.workIds.length, 0),
      /** Job ids queued (inbox or startQueue) and due by the query's clock. */
      dueQueued: [...(await ctx.db.query("pendingStart").collect()), ...(await ctx.db.query("startQueue").collect())]
        .filter((row) => row.readyAt <= Date.now())
        .reduce((n, row) => n + row.workIds.length, 0),
      /** When the oldest completion the loop has not taken in was written, if any. */
      oldestCompletionAt: (await ctx.db.query("pendingCompletion").first())?._creationTime ?? null,
      work: await ctx.db.query("work").collect(),
      config: await ctx.db.query("config").first(),
      loop: await loopView(ctx.db, scheduled),
      poolState: await ctx.db.query("poolState").first(),
      pendingScheduled: scheduled
        .filter((s) => s.state.kind === "pending" || s.state.kind === "inProgress")
        .map((s) => ({ name: s.name, scheduledTime: s.scheduledTime, state: s.state.kind })),
      /** Every function the pool ever scheduled, by name (any state). */
      scheduledByName: scheduled.reduce<Record<string, number>>((byName, s) => {
        byName[s.name] = (byName[s.name] ?? 0) + 1;
        return byName;
      }, {}),
    };
  },
});

/**
 * Fault injection: takes away the workers of running jobs before they run.
 * "cancel" cancels their scheduled functions (as from the dashboard);
 * "vanish" deletes the scheduled function's record, so convex-test never
 * runs it (what a lost worker looks like). A worker that crashes ("failed")
 * cannot be faked here: convex-test refuses to start a function whose state
 * is not pending; recovery.test.ts checks that state's handling directly.
 */
export const breakWorkers = internalMutation({
  args: { how: v.union(v.literal("cancel"), v.literal("vanish")) },
  returns: v.number(),
  handler: async (ctx, { how }) => {
    // Run the loop here, in this transaction, so that its workers can be
    // broken before their timers fire: the loop calls already kicked are
    // canceled and this one takes their place.
    if ((await ctx.db.query("work").first()) === null) throw new Error("breakWorkers: nothing was enqueued");
    for (const s of await ctx.db.system.query("_scheduled_functions").collect()) {
      if (s.name === "loop:main" && s.state.kind === "pending") await ctx.scheduler.cancel(s._id);
    }
    await ctx.runMutation(internal.loop.main, {});
    const state = await ctx.db.query("poolState").first();
    let broken = 0;
    // Once per worker: a group's jobs share one (under Convex's limits, a
    // group's record read once per job could be too much to read).
    const workers = new Set((state?.running ?? []).map((entry) => entry.scheduledId));
    for (const scheduledId of workers) {
      const scheduled = await ctx.db.system.get("_scheduled_functions", scheduledId);
      if (scheduled?.state.kind !== "pending") continue;
      if (how === "cancel") {
        await ctx.scheduler.cancel(scheduledId);
      } else {
        // convex-test's fake database lets a test delete a system record.
        await (ctx.db as unknown as { delete: (id: string) => Promise<void> }).delete(scheduledId);
      }
      broken += (state?.running ?? []).filter((e) => e.scheduledId === scheduledId).length;
    }
    return broken;
  },
});

/**
 * Rows of one of the pool's tables, counted a page at a time: under Convex's
 * limits one transaction cannot read many payload rows of about 1 MiB.
 */
export const countPage = internalQuery({
  args: { table: v.union(...TABLES.map((t) => v.literal(t))), cursor: v.union(v.string(), v.null()), numItems: v.number() },
  returns: v.object({ n: v.number(), cursor: v.string(), isDone: v.boolean() }),
  handler: async (ctx, { table, cursor, numItems }) => {
    const page = await ctx.db.query(table).paginate({ cursor, numItems });
    return { n: page.page.length, cursor: page.continueCursor, isDone: page.isDone };
  },
});

/** The jobs of each `worker:runActions` call the pool scheduled, by work id, in the order scheduled. */
export const workerGroups = internalQuery({
  args: {},
  returns: v.array(v.array(v.string())),
  handler: async (ctx) => {
    const scheduled = await ctx.db.system.query("_scheduled_functions").collect();
    return scheduled
      .filter((s) => s.name === "worker:runActions")
      .map((s) => (s.args[0] as { jobs: { workId: string }[] }).jobs.map((j) => j.workId));
  },
});
