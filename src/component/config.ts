// The pool's stored settings (maxParallelism, logLevel): read by the loop,
// changed by clients (sent with each call) and by `config.update`.
import { v } from "convex/values";
import { DEFAULT_MAX_PARALLELISM } from "./constants.js";
import { checkLogLevel, checkMaxParallelism, firstProblem } from "./core/validation.js";
import { fail } from "./errors.js";
import { DEFAULT_LOG_LEVEL } from "./logging.js";
import { vConfigUpdate, type ConfigUpdate, type LogLevel } from "./validators.js";
import { kickLoop } from "./wake.js";
import { mutation, type DatabaseReader, type DatabaseWriter } from "./_generated/server.js";

export type Config = { maxParallelism: number; logLevel: LogLevel };

export async function readConfig(db: DatabaseReader): Promise<Config> {
  const row = await db.query("config").first();
  return {
    maxParallelism: row?.maxParallelism ?? DEFAULT_MAX_PARALLELISM,
    logLevel: row?.logLevel ?? DEFAULT_LOG_LEVEL,
  };
}

export function checkConfigUpdate(update: ConfigUpdate): void {
  const problem = firstProblem(
    update.maxParallelism === undefined
      ? null
      : checkMaxParallelism("maxParallelism", update.maxParallelism),
    update.logLevel === undefined ? null : checkLogLevel("logLevel", update.logLevel),
  );
  if (problem) fail("INVALID_ARGUMENT", problem);
}

/**
 * Applies the settings a client sent; writes the singleton only when a value
 * changes, so that enqueuers do not all write one document.
 */
export async function applyConfig(
  db: DatabaseWriter,
  update: ConfigUpdate,
): Promise<{ config: Config; changed: boolean; capRaised: boolean }> {
  checkConfigUpdate(update);
  const row = await db.query("config").first();
  const current: Config = {
    maxParallelism: row?.maxParallelism ?? DEFAULT_MAX_PARALLELISM,
    logLevel: row?.logLevel ?? DEFAULT_LOG_LEVEL,
  };
  const next: Config = {
    maxParallelism: update.maxParallelism ?? current.maxParallelism,
    logLevel: update.logLevel ?? current.logLevel,
  };
  const given = update.maxParallelism !== undefined || update.logLevel !== undefined;
  const changed =
    given &&
    (row === null || next.maxParallelism !== current.maxParallelism || next.logLevel !== current.logLevel);
  if (changed) {
    if (row === null) await db.insert("config", next);
    else await db.patch("config", row._id, next);
  }
  // Raised (from 0, a pause, or any lower cap): waiting jobs may start now.
  const capRaised = changed && next.maxParallelism > current.maxParallelism;
  return { config: next, changed, capRaised };
}

/**
 * Changes the pool's settings at run time, without a deploy. Raising
 * maxParallelism (e.g. from 0, which pauses starting) lets waiting jobs start.
 */
export const update = mutation({
  args: vConfigUpdate.fields,
  returns: v.null(),
  handler: async (ctx, args) => {
    const { changed } = await applyConfig(ctx.db, args);
    if (changed) await kickLoop(ctx, Date.now(), {}, true);
    return null;
  },
});
