// The loop: the only writer of the pool's shared state. One iteration, in one
// bounded transaction, is a pipeline of named steps over an Iteration:
//   1. freeEndedSlots: frees the slots of attempts that ended
//      (pendingCompletion),
//   2. applyCancels: applies cancel requests (pendingCancelation),
//   3. recoverLostWorkers: every RECOVERY_INTERVAL_MS, fails attempts whose
//      worker is gone, and runs failed finalizes again,
//   4. startDueJobs: starts due jobs, highest priority first
//      (core/plan.ts#pickRank), then oldest due first, while slots are free,
//   5. tidyUp: schedules the onCompletes of jobs it ended, deletes expired
//      retained outcomes, folds the delayed counts whose second has begun
//      (stats.ts), logs the periodic report,
//   6. planNext: decides when to run next (at once while a queue has rows
//      left, else at the loop's own timer for something due, or when a
//      writer kicks it: wake.ts), keeps the watchdog, writes poolState and,
//      when the pool fills up or stops being full, the `slots` flag.
// Any number of loop calls may be scheduled (writers kick it); each reads
// what it needs, and Convex serializes two that overlap. A call whose kick
// names a row an earlier call already took in ends at once. Steps 2-5 handle jobs one at a time and
// each stops when the iteration's byte budget has no room for one more at
// its largest (LOOP_BYTES_BUDGET, budget.ts); the loop then runs again at
// once. Each step also has its count bound (the *_BATCH constants). Payload
// rows the jobs no longer need are never read here: they go to
// `payload:discard`.
import { getDocumentSize, v } from "convex/values";
import {
  ACTION_GROUP_MAX_BYTES,
  ACTION_GROUP_SIZE,
  CANCEL_BATCH,
  ID_MAX_BYTES,
  LOOP_BYTES_BUDGET,
  MAX_VALUE_BYTES,
  PENDING_START_CHUNK,
  WORK_ROW_MAX_BYTES,
  WORKER_CALL_MAX_ARGS_BYTES,
  COMPLETION_BATCH,
  FINALIZE_BATCH,
  FINALIZE_MAX_ATTEMPTS,
  FINALIZE_RETRY_AFTER_MS,
  RECOVERY_BATCH,
  RECOVERY_INTERVAL_MS,
  REPORT_INTERVAL_MS,
  START_BATCH,
  START_SCAN_LIMIT,
  LOOP_STALL_MS,
  INBOX_ROWS_PER_ITERATION,
  INBOX_PARK_AFTER_ROWS,
  PENDING_START_ROWS_PER_ITERATION,
  REPORT_BACKLOG_SCAN_ROWS,
  SWEEP_BATCH,
} from "./constants.js";
import {
  afterStart,
  foldTime,
  freeSlots,
  nextWake,
  pickRank,
  PRIORITY_COUNT,
  timerAction,
  watchdogAction,
  watchdogPlan,
  type Wake,
} from "./core/plan.js";
import {
  addOutcomes,
  delayedSecond,
  outcomeDelta,
  outcomesOf,
  recordOutcomes,
  zeroOutcomes,
  zeroTotals,
  type Bucket,
  type Totals,
} from "./core/stats.js";
import { settle } from "./core/transitions.js";
import { count, earliest, scheduleFinalize, settleInLoop } from "./complete.js";
import { readConfig, type Config } from "./config.js";
import { failpoint, heldMs, observe } from "./faults.js";
import { createLogger, type Logger } from "./logging.js";
import { Budget } from "./budget.js";
import { Discards, sizeOf } from "./payload.js";
import { lostWorker, stillRunning, type RunningEntry } from "./recovery.js";
import { countTally, foldDelayed, uncountDelayed } from "./stats.js";
import { cancelIfPending, kickLoop } from "./wake.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";

type Counters = Doc<"poolState">["counters"];

// The room each job step asks for before its next job, at its largest
// (a write reads the row again: see budget.ts), including what the
// iteration does for it after the job steps (marking it running, recording
// its finalize call on its row). Queue rows hold PENDING_START_CHUNK ids at
// most.
const QUEUE_ROW_BYTES = PENDING_START_CHUNK * ID_MAX_BYTES + 256;
/** A cancel: its request, the job read and written twice (its finalize call), its key's next job and queue row. */
const CANCEL_ROOM = {
  read: 4 * WORK_ROW_MAX_BYTES + 4 * ID_MAX_BYTES,
  written: 2 * WORK_ROW_MAX_BYTES + QUEUE_ROW_BYTES,
};
/** A lost attempt: its worker's record (read once per worker), the job read and written twice, its key's next job. */
const RECOVERY_ROOM = {
  read: WORKER_CALL_MAX_ARGS_BYTES + 4 * WORK_ROW_MAX_BYTES,
  written: 2 * WORK_ROW_MAX_BYTES + QUEUE_ROW_BYTES,
};
/**
 * A start: the job read, its queue row used up, and the job written running
 * (or, under a cancelAll, canceled: written, and its key's next job read).
 */
const START_ROOM = { read: 3 * WORK_ROW_MAX_BYTES + 2 * QUEUE_ROW_BYTES, written: WORK_ROW_MAX_BYTES + QUEUE_ROW_BYTES };
/** An expired outcome: its row read by the sweep and again by its delete. */
const SWEEP_ROOM = { read: 2 * WORK_ROW_MAX_BYTES };
const zeroCounters = (): Counters => ({ succeeded: 0, failed: 0, canceled: 0, retries: 0, started: 0 });

export const main = internalMutation({
  args: {
    // Only in calls scheduled by an earlier version (one loop in charge,
    // by generation); ignored.
    generation: v.optional(v.number()),
    // The row the kick was for (wake.ts#KickFor).
    pendingStart: v.optional(v.id("pendingStart")),
    pendingCompletion: v.optional(v.id("pendingCompletion")),
  },
  returns: v.null(),
  handler: async (ctx, kick) => {
    if (await alreadyTakenIn(ctx.db, kick)) return null;
    const slots = await ctx.db.query("slots").first();
    // An enqueue's kick into a full pool: its job waits for a slot, and the
    // completion that frees one kicks the loop (wake.ts).
    if (kick.pendingStart !== undefined && slots?.full === true) return null;
    const it = await Iteration.begin(ctx, slots);
    await freeEndedSlots(it);
    failpoint("loop:afterCompletions");
    await applyCancels(it);
    await recoverLostWorkers(it);
    await startDueJobs(it);
    failpoint("loop:afterStarts");
    const report = await tidyUp(it);
    await planNext(it, report);
    failpoint("loop:beforeCommit");
    await observe("loop:end", () => ctx.meta.getTransactionMetrics());
    return null;
  },
});

