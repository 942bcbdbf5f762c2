// The loop's scheduling decisions (DESIGN §4, §7). Pure.
import { SWEEP_MIN_INTERVAL_MS } from "../constants.js";

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
};

export type Wake =
  | { kind: "now" }
  | { kind: "at"; atMs: number }
  /** Nothing to do until an enqueue, completion or cancel wakes the loop. */
  | { kind: "idle" };

/**
 * When the loop must run again. It never polls: it runs again at once only
 * while a queue has rows left, otherwise it sleeps until the first time
 * something becomes due (a delayed job with a slot free for it, the expiry
 * of retained outcomes), or until woken: by an enqueue, a completion, a
 * cancel, or, while jobs run, the recovery watchdog (see watchdogAction).
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
  if (candidates.length === 0) return { kind: "idle" };
  const atMs = Math.min(...candidates);
  return atMs <= o.nowMs ? { kind: "now" } : { kind: "at", atMs };
}

/**
 * Whether a job becoming due at `readyAt` needs the loop woken, given when
 * it will run anyway. A loop already running (or due sooner) will see it.
 */
export function needsWake(
  runStatus:
    | { state: "idle" }
    | { state: "running" }
    | { state: "scheduled"; wakeAt?: number }
    | null,
  readyAt: number,
): boolean {
  if (runStatus === null || runStatus.state === "idle") return true;
  if (runStatus.state === "running") return false;
  return runStatus.wakeAt === undefined || runStatus.wakeAt > readyAt;
}

export type Watchdog = { at: number };
export type WatchdogAction = "keep" | "schedule" | "cancel" | "none";

/**
 * The watchdog wakes the loop at nextRecoveryAt while the pool is active
 * (jobs run, or the loop has more to do at once), so that a lost worker is
 * noticed, and a loop whose mutation failed is restarted, even if nothing
 * else happens. One is scheduled at a time; none while the pool is inactive
 * (an idle pool schedules nothing).
 */
export function watchdogAction(
  active: boolean,
  watchdog: Watchdog | undefined,
  nowMs: number,
): WatchdogAction {
  const pending = watchdog !== undefined && watchdog.at > nowMs;
  if (active) return pending ? "keep" : "schedule";
  return pending ? "cancel" : "none";
}
