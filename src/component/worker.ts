// Workers run the user's functions and report how each attempt ended; they
// never decide what follows (complete.ts and the core do). A throw from the
// user's function becomes a `failed` result, never an exception of ours.
//
// - runActions: one action runs a group of action and query jobs the loop
//   started together, each concurrently, and reports results in batched
//   flushes as they arrive, so a slot is freed as soon as its job ends. A
//   query job runs here, from an action, so that it reads at a snapshot of
//   its own: inside a mutation its reads would join that mutation's read set,
//   and a query scanning a busy table would keep the mutation retrying while
//   it holds its slot.
// - runMutation: one mutation runs one mutation job and settles it in the
//   same transaction (the user's writes, onComplete and our bookkeeping
//   commit together, or not at all).
import { v } from "convex/values";
import type { FunctionHandle } from "convex/server";
import { MAX_VALUE_BYTES, REPORT_FLUSH_BYTES, REPORT_FLUSH_ITEMS, REPORT_RETRIES } from "./constants.js";
import { errorDataOf, errorMessage, isNonRetryableError } from "./errors.js";
import { createLogger, type Logger } from "./logging.js";
import { loadValue, sizeOf } from "./payload.js";
import { settleReports, type Report } from "./complete.js";
import { vLogLevel, type LogLevel } from "./validators.js";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, type ActionCtx } from "./_generated/server.js";

/** What a worker needs to run one job, as the loop hands it over. */
export const vJobToRun = v.object({
  workId: v.id("work"),
  /** For runActions: a query job (absent: an action). */
  fnType: v.optional(v.literal("query")),
  attempt: v.number(),
  fnHandle: v.string(),
  fnName: v.string(),
  fnArgs: v.optional(v.any()),
  argsPayloadId: v.optional(v.id("payload")),
});

/** Size of a value in bytes; Infinity for one Convex cannot store. */
function sizeOrInfinity(value: unknown): number {
  try {
    return sizeOf(value);
  } catch {
    return Infinity;
  }
}

/**
 * The result of a throw, as a report carries it: the error text and, for a
 * ConvexError, its data as `errorData`. Data above MAX_VALUE_BYTES (which
 * args and context are held to as well) is left out, with a warning: it
 * could not be handed on in one report or onComplete call.
 */
function failure(e: unknown, job: { workId: string; fnName: string }, logger: Logger): Report["result"] {
  const errorData = errorDataOf(e);
  const bytes = errorData === undefined ? 0 : sizeOrInfinity(errorData);
  if (bytes > MAX_VALUE_BYTES) {
    const why = Number.isFinite(bytes)
      ? `is ${bytes} bytes, above the ${MAX_VALUE_BYTES} bytes a result may carry`
      : "is not a Convex value";
    logger.warn(`errorData of ${job.fnName} (${job.workId}) ${why}: onComplete gets the error text without it`);
  }
  return {
    kind: "failed",
    error: errorMessage(e),
    ...(errorData !== undefined && bytes <= MAX_VALUE_BYTES ? { errorData } : {}),
    ...(isNonRetryableError(e) ? { nonRetryable: true } : {}),
  };
}

/** Bytes a result adds to a report. */
function resultBytes(result: Report["result"]): number {
  return result.kind === "success"
    ? sizeOrInfinity(result.returnValue ?? null)
    : sizeOrInfinity(result.error) + sizeOrInfinity(result.errorData);
}

