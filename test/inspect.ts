// A test-only module registered inside each pool (see setup.ts), so tests can
// look at the component's own tables: what is stored, what is scheduled.
// Apps never see it; it is not part of the package.
import { v } from "convex/values";
import { internalQuery } from "../src/component/_generated/server.js";

const TABLES = [
  "work",
  "payload",
  "pendingStart",
  "pendingCompletion",
  "pendingCancelation",
  "config",
  "runStatus",
  "poolState",
] as const;

export const snapshot = internalQuery({
  args: {},
  returns: v.any(),
  handler: async (ctx) => {
    const counts: Record<string, number> = {};
    for (const table of TABLES) counts[table] = (await ctx.db.query(table).collect()).length;
    const scheduled = await ctx.db.system.query("_scheduled_functions").collect();
    return {
      counts,
      work: await ctx.db.query("work").collect(),
      config: await ctx.db.query("config").first(),
      runStatus: await ctx.db.query("runStatus").first(),
      poolState: await ctx.db.query("poolState").first(),
      pendingScheduled: scheduled
        .filter((s) => s.state.kind === "pending" || s.state.kind === "inProgress")
        .map((s) => ({ name: s.name, scheduledTime: s.scheduledTime, state: s.state.kind })),
    };
  },
});
