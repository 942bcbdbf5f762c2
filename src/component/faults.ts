// Failpoints: named places where a test can make the component throw, to
// show that a failed transaction loses or doubles nothing (its writes roll
// back, and the pool carries on). A no-op unless a test installs a hook on
// globalThis; nothing in production sets it.
export type Failpoint = "loop:afterCompletions" | "loop:afterStarts" | "report:afterSettle";

type Hook = (point: Failpoint) => void;

export function failpoint(point: Failpoint): void {
  (globalThis as { __workpoolFailpoint?: Hook }).__workpoolFailpoint?.(point);
}