export const runActions = internalAction({
  args: { jobs: v.array(vJobToRun), logLevel: vLogLevel },
  returns: v.null(),
  handler: async (ctx, { jobs, logLevel }) => {
    const logger = createLogger(logLevel);
    const reporter = new Reporter(ctx, logLevel, logger);
    await Promise.all(
      jobs.map(async (job) => {
        let result: Report["result"];
        try {
          const args =
            job.argsPayloadId === undefined
              ? job.fnArgs
              : await ctx.runQuery(internal.payload.get, { id: job.argsPayloadId });
          const returnValue: unknown =
            job.fnType === "query"
              ? await ctx.runQuery(job.fnHandle as FunctionHandle<"query">, args ?? {})
              : await ctx.runAction(job.fnHandle as FunctionHandle<"action">, args ?? {});
          result = { kind: "success", returnValue };
        } catch (e) {
          result = failure(e, job, logger);
        }
        await reporter.add({ workId: job.workId, attempt: job.attempt, result });
      }),
    );
    return null;
  },
});

/**
 * Batches a worker's reports: the first result is sent at once; results that
 * arrive while a report is in flight go together in the next one. A report
 * that fails is retried one result at a time, and the last try finishes the
 * job without its onComplete (the usual culprit), so one bad callback cannot
 * hold other jobs' results hostage. A result that still cannot be reported
 * is left to recovery, which fails the attempt.
 */
class Reporter {
  private queue: { report: Report; done: () => void }[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private ctx: ActionCtx,
    private logLevel: LogLevel,
    private logger: Logger,
  ) {}

  add(report: Report): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ report, done });
      this.flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let results that end in the same turn join the first report.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      await this.send(batch.map((b) => b.report));
      for (const b of batch) b.done();
    }
    this.flushing = null;
  }

  private takeBatch() {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < REPORT_FLUSH_ITEMS) {
      const size = resultBytes(this.queue[n]!.report.result);
      if (n > 0 && bytes + size > REPORT_FLUSH_BYTES) break;
      bytes += size;
      n += 1;
    }
    return this.queue.splice(0, n);
  }

  private async send(reports: Report[]): Promise<void> {
    try {
      await this.ctx.runMutation(internal.complete.report, { reports, logLevel: this.logLevel });
      return;
    } catch (e) {
      this.logger.warn("reporting results failed; retrying one by one", errorMessage(e));
    }
    for (const report of reports) {
      for (let attempt = 1; attempt <= REPORT_RETRIES; attempt++) {
        const last = attempt === REPORT_RETRIES;
        try {
          const sent = last
            ? { ...report, skipCallback: "onComplete could not be run: reporting the result failed" }
            : report;
          await this.ctx.runMutation(internal.complete.report, { reports: [sent], logLevel: this.logLevel });
          break;
        } catch (e) {
          if (last) {
            this.logger.error("could not report a result; recovery will fail the attempt", report.workId, errorMessage(e));
          }
        }
      }
    }
  }
}

export const runMutation = internalMutation({
  args: {
    job: vJobToRun,
    // "query": only from calls scheduled by an earlier version, which ran
    // query jobs here; they may still be pending after an upgrade.
    fnType: v.union(v.literal("mutation"), v.literal("query")),
    logLevel: vLogLevel,
  },
  returns: v.null(),
  handler: async (ctx, { job, fnType, logLevel }) => {
    const logger = createLogger(logLevel);
    const work = await ctx.db.get("work", job.workId);
    if (!work || work.state !== "running" || work.attempts !== job.attempt) {
      // Canceled or settled by recovery before this worker ran.
      logger.debug("worker skipped a job that is no longer running", job.workId);
      return null;
    }
    let result: Report["result"];
    try {
      const args = job.fnArgs ?? (await loadValue(ctx.db, undefined, job.argsPayloadId));
      // A nested transaction: if the function throws, its writes roll back.
      const returnValue: unknown =
        fnType === "query"
          ? await ctx.runQuery(job.fnHandle as FunctionHandle<"query">, args ?? {})
          : await ctx.runMutation(job.fnHandle as FunctionHandle<"mutation">, args ?? {});
      result = { kind: "success", returnValue };
    } catch (e) {
      result = failure(e, job, logger);
    }
    // The user's function cannot write our tables, so `work` is still current.
    await settleReports(ctx, [{ workId: job.workId, attempt: job.attempt, result }], logger, work);
    return null;
  },
});
