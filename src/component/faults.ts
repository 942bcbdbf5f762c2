// Failpoints and observation points for tests: named places where a test can
// make the component throw, to show that a failed transaction loses or
// doubles nothing (its writes roll back, and the pool carries on), or look at
// what a transaction used, or hold a scheduled call as Convex may. No-ops
// unless a test installs a hook on globalThis; nothing in production sets
// one. Also `pause`, the one wait of a worker action, which counts itself
// so that tests driving a fake clock can tell waiting from working.
export type Failpoint =
  | "loop:afterCompletions"
  | "loop:afterStarts"
  | "loop:beforeCommit"
  /** The end of the `report` mutation (after onComplete ran): the whole report rolls back. */
  | "report:afterSettle"
  /** The end of a scheduled `deliver` (its whole transaction rolls back). */
  | "deliver:afterSettle"
  | "finalize:afterCallback"
  /** In a worker action, after a report committed: the worker takes it as failed. */
  | "worker:afterReport"
  /** In a worker action, before it schedules a delivery: scheduling fails. */
  | "worker:scheduleDelivery";

type Hook = (point: Failpoint) => void;

export function failpoint(point: Failpoint): void {
  (globalThis as { __workpoolFailpoint?: Hook }).__workpoolFailpoint?.(point);
}

/** Scheduled calls of ours that Convex may hold (see heldMs); "loop:sleep" is the loop's call to itself for a later time. */
export type HeldCall = "complete:deliver" | "complete:finalize" | "loop:sleep";

/**
 * Delay to add when scheduling `call`: 0 in production. A test returns more
 * to stand for Convex holding the call (a call that hits a system error
 * stays pending and is run again with backoff, up to hours later).
 */
export function heldMs(call: HeldCall): number {
  return (globalThis as { __workpoolHold?: (call: HeldCall) => number }).__workpoolHold?.(call) ?? 0;
}

/**
 * Waits `ms` in an action (a worker backing off before it reports again).
 * Counted on globalThis while it waits, so that a test stepping a fake
 * clock knows the worker waits for the clock and is not still working.
 */
export async function pause(ms: number): Promise<void> {
  const g = globalThis as { __workpoolPauses?: number };
  g.__workpoolPauses = (g.__workpoolPauses ?? 0) + 1;
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    g.__workpoolPauses -= 1;
  }
}

type Observer = (point: "loop:end", value: unknown) => void;

/**
 * Hands a test what `read` returns at `point` (e.g. the transaction's
 * metrics at the end of a loop iteration). `read` is only called when a test
 * installed an observer.
 */
export async function observe(point: "loop:end", read: () => Promise<unknown>): Promise<void> {
  const observer = (globalThis as { __workpoolObserver?: Observer }).__workpoolObserver;
  if (observer) observer(point, await read());
}
