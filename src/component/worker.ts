// Workers run the user's functions and report how each attempt ended; they
// never decide what follows (complete.ts and the core do). A throw from the
// user's function becomes a `failed` result, never an exception of ours.
//
// - runActions: one action runs a group of action and query jobs the loop
//   started together, each concurrently, and reports results in batched
//   flushes as they arrive, so a slot is freed as soon as its job ends; a
//   result whose report keeps failing goes by a scheduled delivery (see
//   Reporter), so that it is neither lost nor run again. A
//   query job runs here, from an action, so that it reads at a snapshot of
//   its own: inside a mutation its reads would join that mutation's read set,
//   and a query scanning a busy table would keep the mutation retrying while
//   it holds its slot.
// - runMutation: one mutation runs one mutation job and settles it in the
//   same transaction (the user's writes, onComplete and our bookkeeping
//   commit together, or not at all).
import { v } from "convex/values";
import type { FunctionHandle } from "convex/server";
import {
  DELIVERY_MAX_RESULT_BYTES,
  MAX_VALUE_BYTES,
  REPORT_DIRECT_RETRIES,
  REPORT_FLUSH_BYTES,
  REPORT_FLUSH_ITEMS,
  REPORT_GIVE_UP_MS,
  SECOND,
} from "./constants.js";
import { reportRetryMs } from "./core/backoff.js";
import { errorDataOf, errorMessage, isNonRetryableError } from "./errors.js";
import { failpoint, heldMs, pause } from "./faults.js";
import { createLogger, type Logger } from "./logging.js";
import { loadValue, sizeOf } from "./payload.js";
import { encodeResult, keptError, settleReports, type Report } from "./complete.js";
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
    if (reporter.lost > 0) {
      // Ending with an error is what tells the recovery check that this
      // worker's attempts still running will never be reported.
      throw new Error(
        `workpool: ${reporter.lost} result(s) could neither be reported nor handed to a scheduled delivery for ${REPORT_GIVE_UP_MS / SECOND} s`,
      );
    }
    return null;
  },
});

/**
 * Batches a worker's reports: the first result is sent at once; results that
 * arrive while a report is in flight go together in the next one. A report
 * that fails is retried one result at a time (so one result cannot hold the
 * others hostage), REPORT_DIRECT_RETRIES times with backoff; a result that
 * still is not reported is handed to a scheduled `deliver` mutation, which
 * Convex retries until it commits. Only a result whose delivery cannot even
 * be scheduled for REPORT_GIVE_UP_MS (an outage) is `lost`: the worker then
 * ends with an error, and the recovery check fails that attempt.
 */
class Reporter {
  private queue: { report: Report; done: () => void }[] = [];
  private flushing: Promise<void> | null = null;
  /** Results neither reported nor handed to a delivery. */
  lost = 0;

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
    const failed = await this.report(reports);
    if (failed === null) return;
    this.logger.warn(`reporting ${reports.length} result(s) failed; retrying each alone`, failed);
    await Promise.all(reports.map((report) => this.sendAlone(report)));
  }

  /** Runs the `report` mutation; returns why it failed, or null if it committed. */
  private async report(reports: Report[]): Promise<string | null> {
    try {
      await this.ctx.runMutation(internal.complete.report, { reports, logLevel: this.logLevel });
      failpoint("worker:afterReport");
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  private async sendAlone(report: Report): Promise<void> {
    let failed: string | null = null;
    for (let retry = 1; retry <= REPORT_DIRECT_RETRIES; retry++) {
      await pause(reportRetryMs(retry, Math.random));
      failed = await this.report([report]);
      if (failed === null) return;
    }
    // If one of those reports did commit after all (its reply was lost),
    // the delivery finds the attempt settled and does nothing.
    const delivered = forDelivery(report);
    const since = Date.now();
    for (let retry = 1; ; retry++) {
      try {
        failpoint("worker:scheduleDelivery");
        await this.ctx.scheduler.runAfter(heldMs("complete:deliver"), internal.complete.deliver, {
          report: delivered,
          logLevel: this.logLevel,
        });
        this.logger.event("WARN", "reportDeferred", {
          workId: report.workId,
          attempt: report.attempt,
          error: keptError(failed ?? ""),
        });
        return;
      } catch (e) {
        if (Date.now() - since >= REPORT_GIVE_UP_MS) {
          this.lost += 1;
          this.logger.event("ERROR", "reportLost", {
            workId: report.workId,
            attempt: report.attempt,
            error: keptError(errorMessage(e)),
          });
          return;
        }
      }
      await pause(reportRetryMs(retry, Math.random));
    }
  }
}

/**
 * The report a scheduled delivery carries: the result itself, unless it is
 * a return value too large for a delivery to keep for onComplete; then a
 * failure that says so (not retried: the job did succeed once).
 */
function forDelivery(report: Report): Report {
  // Measured as the delivery will store it (keepResult), which escaping can
  // make larger than the value's Convex size.
  const size = resultBytes(report.result);
  const bytes =
    report.result.kind === "success" && Number.isFinite(size) ? Math.max(size, encodeResult(report.result).length) : size;
  if (report.result.kind !== "success" || bytes <= DELIVERY_MAX_RESULT_BYTES) return report;
  return {
    ...report,
    result: {
      kind: "failed",
      error:
        `the job succeeded, but its return value (${bytes} bytes) could not be reported, ` +
        `and is above the ${DELIVERY_MAX_RESULT_BYTES} bytes a delayed delivery carries`,
      nonRetryable: true,
    },
  };
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
    await settleReports(ctx, [{ workId: job.workId, attempt: job.attempt, result }], logger, { known: work });
    return null;
  },
});