/**
 * Whether the row a kick named is gone: an earlier loop call took it in,
 * and did (or went on at once with) what it was kicked for. Then this call
 * ends after one read, writing nothing. A kick that names no row (a
 * cancel, a due time, the watchdog) always runs.
 */
async function alreadyTakenIn(
  db: MutationCtx["db"],
  kick: { pendingStart?: Id<"pendingStart">; pendingCompletion?: Id<"pendingCompletion"> },
): Promise<boolean> {
  if (kick.pendingCompletion !== undefined) return (await db.get("pendingCompletion", kick.pendingCompletion)) === null;
  if (kick.pendingStart !== undefined) return (await db.get("pendingStart", kick.pendingStart)) === null;
  return false;
}

/**
 * One loop iteration's state, carried from step to step: what it read at
 * the start (config, the loop's own poolState), what the steps change
 * (the running set, counters, jobs to finalize, payloads to discard), and
 * the byte budget its job steps share.
 */
class Iteration {
  readonly logger: Logger;
  readonly running: Map<Id<"work">, RunningEntry>;
  readonly counters: Counters;
  /** Lifetime counts for `stats`; `before` gives this iteration's outcomes. */
  readonly totals: Totals;
  readonly before: Totals;
  /**
   * The stats buckets, with the outcomes of the completions taken in
   * already added at the time each was written (`recorded`), so an
   * outcome taken in late counts when it happened, as `stats` counted it
   * before (stats.ts).
   */
  buckets: { minuteBuckets: Bucket[]; hourBuckets: Bucket[] };
  readonly recorded = zeroOutcomes();
  readonly toFinalize: Id<"work">[] = [];
  /** Payload rows of the jobs this iteration ends or deletes. */
  readonly discards = new Discards();
  /** More to do at once: run again at once (not at a timer or a kick). */
  backlogNow = false;
  /** Whether a job step stopped for want of room (then backlogNow). */
  outOfBytes = false;
  /**
   * What the iteration has taken on to do after its job steps (marking the
   * jobs it starts running, recording the finalize call of those it ends on
   * their rows): not yet in its metrics, so added to every room.
   */
  readonly later = { read: 0, written: 0 };
  /** Earliest expiry of a kept outcome: null = none, undefined = unknown. */
  nextExpiry: number | null | undefined;
  nextRecoveryAt: number;
  recoveryContinues = false;
  /** Whether a recovery round began in this iteration (not a continuation). */
  recoveryDue = false;
  /** Cancel requests applied by step 2 (the start step's cancels share their batch). */
  cancelsApplied = 0;
  passes: NonNullable<Doc<"poolState">["priorityPasses"]>;
  /** The start step's queues, if it opened them (planNext reads when the next job is due). */
  queues: Queues | null = null;

  private constructor(
    readonly ctx: MutationCtx,
    readonly now: number,
    /** Writers' queue rows are read only up to this snapshot: any row they commit while this iteration runs lies beyond every range it reads. */
    readonly snapshotTs: bigint,
    readonly config: Config,
    /** The slots flag as this call read it (planNext writes it if it changed). */
    readonly slots: Doc<"slots"> | null,
    readonly stored: Doc<"poolState"> | null,
    readonly state: Omit<Doc<"poolState">, "_id" | "_creationTime">,
    private budget: Budget,
  ) {
    this.logger = createLogger(config.logLevel);
    this.running = new Map(state.running.map((e) => [e.workId, e]));
    this.counters = { ...state.counters };
    this.totals = { ...zeroTotals(), ...state.totals };
    this.before = { ...this.totals };
    this.buckets = { minuteBuckets: state.minuteBuckets ?? [], hourBuckets: state.hourBuckets ?? [] };
    this.nextExpiry = state.nextExpiryAt;
    this.nextRecoveryAt = state.nextRecoveryAt;
    this.passes = state.priorityPasses ?? [];
  }

  /** Reads what the iteration starts from. */
  static async begin(ctx: MutationCtx, slots: Doc<"slots"> | null): Promise<Iteration> {
    const now = Date.now();
    const snapshotTs = ctx.meta.getSnapshotTs();
    const config = await readConfig(ctx.db);
    const stored = await ctx.db.query("poolState").first();
    const state = stored ?? {
      running: [],
      counters: zeroCounters(),
      windowStart: now,
      nextRecoveryAt: now + RECOVERY_INTERVAL_MS,
    };
    const budget = await Budget.open(ctx.meta, { read: LOOP_BYTES_BUDGET, written: LOOP_BYTES_BUDGET });
    return new Iteration(ctx, now, snapshotTs, config, slots, stored, state, budget);
  }

  /** Notes a kept outcome's expiry (the next sweep is due by the earliest). */
  expiring(at: number | undefined): void {
    if (at !== undefined && this.nextExpiry !== undefined) this.nextExpiry = earliest(this.nextExpiry ?? undefined, at);
  }

  /** Whether the job steps' shared budget has room for one more job needing `need`; once it has not, none has. */
  async roomFor(need: { read: number; written?: number }): Promise<boolean> {
    this.outOfBytes ||= !(await this.budget.allows({
      read: need.read + this.later.read,
      written: (need.written ?? 0) + this.later.written,
    }));
    return !this.outOfBytes;
  }

  /** A job this iteration ended whose onComplete is still to run (tidyUp schedules `finalize`). */
  finalizeLater(workId: Id<"work">): void {
    this.toFinalize.push(workId);
    this.later.read += WORK_ROW_MAX_BYTES;
    this.later.written += WORK_ROW_MAX_BYTES;
  }
}

/** Step 1: frees the slots of attempts that ended, and counts their outcomes. */
async function freeEndedSlots(it: Iteration): Promise<void> {
  const completions = await it.ctx.db
    .query("pendingCompletion")
    .withIndex("by_segment", (q) => q.lte("segment", it.snapshotTs))
    .take(COMPLETION_BATCH);
  for (const row of completions) {
    for (const item of row.items) {
      if (it.running.get(item.workId)?.attempt === item.attempt) it.running.delete(item.workId);
    }
    const outcomes = outcomesOf(row);
    addOutcomes(outcomes, it.counters, it.totals, it.recorded);
    it.buckets = recordOutcomes(it.buckets, outcomes, row._creationTime);
    it.expiring(row.expiresAt);
    await it.ctx.db.delete("pendingCompletion", row._id);
  }
  it.backlogNow ||= completions.length === COMPLETION_BATCH;
}

