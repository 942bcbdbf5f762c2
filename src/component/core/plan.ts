// The loop's scheduling decisions (DESIGN §4, §7). Pure.
import {
  DELAYED_COUNT_RESOLUTION_MS,
  DELAYED_FOLD_MIN_INTERVAL_MS,
  LOOP_STALL_MS,
  PRIORITY_MAX_PASSES,
  RECOVERY_INTERVAL_MS,
  SWEEP_MIN_INTERVAL_MS,
} from "../constants.js";
import type { Priority } from "../validators.js";

/** Queue ranks, highest priority first (pendingStart rows store the rank). */
export const PRIORITY_RANK: Record<Priority, number> = { high: 0, normal: 1, low: 2 };
export const PRIORITY_COUNT = 3;
export const rankOf = (p: Priority | undefined): number => PRIORITY_RANK[p ?? "normal"];

/**
 * Which priority's queue the next start comes from. `due[r]`: rank r has a
 * due job; `passes[r]`: starts in a row that went to other ranks while r
 * had one. The highest due priority wins, unless a due rank has been passed
 * over PRIORITY_MAX_PASSES times: then the most-passed one does (ties to
 * the higher priority). null when nothing is due.
 */
export function pickRank(due: readonly boolean[], passes: readonly number[]): number | null {
  let best: number | null = null;
  let starved: number | null = null;
  for (let r = 0; r < due.length; r++) {
    if (!due[r]) continue;
    best ??= r;
    const p = passes[r] ?? 0;
    if (p >= PRIORITY_MAX_PASSES && (starved === null || p > (passes[starved] ?? 0))) starved = r;
  }
  return starved ?? best;
}

/** The pass counts after a start from rank `started`, given what was due. */
export function afterStart(due: readonly boolean[], passes: readonly number[], started: number): number[] {
  return due.map((isDue, r) => (r === started || !isDue ? 0 : (passes[r] ?? 0) + 1));
}

/** How many more jobs may start now under the cap. */
export function freeSlots(maxParallelism: number, running: number): number {
  return Math.max(0, maxParallelism - running);
}

/** What the loop found at the end of an iteration. */
export type IterationOutcome = {
  nowMs: number;
  /** A queue still holds rows this iteration had no room for. */
  backlogNow: boolean;
  /** Slots still free after this iteration's starts. */
  freeSlots: number;
  /** Due time of the earliest job waiting to start, if any. */
  nextReadyAt?: number;
  /** Earliest expiry of a retained outcome, if any. */
  nextExpiry?: number;
  /** When the next delayed count is due to be folded (stats), if any. */
  nextFoldAt?: number;
};

export type Wake =
  | { kind: "now" }
  | { kind: "at"; atMs: number }
  /** Nothing to do until a writer kicks the loop. */
  | { kind: "idle" };

/**
 * When the loop must run again. It never polls: it runs again at once only
 * while a queue has rows left; otherwise its timer is for the first time
 * something becomes due (a delayed job with a slot free for it, the expiry
 * of retained outcomes, a delayed count to fold for stats), and a writer's
 * kick (wake.ts) or, while jobs run, the watchdog (watchdogPlan) may run
 * it sooner.
 */
export function nextWake(o: IterationOutcome): Wake {
  if (o.backlogNow) return { kind: "now" };
  const candidates: number[] = [];
  if (o.freeSlots > 0 && o.nextReadyAt !== undefined) {
    candidates.push(o.nextReadyAt);
  }
  if (o.nextExpiry !== undefined) {
    candidates.push(Math.max(o.nextExpiry, o.nowMs + SWEEP_MIN_INTERVAL_MS));
  }
  if (o.nextFoldAt !== undefined) {
    candidates.push(Math.max(o.nextFoldAt, o.nowMs + DELAYED_FOLD_MIN_INTERVAL_MS));
  }
  if (candidates.length === 0) return { kind: "idle" };
  const atMs = Math.min(...candidates);
  return atMs <= o.nowMs ? { kind: "now" } : { kind: "at", atMs };
}

