// Failpoints and observation points for tests: named places where a test can
// make the component throw, to show that a failed transaction loses or
// doubles nothing (its writes roll back, and the pool carries on), or look at
// what a transaction used. No-ops unless a test installs a hook on
// globalThis; nothing in production sets one.
export type Failpoint =
  | "loop:afterCompletions"
  | "loop:afterStarts"
  | "report:afterSettle"
  | "finalize:afterCallback";

type Hook = (point: Failpoint) => void;

export function failpoint(point: Failpoint): void {
  (globalThis as { __workpoolFailpoint?: Hook }).__workpoolFailpoint?.(point);
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