/** Ends a pending job as canceled; its onComplete runs in `finalize`. */
async function cancelPending(it: Iteration, work: Doc<"work">): Promise<void> {
  const s = { kind: "finish" as const, result: { kind: "canceled" as const }, attempts: work.attempts };
  const settled = await settleInLoop(it.ctx.db, work, s, it.now, it.discards);
  if (settled.callbackPending) it.finalizeLater(work._id);
  it.expiring(settled.expiresAt);
  it.counters.canceled += 1;
  it.totals.canceled += 1;
  if (work.attempts > 0) it.totals.retriesCanceled += 1;
  if (await uncountDelayed(it.ctx.db, work)) it.totals.delayedCanceled += 1;
  it.logger.event("INFO", "completed", { workId: work._id, fnName: work.fnName, outcome: "canceled", status: "canceled", attempts: work.attempts });
}

/** Step 2: applies cancel requests, at most CANCEL_BATCH and while the byte budget has room. */
async function applyCancels(it: Iteration): Promise<void> {
  const cancels = await it.ctx.db
    .query("pendingCancelation")
    .withIndex("by_segment", (q) => q.lte("segment", it.snapshotTs))
    .take(CANCEL_BATCH);
  for (const request of cancels) {
    if (!(await it.roomFor(CANCEL_ROOM))) break;
    await it.ctx.db.delete("pendingCancelation", request._id);
    const work = await it.ctx.db.get("work", request.workId);
    // Started since (its report sees the flag) or finished: nothing to do.
    if (work?.state === "pending") await cancelPending(it, work);
    it.cancelsApplied += 1;
  }
  it.backlogNow ||= cancels.length === CANCEL_BATCH || it.cancelsApplied < cancels.length;
}

/**
 * Step 3: once per RECOVERY_INTERVAL_MS, fails attempts whose worker is
 * gone (at most RECOVERY_BATCH per iteration, the rest of a round at once
 * in the next), and runs again the onCompletes whose finalize failed.
 */
async function recoverLostWorkers(it: Iteration): Promise<void> {
  it.recoveryDue = it.now >= it.nextRecoveryAt;
  if (it.recoveryDue || it.state.recoveryContinues) {
    if (it.recoveryDue) it.nextRecoveryAt = it.now + RECOVERY_INTERVAL_MS;
    let recovered = 0;
    // A group's jobs share one worker: read its record once.
    const workers = new Map<Id<"_scheduled_functions">, string | null>();
    for (const entry of [...it.running.values()]) {
      if (recovered === RECOVERY_BATCH || !(await it.roomFor(RECOVERY_ROOM))) {
        it.recoveryContinues = true;
        it.backlogNow = true;
        break;
      }
      // Jobs started together share their worker and its start time.
      let reason = workers.get(entry.scheduledId);
      if (reason === undefined) {
        reason = await lostWorker(it.ctx.db, entry, it.now);
        workers.set(entry.scheduledId, reason);
      }
      if (reason === null) continue;
      // Counted whether or not it is settled here (its report may be on
      // the way), so the rows read per iteration stay bounded.
      recovered += 1;
      const work = await it.ctx.db.get("work", entry.workId);
      if (!stillRunning(work, entry)) continue;
      it.running.delete(entry.workId);
      const s = settle(work, { kind: "failed", error: reason }, it.now, Math.random);
      const settled = await settleInLoop(it.ctx.db, work, s, it.now, it.discards);
      if (settled.callbackPending) it.finalizeLater(work._id);
      it.expiring(settled.expiresAt);
      count(it.counters, s);
      count(it.totals, s);
      it.logger.event("WARN", "recovered", { workId: work._id, fnName: work.fnName, error: reason, next: s.kind });
      if (s.kind === "finish") {
        it.logger.event("INFO", "completed", { workId: work._id, fnName: work.fnName, outcome: s.result.kind, status: s.result.kind, attempts: s.attempts, error: reason });
      }
    }
  }
  // onCompletes whose finalize failed: run them again, one per call, once
  // per round (not in a round's continuations: one retry a minute).
  if (it.recoveryDue) await retryFinalize(it.ctx, it.now, it.config.logLevel);
}

/**
 * Step 4: starts due jobs while slots are free, highest priority first
 * (core/plan.ts#pickRank), then oldest due first; a job flagged by cancel,
 * or covered by a cancelAll in progress, is canceled instead. Bounded by
 * START_BATCH starts, START_SCAN_LIMIT jobs examined, the queue rows used
 * and the byte budget. With no slot free, a long inbox is moved aside.
 */
