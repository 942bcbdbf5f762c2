/// <reference types="vite/client" />
// One setup for the tests: a fresh convex-test backend running the fixture
// app with two pools mounted ("workpool" and "otherPool"), registered through
// the package's public `./test` export, as an app's own tests would.
//
// What convex-test cannot show: transactions run one at a time (no OCC
// conflicts, no real parallelism), its scheduler and vitest's fake timers
// stand in for Convex's, and limits are enforced only when asked for.
import { convexTest } from "convex-test";
import { vi } from "vitest";
import type { FunctionReference } from "convex/server";
import workpool from "convex-workpool/test";
import schema from "./fixture/schema.js";
import { components } from "./fixture/_generated/api.js";

const modules = import.meta.glob("./fixture/**/*.ts");
export const POOLS = ["workpool", "otherPool"] as const;
export type PoolName = (typeof POOLS)[number];

/**
 * A backend with the fixture app and both pools. `inspect` adds the
 * test-only inspection module to each pool (see inspect.ts); `register`
 * from the package's `./test` export is what apps use.
 */
export function initConvexTest({ inspect = true } = {}) {
  const t = convexTest(schema, modules);
  for (const name of POOLS) {
    if (inspect) {
      t.registerComponent(name, workpool.schema, {
        ...workpool.modules,
        "./component/testInspect.ts": () => import("./inspect.js"),
      });
    } else {
      workpool.register(t, name);
    }
  }
  return t;
}
export type Test = ReturnType<typeof initConvexTest>;

export type Snapshot = {
  counts: Record<string, number>;
  work: Array<Record<string, unknown> & { _id: string; state: string; attempts: number }>;
  config: { maxParallelism: number; logLevel: string } | null;
  runStatus: { state: string; generation: number; wakeAt?: number } | null;
  poolState: { running: Array<{ workId: string }> } | null;
  pendingScheduled: Array<{ name: string; scheduledTime: number; state: string }>;
};

/** The pool's own tables and scheduled functions (white-box). */
export async function snapshot(t: Test, pool: PoolName = "workpool"): Promise<Snapshot> {
  const ref = (components[pool] as unknown as Record<string, Record<string, unknown>>)
    .testInspect!.snapshot as FunctionReference<"query", "internal">;
  return (await t.query(ref, {})) as Snapshot;
}

/** Runs every timer and scheduled function until nothing is left. */
export async function drain(t: Test, maxIterations = 1000) {
  await t.finishAllScheduledFunctions(() => vi.runAllTimers(), maxIterations);
}

/**
 * Advances the fake clock by `ms` in steps of `stepMs`, letting scheduled
 * functions that come due run at their time (stepping, unlike runAllTimers,
 * never jumps the clock past work in flight).
 */
export async function advance(t: Test, ms: number, stepMs = 10) {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - elapsed));
    await t.finishInProgressScheduledFunctions();
  }
}

/**
 * Fires timers one at a time, in time order, until `done()` holds. Unlike
 * `drain`, it does not run timers far in the future (such as the sweep of
 * retained outcomes) once `done` holds. It never waits on functions in
 * flight while timers remain, since an action may be waiting on one.
 */
export async function runUntil(t: Test, done: () => Promise<boolean>, maxSteps = 10_000) {
  for (let step = 0; step < maxSteps; step++) {
    if (await done()) return;
    if (vi.getTimerCount() === 0) {
      await t.finishInProgressScheduledFunctions();
      if (await done()) return;
      if (vi.getTimerCount() === 0) {
        throw new Error("runUntil: nothing left to run and the condition does not hold");
      }
    }
    await vi.advanceTimersToNextTimerAsync();
  }
  throw new Error(`runUntil: the condition did not hold after ${maxSteps} steps`);
}