/**
 * When the loop folds a delayed count of `second` (stats): once the second
 * is over, so any job of it due with a slot free has run the loop first.
 */
export const foldTime = (second: number) => (second + 1) * DELAYED_COUNT_RESOLUTION_MS;

/** The loop's own timer: its pending call for a due time (poolState.timer). */
export type Timer = { at: number };
export type TimerAction = "keep" | "set" | "cancel" | "drop" | "none";

/**
 * What the loop does with its timer at the end of an iteration, given when
 * it must run next: keep a pending call due no later than needed (it runs,
 * then plans again), or set a new one (cancelling a pending later one), or
 * cancel one no longer needed; a call whose time has passed is this one or
 * has run, so it is only dropped.
 */
export function timerAction(timer: Timer | undefined, wake: Wake, nowMs: number): TimerAction {
  const pending = timer !== undefined && timer.at > nowMs;
  if (wake.kind === "at") return pending && timer.at <= wake.atMs ? "keep" : "set";
  if (pending) return wake.kind === "idle" ? "cancel" : "keep";
  return timer === undefined ? "none" : "drop";
}

/**
 * What a watchdog call does. `dueAt`: the earliest time by which the loop
 * must have run, from what is still there for it (loop.ts#loopDueBy: a row
 * is there only if no loop call took it in). While attempts run or
 * onCompletes are pending it kicks the loop every RECOVERY_INTERVAL_MS
 * (recovery of lost workers, a failed finalize, and the completions that
 * kicked no one); besides, a due time LOOP_STALL_MS past means the call
 * for it failed or is held (`stalled`: the loop is kicked, and it is
 * logged). Otherwise it looks next once the due time's call should have
 * run, so a pool whose only job is due in two hours is not looked at
 * every minute. Nothing to watch: it ends.
 */
export function watchdogPlan(o: {
  nowMs: number;
  recoveryWork: boolean;
  dueAt?: number;
}): { kick: boolean; stalled: boolean; nextAt: number | null } {
  const soon = o.nowMs + RECOVERY_INTERVAL_MS;
  const stalled = o.dueAt !== undefined && o.dueAt + LOOP_STALL_MS <= o.nowMs;
  if (o.recoveryWork || stalled) return { kick: true, stalled, nextAt: soon };
  if (o.dueAt === undefined) return { kick: false, stalled, nextAt: null };
  return { kick: false, stalled, nextAt: Math.max(soon, o.dueAt + LOOP_STALL_MS) };
}

export type Watchdog = { at: number };
export type WatchdogAction = "keep" | "schedule" | "reschedule" | "cancel" | "none";

/**
 * Whether a watchdog is kept pending. While the pool is active (jobs run,
 * work remains, or the loop's timer is set) one runs at nextRecoveryAt
 * (watchdogPlan says what it does), so that a lost worker is noticed and a
 * loop whose call failed is kicked again, even if nothing else happens. One
 * is scheduled at a time. When the pool goes idle, a watchdog due within a
 * recovery interval is left to run once and end itself (loop.ts#watchdog):
 * cancelling it only for the next job's kick to schedule it again would
 * cost a schedule, a cancel and a row per job when jobs come one by one. One due later is cancelled, so an idle pool has
 * nothing scheduled beyond that interval.
 */
export function watchdogAction(
  active: boolean,
  watchdog: Watchdog | undefined,
  nowMs: number,
  /**
   * When the active pool wants it. A pending one more than a recovery
   * interval later (set far off by a kick for a job due much later) is
   * moved up; small differences are kept, so it is not rescheduled often.
   */
  wantAt: number = Infinity,
): WatchdogAction {
  const pending = watchdog !== undefined && watchdog.at > nowMs;
  if (active) {
    if (!pending) return "schedule";
    return watchdog.at > wantAt + RECOVERY_INTERVAL_MS ? "reschedule" : "keep";
  }
  if (!pending) return "none";
  return watchdog.at <= nowMs + RECOVERY_INTERVAL_MS ? "keep" : "cancel";
}