async function startDueJobs(it: Iteration): Promise<void> {
  const { ctx } = it;
  let slots = Math.min(freeSlots(it.config.maxParallelism, it.running.size), START_BATCH);
  // Read in full (not up to the snapshot): a cancelAll that commits while
  // this iteration runs conflicts with it, so no job it covers starts.
  const cancelAll = await ctx.db.query("cancelAllRequest").withIndex("by_upTo").order("desc").first();
  const started: Doc<"work">[] = [];
  const startedIds = new Set<Id<"work">>();
  // Queue rows used up, and inbox rows moved to startQueue, this iteration.
  const moveBudget = { rows: 0 };
  // An enqueue's stats tally is counted as its row leaves the inbox.
  const countRow = (row: QueueRow) => countTally(row.tally, it.totals);
  if (slots === 0) {
    // A full or paused pool takes in a long inbox all the same, so that
    // `stats` (which reads the inbox's tallies up to a limit) stays exact.
    it.backlogNow ||= await parkInbox(ctx.db, it.snapshotTs, countRow);
  } else {
    // One queue per priority, each oldest due first; pickRank chooses
    // which one the next start comes from.
    const queues = await openQueues(ctx.db, it.now, it.snapshotTs, moveBudget, countRow);
    it.queues = queues;
    // Skipped and canceled jobs take no slot, so the ids examined are
    // bounded separately (reads stay far below the transaction limit).
    let examined = 0;
    // Cancels under a cancelAll share this iteration's cancel budget.
    let cancelBudget = CANCEL_BATCH - it.cancelsApplied;
    const withinBudget = () =>
      examined < START_SCAN_LIMIT &&
      cancelBudget > 0 &&
      moveBudget.rows < PENDING_START_ROWS_PER_ITERATION &&
      !queues.truncated &&
      !it.outOfBytes;
    while (slots > 0 && withinBudget() && (await it.roomFor(START_ROOM))) {
      const due = queues.byRank.map((q) => q.head !== null);
      const rank = pickRank(due, it.passes);
      if (rank === null) break;
      const work = await queues.byRank[rank]!.take(ctx.db);
      examined += 1;
      // Not pending: canceled (or settled) since it was queued. Already
      // taken: a job is queued once, but starting it twice would be worse.
      if (work?.state !== "pending" || startedIds.has(work._id)) continue;
      if (work.cancelRequested || (cancelAll !== null && work._creationTime <= cancelAll.upTo)) {
        await cancelPending(it, work);
        // Its key's next job may have been queued in startQueue.
        queues.queuedMore();
        cancelBudget -= 1;
        continue;
      }
      started.push(work);
      startedIds.add(work._id);
      // Marked running after the scan (startJobs): read again and written.
      it.later.read += getDocumentSize(work);
      it.later.written += getDocumentSize(work);
      it.passes = afterStart(due, it.passes, rank);
      slots -= 1;
    }
    for (const queue of queues.byRank) await queue.close();
    it.backlogNow ||= !withinBudget();
    // Stopped by START_BATCH with slots and due jobs left: go on at once.
    it.backlogNow ||=
      freeSlots(it.config.maxParallelism, it.running.size + started.length) > 0 &&
      queues.byRank.some((q) => q.head !== null);
  }
  await startJobs(ctx, started, it.running, it.now, it.config.logLevel, it.logger);
  it.counters.started += started.length;
  it.totals.retriesStarted += started.filter((w) => w.attempts > 0).length;
}

/**
 * Step 5: schedules the onCompletes of jobs the iteration ended (in small
 * batches: each `finalize` runs its callbacks in one transaction), deletes
 * expired retained outcomes, folds the delayed counts whose second has
 * begun (stats.ts), and logs the periodic report.
 */
async function tidyUp(it: Iteration): Promise<{ windowStart: number; reported: Counters }> {
  const { ctx, now } = it;
  for (let i = 0; i < it.toFinalize.length; i += FINALIZE_BATCH) {
    await scheduleFinalize(ctx, it.toFinalize.slice(i, i + FINALIZE_BATCH), it.config.logLevel, now);
  }
  // Read `work` only when an outcome is due to expire (or none is known).
  if (it.nextExpiry === undefined || (it.nextExpiry !== null && it.nextExpiry <= now)) {
    const expired = ctx.db.query("work").withIndex("by_expiresAt", (q) => q.gte("expiresAt", 0).lte("expiresAt", now));
    let swept = 0;
    // One row at a time, each only if there is room for it.
    if (await it.roomFor(SWEEP_ROOM)) {
      for await (const work of expired) {
        // Only rows written before onComplete's context was dropped once it ran still have one.
        it.discards.add(work.onComplete?.contextPayloadId);
        await ctx.db.delete("work", work._id);
        swept += 1;
        if (swept === SWEEP_BATCH || !(await it.roomFor(SWEEP_ROOM))) break;
      }
    }
    it.backlogNow ||= swept === SWEEP_BATCH || it.outOfBytes;
    const first = await ctx.db
      .query("work")
      .withIndex("by_expiresAt", (q) => q.gte("expiresAt", 0))
      .first();
    it.nextExpiry = first?.expiresAt ?? null;
  }
  // Delayed jobs whose second has begun stop counting as delayed.
  const fold = await foldDelayed(ctx.db, now);
  it.totals.delayedMatured += fold.matured;
  it.backlogNow ||= fold.more;

  if (now - it.state.windowStart < REPORT_INTERVAL_MS) return { windowStart: it.state.windowStart, reported: it.counters };
  logReport(it.logger, it.counters, it.running.size, await countBacklog(ctx.db, it.snapshotTs), now - it.state.windowStart);
  return { windowStart: now, reported: zeroCounters() };
}

/**
 * Step 6: decides when to run next (at once while work remains, else at its
 * timer when something becomes due, or when a writer kicks it), keeps the
 * watchdog, writes poolState, schedules the next call (setTimer) and
 * writes the slots flag if it changed (markSlots).
 */
async function planNext(it: Iteration, report: { windowStart: number; reported: Counters }): Promise<void> {
  const { ctx, now, running } = it;
  const freeAfter = freeSlots(it.config.maxParallelism, running.size);
  // Due inbox rows up to the snapshot were used up, or are left for the
  // next iteration at once (backlogNow) or for a free slot; what waits
  // for its due time is in startQueue, the loop's own.
  const nextReadyAt = freeAfter > 0 ? await nextDue(ctx.db, it.queues) : undefined;
  const wake = nextWake({
    nowMs: now,
    backlogNow: it.backlogNow,
    freeSlots: freeAfter,
    nextReadyAt,
    // While jobs run, the watchdog kicks the loop each minute anyway (and
    // completions kick it when the pool is full).
    nextExpiry: running.size === 0 ? (it.nextExpiry ?? undefined) : undefined,
    // With a slot free its timer is for the job itself (and it folds then).
    nextFoldAt: freeAfter > 0 ? undefined : await nextFoldAt(ctx.db, now),
  });

  // While jobs run or work remains, one watchdog kicks the loop at
  // nextRecoveryAt (and restarts it if it stopped).
  if (running.size === 0) it.nextRecoveryAt = now + RECOVERY_INTERVAL_MS;
  // Active: jobs run, work remains now, the loop's timer is set or a
  // job waits for its due time (then a failed timer call is
  // noticed), or an onComplete is still to run (its finalize may have
  // failed).
  const jobsWaiting = nextReadyAt !== undefined;
  // Only asked when no job runs: the watch is on then anyway, and this
  // range is one that finalize writes.
  const pendingCallbacks = running.size === 0 && (await callbacksPending(ctx.db));
  // A loop whose timer is set (a due job, an expiry, a fold) is watched
  // too: if that call fails, nothing else may come to notice.
  const active = running.size > 0 || wake.kind !== "idle" || jobsWaiting || pendingCallbacks;
  // A timer set and nothing to recover: the watchdog need only check that
  // the timer's call ran (core/plan.ts#watchdogPlan).
  const watchAt =
    running.size === 0 && !pendingCallbacks && wake.kind === "at"
      ? Math.max(it.nextRecoveryAt, wake.atMs + LOOP_STALL_MS)
      : it.nextRecoveryAt;
  await keepWatch(ctx, active, watchAt, now);

  const timer = await setTimer(ctx, it.state.timer, wake, now);
  const nextState = {
    running: [...running.values()],
    counters: report.reported,
    windowStart: report.windowStart,
    nextRecoveryAt: it.nextRecoveryAt,
    lastRunAt: now,
    nextExpiryAt: it.nextExpiry ?? null,
    totals: it.totals,
    // This iteration's own outcomes (cancels, recovery) count now.
    ...recordOutcomes(it.buckets, outcomeDelta(it.recorded, outcomeDelta(it.before, it.totals)), now),
    priorityPasses: it.passes,
    ...(it.recoveryContinues ? { recoveryContinues: true } : {}),
    ...(timer !== undefined ? { timer } : {}),
  };
  if (it.stored === null) await ctx.db.insert("poolState", nextState);
  else await ctx.db.replace("poolState", it.stored._id, nextState);
  if (wake.kind === "now") await ctx.scheduler.runAfter(0, internal.loop.main, {});
  await markSlots(ctx.db, it.slots, freeAfter === 0, it.snapshotTs);
  await it.discards.flush(ctx.scheduler);
}

