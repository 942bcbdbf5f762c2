// Kinds of transaction, by the component function a transaction enters, for
// this package and for the published @convex-dev/workpool 0.5.0: the same
// kind names for both, so that their conflict matrices line up (the audit's
// own test and the bench share these). What each kind is:
//
//   enqueue   an app's enqueue call (single or batch)
//   cancel    an app's cancel, cancelAll and its pages
//   loop      the scheduler loop's iteration (one at a time by design)
//   report    a job's outcome recorded: ours `complete:report` (action
//             workers), `complete:deliver` (a result whose report failed,
//             delivered by a scheduled retry) and `worker:runMutation` (a
//             mutation job, run and reported in one transaction); 0.5.0's
//             `complete:complete`
//   finalize  ours: onComplete for jobs the loop finished (canceled, recovered)
//   worker    0.5.0's mutation wrapper: runs the job, schedules its report
//   watchdog  liveness checks: ours `loop:watchdog`; 0.5.0's batch-worker monitor
//   recovery  0.5.0's check of jobs whose worker may be gone
//   stats     0.5.0's backlog count, scheduled by its loop
//   config    a pool's configuration changed
//   admin     0.5.0's operator functions (force kick, clearing work)
//
// A function not listed keeps its name as its kind, so a new or renamed
// function shows up in a report (and fails the bench wiring test) rather
// than being folded into a kind silently. Queries are never paired, so
// they need no kind.
import type { KindOf } from "./conflicts.js";

/** Kinds that never run alongside themselves: one loop iteration at a time. */
export const SERIAL_KINDS: readonly string[] = ["loop"];

/** This package's component functions, by path inside the component. */
export const OUR_KIND_TABLE: Readonly<Record<string, string>> = {
  "lib:enqueue": "enqueue",
  "lib:enqueueBatch": "enqueue",
  "lib:cancel": "cancel",
  "lib:cancelAll": "cancel",
  "lib:cancelAllPage": "cancel",
  "loop:main": "loop",
  "loop:watchdog": "watchdog",
  "complete:report": "report",
  "complete:deliver": "report",
  "complete:finalize": "finalize",
  "worker:runMutation": "report",
  "config:update": "config",
};

/**
 * 0.5.0's functions, by path inside the mounted component; its nested
 * batch-worker's under `batchWorker/`. Its loop is batch-worker's
 * `loop:loop`, which reads 0.5.0's `loop:getBatch` at a stale snapshot and
 * calls `loop:run` in the same transaction; `loop:main` and
 * `loop:updateRunStatus` are forwarders left for calls scheduled before
 * 0.5.0 that kick it.
 */
export const PUBLISHED_050_KIND_TABLE: Readonly<Record<string, string>> = {
  "lib:enqueue": "enqueue",
  "lib:enqueueBatch": "enqueue",
  "lib:cancel": "cancel",
  "lib:cancelAll": "cancel",
  "batchWorker/loop:loop": "loop",
  "loop:run": "loop",
  "loop:main": "loop",
  "loop:updateRunStatus": "loop",
  "complete:complete": "report",
  "worker:runMutationWrapper": "worker",
  "batchWorker/monitor:monitor": "watchdog",
  "recovery:recover": "recovery",
  "stats:calculateBacklogAndReport": "stats",
  "config:update": "config",
  "kick:forceKick": "admin",
  "danger:clearPending": "admin",
  "danger:clearOldWork": "admin",
  "batchWorker/lib:kick": "admin",
};

/**
 * The kind of each transaction of a package mounted at `mount` ("ours",
 * "workpool"), from a table keyed by function path inside the mount
 * (nested components by their path under it: "batchWorker/loop:loop").
 * A transaction entering another component keeps its entry function.
 */
export function kindsUnder(mount: string, table: Readonly<Record<string, string>>): KindOf {
  const prefix = `${mount}/`;
  return (tx) => {
    const inside = tx.name.startsWith(prefix) ? tx.name.slice(prefix.length) : null;
    return (inside === null ? undefined : table[inside]) ?? tx.fn;
  };
}