/**
 * Carries out the timer decision (core/plan.ts#timerAction): the loop's
 * one pending call for a due time, kept in poolState so that no writer
 * reads it. Returns the timer to keep.
 */
async function setTimer(
  ctx: Pick<MutationCtx, "db" | "scheduler">,
  timer: Doc<"poolState">["timer"],
  wake: Wake,
  now: number,
): Promise<Doc<"poolState">["timer"]> {
  switch (timerAction(timer, wake, now)) {
    case "keep":
      return timer;
    case "set": {
      if (timer !== undefined && timer.at > now) await cancelIfPending(ctx, timer.scheduledId);
      const at = (wake as Extract<Wake, { kind: "at" }>).atMs;
      const scheduledId = await ctx.scheduler.runAt(at + heldMs("loop:sleep"), internal.loop.main, {});
      return { at, scheduledId };
    }
    case "cancel":
      await cancelIfPending(ctx, timer!.scheduledId);
      return undefined;
    case "drop":
    case "none":
      return undefined;
  }
}

/**
 * Writes the `slots` flag (wake.ts) when the pool fills up or stops being
 * full: at most twice per busy spell, never per job while it stays full or
 * stays below its cap. Each change first reads, finding nothing, past its
 * snapshot in the queue whose rows the old flag left to someone else:
 * completions when it fills up (a completion that read "not full" did not
 * kick), the inbox when it stops being full (an enqueue's kick that read
 * "full" ended at once). A writer that commits there meanwhile conflicts
 * with this transaction, which Convex retries and which then sees its row;
 * so no row is left unseen by the change.
 */
async function markSlots(db: MutationCtx["db"], row: Doc<"slots"> | null, full: boolean, snapshotTs: bigint): Promise<void> {
  // Written on a pool's first iteration, so that later an insert (which
  // every reader of the empty table would meet) is not the first change.
  if (row === null && !full) {
    await db.insert("slots", { full });
    return;
  }
  if ((row?.full ?? false) === full) return;
  if (full) await db.query("pendingCompletion").withIndex("by_segment", (q) => q.gt("segment", snapshotTs)).first();
  else await db.query("pendingStart").withIndex("by_segment", (q) => q.gt("segment", snapshotTs)).first();
  if (row === null) await db.insert("slots", { full });
  else await db.replace("slots", row._id, { full });
}

/**
 * Bytes a job carries: its args, which its worker loads, and its context,
 * which the worker's report loads for onComplete. Rows written before the
 * size was kept count a payload row at its largest.
 */
function carriedBytes(w: Doc<"work">): number {
  if (w.valueBytes !== undefined) return w.valueBytes;
  const args = w.argsPayloadId !== undefined ? MAX_VALUE_BYTES : sizeOf(w.fnArgs);
  const context = w.onComplete?.contextPayloadId !== undefined ? MAX_VALUE_BYTES : sizeOf(w.onComplete?.context);
  return args + context;
}

/**
 * Action and query jobs in start order, in groups of at most
 * ACTION_GROUP_SIZE jobs and ACTION_GROUP_MAX_BYTES carried (a larger job
 * alone).
 */
function actionGroups(jobs: Doc<"work">[]): Doc<"work">[][] {
  const groups: Doc<"work">[][] = [];
  let bytes = 0;
  for (const w of jobs) {
    if (w.fnType === "mutation") continue;
    const size = carriedBytes(w);
    const group = groups[groups.length - 1];
    if (group === undefined || group.length === ACTION_GROUP_SIZE || bytes + size > ACTION_GROUP_MAX_BYTES) {
      groups.push([w]);
      bytes = size;
    } else {
      group.push(w);
      bytes += size;
    }
  }
  return groups;
}

/**
 * Marks jobs running and hands them to workers: action and query jobs in
 * groups (actionGroups) per worker action (a query read from an action has
 * a snapshot of its own), each mutation job in a worker mutation of its own
 * (its own transaction).
 */
async function startJobs(
  ctx: Pick<MutationCtx, "db" | "scheduler">,
  jobs: Doc<"work">[],
  running: Map<Id<"work">, RunningEntry>,
  now: number,
  logLevel: Doc<"config">["logLevel"],
  logger: Logger,
) {
  const toRun = (w: Doc<"work">) => ({
    workId: w._id,
    attempt: w.attempts,
    fnHandle: w.fnHandle,
    fnName: w.fnName,
    ...(w.fnType === "query" ? { fnType: "query" as const } : {}),
    ...(w.argsPayloadId !== undefined ? { argsPayloadId: w.argsPayloadId } : { fnArgs: w.fnArgs }),
  });
  for (const group of actionGroups(jobs)) {
    const scheduledId = await ctx.scheduler.runAfter(0, internal.worker.runActions, {
      jobs: group.map(toRun),
      logLevel,
    });
    for (const w of group) running.set(w._id, { workId: w._id, attempt: w.attempts, startedAt: now, scheduledId });
  }
  for (const w of jobs) {
    if (w.fnType !== "mutation") continue;
    const scheduledId = await ctx.scheduler.runAfter(0, internal.worker.runMutation, {
      job: toRun(w),
      fnType: "mutation",
      logLevel,
    });
    running.set(w._id, { workId: w._id, attempt: w.attempts, startedAt: now, scheduledId });
  }
  for (const w of jobs) {
    await ctx.db.patch("work", w._id, { state: "running" });
    logger.event("INFO", "started", {
      workId: w._id,
      fnName: w.fnName,
      attempt: w.attempts + 1,
      startLag: now - w.readyAt,
    });
  }
}

/**
 * Jobs waiting to start (due or not), counted over at most
 * REPORT_BACKLOG_SCAN_ROWS queue rows of the loop's own queue and of the
 * inbox up to its snapshot: exact below that, a lower bound above (then
 * `backlogAtLeast` says so). Ids of jobs canceled since they were queued
 * are counted until the loop reaches them.
 */
async function countBacklog(db: MutationCtx["db"], snapshotTs: bigint) {
  const sorted = await db.query("startQueue").take(REPORT_BACKLOG_SCAN_ROWS + 1);
  const inbox = await db
    .query("pendingStart")
    .withIndex("by_segment", (q) => q.lte("segment", snapshotTs))
    .take(REPORT_BACKLOG_SCAN_ROWS + 1 - Math.min(sorted.length, REPORT_BACKLOG_SCAN_ROWS));
  const rows = [...sorted, ...inbox];
  const counted = rows.slice(0, REPORT_BACKLOG_SCAN_ROWS);
  return {
    backlog: counted.reduce((n, row) => n + row.workIds.length, 0),
    capped: rows.length > REPORT_BACKLOG_SCAN_ROWS,
  };
}

function logReport(
  logger: Logger,
  c: Counters,
  running: number,
  backlog: { backlog: number; capped: boolean },
  windowMs: number,
) {
  const ended = c.succeeded + c.failed + c.canceled;
  // A window with nothing started, ended, running or waiting has nothing to say.
  if (ended + c.started + c.retries + running + backlog.backlog === 0) return;
  logger.event("REPORT", "report", {
    windowMs,
    completed: ended,
    succeeded: c.succeeded,
    failed: c.failed,
    canceled: c.canceled,
    retries: c.retries,
    started: c.started,
    running,
    backlog: backlog.backlog,
    ...(backlog.capped ? { backlogAtLeast: true } : {}),
    failureRate: ended === 0 ? 0 : c.failed / ended,
    // The published package's name, for monitors written against it: the
    // share of jobs that ran to an end (not canceled) that failed for good.
    permanentFailureRate: c.succeeded + c.failed === 0 ? 0 : c.failed / (c.succeeded + c.failed),
  });
}

/**
 * Starts the watchdog chain when the pool becomes active and none is
 * pending. When the pool goes idle, one due within a recovery interval is
 * left to run once and end itself; one due later is cancelled
 * (core/plan.ts#watchdogAction).
 */
async function keepWatch(
  ctx: Pick<MutationCtx, "db" | "scheduler">,
  active: boolean,
  at: number,
  now: number,
) {
  const row = await ctx.db.query("watchdog").first();
  switch (watchdogAction(active, row ?? undefined, now, at)) {
    case "reschedule":
      // A kick into an idle pool for a job due much later set it far off (wake.ts
      // ensureWatch); jobs run now, so recovery must not wait for it.
      await cancelIfPending(ctx, row!.scheduledId);
    // falls through
    case "schedule": {
      const scheduledId = await ctx.scheduler.runAt(at, internal.loop.watchdog, { at });
      if (row === null) await ctx.db.insert("watchdog", { at, scheduledId });
      else await ctx.db.replace("watchdog", row._id, { at, scheduledId });
      break;
    }
    case "cancel":
      await cancelIfPending(ctx, row!.scheduledId);
      await ctx.db.delete("watchdog", row!._id);
      break;
    case "none":
      if (row !== null) await ctx.db.delete("watchdog", row._id);
      break;
    case "keep":
      break;
  }
}

/**
 * Looks after an active pool (core/plan.ts#watchdogPlan): while attempts
 * run or onCompletes are pending it kicks the loop once per
 * RECOVERY_INTERVAL_MS, so a lost worker is noticed, a failed finalize runs
 * again, and completions that kicked no one (a pool below its cap) are
 * taken in; and it kicks the loop when something is still there for it
 * LOOP_STALL_MS after it fell due (loopDueBy: the call for it failed, as a
 * mutation that throws is not retried, or Convex holds it). It schedules its own next
 * call before kicking, so a failing loop cannot end the watch; a call that
 * is no longer the pending one (`at` differs) does nothing.
 */
export const watchdog = internalMutation({
  args: { at: v.number() },
  returns: v.null(),
  handler: async (ctx, { at }) => {
    const row = await ctx.db.query("watchdog").first();
    if (row === null || row.at !== at) return null;
    const now = Date.now();
    const legacy = await ctx.db.query("runStatus").first();
    if (legacy !== null) await ctx.db.delete("runStatus", legacy._id);
    const state = await ctx.db.query("poolState").first();
    const config = await readConfig(ctx.db);
    const plan = watchdogPlan({
      nowMs: now,
      recoveryWork: (state?.running.length ?? 0) > 0 || (await callbacksPending(ctx.db)),
      dueAt: await loopDueBy(ctx.db, state, config.maxParallelism),
    });
    if (plan.nextAt === null) {
      await ctx.db.delete("watchdog", row._id);
      return null;
    }
    const scheduledId = await ctx.scheduler.runAt(plan.nextAt, internal.loop.watchdog, { at: plan.nextAt });
    await ctx.db.replace("watchdog", row._id, { at: plan.nextAt, scheduledId });
    if (!plan.kick) return null;
    const lastRunAt = state?.lastRunAt ?? 0;
    if (plan.stalled) createLogger(config.logLevel).event("WARN", "loopRestarted", { lastRunAt, stalledMs: now - lastRunAt });
    await kickLoop(ctx, now);
    return null;
  },
});

/**
 * The earliest time by which the loop must have run, if any, from what is
 * still there: a row is still there only if no loop call has taken it in,
 * whatever ran meanwhile (a call whose snapshot came before the row's
 * commit did not see it). Its own timer (any full run replaces or drops a
 * past one); a cancel request (its kick was at once); and what the
 * `slots` flag leaves to a kick: with the pool full, a completion (it
 * kicked at once); with a slot free, an inbox row (its kick was for its
 * due time; at most INBOX_PARK_AFTER_ROWS looked at, a longer inbox counts
 * as due since it was written) and, with no timer, a job in the loop's own
 * queue. With the pool full, jobs waiting are not late, and with a slot
 * free, completions are not (they kick no one; the recovery kick takes
 * them in); in both cases attempts run, so the watchdog kicks every
 * minute anyway.
 */
async function loopDueBy(
  db: MutationCtx["db"],
  state: Doc<"poolState"> | null,
  maxParallelism: number,
): Promise<number | undefined> {
  let due = state?.timer?.at;
  const cancel = await db.query("pendingCancelation").first();
  if (cancel !== null) due = earliest(due, cancel._creationTime);
  // No flag yet (no loop call has run since the pool was created or
  // upgraded), or one left stale by a cap raised since (its kick failed):
  // both.
  const flag = (await db.query("slots").first())?.full;
  const full = flag === true && (state?.running.length ?? 0) >= maxParallelism ? true : flag === false ? false : undefined;
  if (full !== false) {
    const completion = await db.query("pendingCompletion").first();
    if (completion !== null) due = earliest(due, completion._creationTime);
  }
  if (full === true) return due;
  const inbox = await db.query("pendingStart").take(INBOX_PARK_AFTER_ROWS + 1);
  for (const r of inbox) due = earliest(due, inbox.length > INBOX_PARK_AFTER_ROWS ? r._creationTime : r.readyAt);
  if (state?.timer === undefined) {
    const queued = await db.query("startQueue").withIndex("by_readyAt").first();
    if (queued !== null) due = earliest(due, queued.readyAt);
  }
  return due;
}

async function callbacksPending(db: MutationCtx["db"]): Promise<boolean> {
  const row = await db
    .query("work")
    .withIndex("by_callbackPending", (q) => q.eq("callbackPending", true))
    .first();
  return row !== null;
}

/**
 * Runs `finalize` again, one job per call, for rows whose onComplete is
 * still pending FINALIZE_RETRY_AFTER_MS after their call was scheduled, if
 * that call failed (e.g. an onComplete outgrew the transaction), was
 * canceled, vanished, or ended with the flag still set. A call still
 * pending or running is left alone and looked at again later: Convex may
 * hold a call that hit a system error for hours, and it will run; counting
 * it as failed would give up an onComplete for nothing. After
 * FINALIZE_MAX_ATTEMPTS runs the job finishes without its onComplete, and
 * status says why.
 */
async function retryFinalize(ctx: Pick<MutationCtx, "db" | "scheduler">, now: number, logLevel: Doc<"config">["logLevel"]) {
  const due = await ctx.db
    .query("work")
    .withIndex("by_callbackPending", (q) => q.eq("callbackPending", true).lte("finalizeCheckAt", now))
    .take(FINALIZE_BATCH);
  for (const work of due) {
    const call = work.finalizeId === undefined ? null : await ctx.db.system.get("_scheduled_functions", work.finalizeId);
    const kind = call?.state.kind;
    if (kind === "pending" || kind === "inProgress") {
      // Moved on, so that held calls do not keep failed ones out of the batch.
      await ctx.db.patch("work", work._id, { finalizeCheckAt: now + FINALIZE_RETRY_AFTER_MS });
      continue;
    }
    const runs = (work.finalizeAttempts ?? 1) + 1;
    await scheduleFinalize(ctx, [work._id], logLevel, now, { runs, skipCallback: runs > FINALIZE_MAX_ATTEMPTS });
  }
}

/** A queue row as the start step sees it, from either table (an inbox row may carry an enqueue's tally). */
type QueueRow = {
  _id: Id<"pendingStart"> | Id<"startQueue">;
  readyAt: number;
  workIds: Id<"work">[];
  tally?: Doc<"pendingStart">["tally"];
};
type CountRow = (row: QueueRow) => void;

/** Moves an inbox row to startQueue, counting its tally. */
async function moveToStartQueue(db: MutationCtx["db"], row: Doc<"pendingStart">, countRow: CountRow): Promise<void> {
  countRow(row);
  await db.delete("pendingStart", row._id);
  // A row that only carried a tally (its jobs wait for their key) is done.
  if (row.workIds.length > 0) await db.insert("startQueue", { readyAt: row.readyAt, workIds: row.workIds, rank: row.rank });
}

/**
 * With no slot free: moves the inbox up to the snapshot to startQueue if it
 * holds more than INBOX_PARK_AFTER_ROWS rows (a short one waits for a slot
 * where it is). Returns whether rows are left beyond those moved.
 */
async function parkInbox(db: MutationCtx["db"], snapshotTs: bigint, countRow: CountRow): Promise<boolean> {
  const rows = await db
    .query("pendingStart")
    .withIndex("by_segment", (q) => q.lte("segment", snapshotTs))
    .take(INBOX_ROWS_PER_ITERATION + 1);
  if (rows.length <= INBOX_PARK_AFTER_ROWS) return false;
  for (const row of rows.slice(0, INBOX_ROWS_PER_ITERATION)) await moveToStartQueue(db, row, countRow);
  return rows.length > INBOX_ROWS_PER_ITERATION;
}

/**
 * One table's due rows of one priority, read lazily in order: `take` hands
 * out the next job id, deleting each row once its ids are all taken;
 * `close` keeps the untaken ids of a row taken from in part.
 */
class Source {
  head: QueueRow | null = null;
  offset = 0;
  constructor(
    private rows: AsyncIterator<QueueRow> | Iterator<QueueRow>,
    private remove: (row: QueueRow) => Promise<void>,
    private keep: (row: QueueRow, workIds: Id<"work">[]) => Promise<void>,
    private budget: { rows: number },
  ) {}

  async advance(): Promise<void> {
    const r = await this.rows.next();
    this.head = r.done ? null : r.value;
    this.offset = 0;
  }

  async take(): Promise<Id<"work">> {
    const row = this.head!;
    const workId = row.workIds[this.offset]!;
    this.offset += 1;
    if (this.offset === row.workIds.length) {
      await this.remove(row);
      this.budget.rows += 1;
      await this.advance();
    }
    return workId;
  }

  async close(): Promise<void> {
    if (this.head !== null && this.offset > 0) await this.keep(this.head, this.head.workIds.slice(this.offset));
  }
}

/**
 * Each priority's due jobs, oldest due first, then in the order they were
 * queued: the loop's own `startQueue` (due rows, read per priority only
 * when its earliest row is due) merged with the writers' inbox
 * (`pendingStart` rows up to the snapshot), which is read whole, in one
 * range, and sorted by priority and due time, its rows not yet due moved
 * to startQueue. An inbox longer than the iteration's row budget cannot be
 * sorted whole: its first rows are moved to startQueue instead
 * (`truncated`) and nothing starts until the rest fits, so the order stays
 * exact. Ties go to startQueue: its rows were mostly queued earlier (a
 * retry or a key's next job that the loop queued itself can be later).
 */
type Queues = Awaited<ReturnType<typeof openQueues>>;
async function openQueues(
  db: MutationCtx["db"],
  now: number,
  snapshotTs: bigint,
  budget: { rows: number },
  countRow: CountRow,
) {
  const room = INBOX_ROWS_PER_ITERATION;
  const read = await db
    .query("pendingStart")
    .withIndex("by_segment", (q) => q.lte("segment", snapshotTs))
    .take(room + 1);
  const truncated = read.length > room;
  const window = truncated ? read.slice(0, room) : read;
  // Rows that only carry a tally leave the inbox at once.
  const rows: Doc<"pendingStart">[] = [];
  for (const row of window) {
    if (row.workIds.length > 0) rows.push(row);
    else await moveToStartQueue(db, row, countRow);
  }
  const toMove = truncated ? rows : rows.filter((row) => row.readyAt > now);
  let movedEarliest: number | undefined;
  for (const row of toMove) {
    await moveToStartQueue(db, row, countRow);
    movedEarliest = Math.min(movedEarliest ?? Infinity, row.readyAt);
  }
  // Whether startQueue has a due row (none starts when truncated anyway).
  const earliest = await db.query("startQueue").withIndex("by_readyAt").first();
  const sortedDue = earliest !== null && earliest.readyAt <= now && earliest.readyAt <= (movedEarliest ?? Infinity);
  const byRank: Awaited<ReturnType<typeof openQueue>>[] = [];
  for (let rank = 0; rank < PRIORITY_COUNT; rank++) {
    // Stable: rows due at the same time keep their commit order.
    const dueInbox = truncated
      ? []
      : rows.filter((row) => row.rank === rank && row.readyAt <= now).sort((a, b) => a.readyAt - b.readyAt);
    byRank.push(await openQueue(db, rank, now, dueInbox, sortedDue, budget, truncated, countRow));
  }
  let stale = false;
  return {
    truncated,
    byRank,
    /** The loop queued a job in startQueue since (a cancel released its key's next job). */
    queuedMore: () => {
      stale = true;
    },
    /** startQueue's earliest due time, if known without a read: nothing was taken from it or added to it. */
    knownNextReadyAt: (): number | null | undefined =>
      stale || byRank.some((q) => q.sortedUsed())
        ? undefined
        : Math.min(earliest?.readyAt ?? Infinity, movedEarliest ?? Infinity) === Infinity
          ? null
          : Math.min(earliest?.readyAt ?? Infinity, movedEarliest ?? Infinity),
  };
}

/**
 * When to fold the delayedCount row of the next job in startQueue not yet
 * due, if any: read from the loop's own queue, not from delayedCount ahead
 * of now, where enqueues insert. (Rows of delayed jobs still in the inbox,
 * or waiting for their key, are folded whenever the loop next runs.)
 */
async function nextFoldAt(db: MutationCtx["db"], now: number): Promise<number | undefined> {
  const next = await db.query("startQueue").withIndex("by_readyAt", (q) => q.gt("readyAt", now)).first();
  return next === null ? undefined : foldTime(delayedSecond(next.readyAt));
}

/** When the next job waiting in startQueue is due, if one is (the inbox up to the snapshot is used up, or backlogNow). */
async function nextDue(db: MutationCtx["db"], queues: Queues | null): Promise<number | undefined> {
  const known = queues?.knownNextReadyAt();
  if (known !== undefined) return known ?? undefined;
  return (await db.query("startQueue").withIndex("by_readyAt").first())?.readyAt;
}

async function openQueue(
  db: MutationCtx["db"],
  rank: number,
  now: number,
  dueInbox: QueueRow[],
  sortedDue: boolean,
  budget: { rows: number },
  truncated: boolean,
  countRow: CountRow,
) {
  // An inbox row's tally is counted when the row is used up, or when the
  // row is cut to its untaken ids (and loses the tally).
  const inbox = new Source(
    dueInbox[Symbol.iterator](),
    async (row) => {
      countRow(row);
      await db.delete("pendingStart", row._id as Id<"pendingStart">);
    },
    async (row, workIds) => {
      countRow(row);
      await db.patch("pendingStart", row._id as Id<"pendingStart">, { workIds, tally: undefined });
    },
    budget,
  );
  // Read only when startQueue has a due row (of some priority).
  const dueRange = () =>
    db.query("startQueue").withIndex("by_rank_readyAt", (q) => q.eq("rank", rank).lte("readyAt", now));
  const dueRows = sortedDue ? dueRange()[Symbol.asyncIterator]() : [][Symbol.iterator]();
  const sorted = new Source(
    dueRows,
    (row) => db.delete("startQueue", row._id as Id<"startQueue">),
    (row, workIds) => db.patch("startQueue", row._id as Id<"startQueue">, { workIds }),
    budget,
  );
  await sorted.advance();
  await inbox.advance();
  let sortedTaken = false;
  const pick = (): Source | null => {
    if (inbox.head === null) return sorted.head === null ? null : sorted;
    if (sorted.head === null) return inbox;
    return inbox.head.readyAt < sorted.head.readyAt ? inbox : sorted;
  };
  return {
    get head(): QueueRow | null {
      return truncated ? null : (pick()?.head ?? null);
    },
    sortedUsed: () => sortedTaken,
    async take(db: MutationCtx["db"]): Promise<Doc<"work"> | null> {
      const source = pick()!;
      if (source === sorted) sortedTaken = true;
      return await db.get("work", await source.take());
    },
    async close(): Promise<void> {
      await sorted.close();
      await inbox.close();
    },
  };
}
