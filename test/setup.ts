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
export function initConvexTest({ inspect = true, transactionLimits = false } = {}) {
  // With transactionLimits, Convex's production per-transaction limits apply.
  const t = convexTest({ schema, modules, transactionLimits });
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
  scheduledByName: Record<string, number>;
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

// Captured before any test fakes the clock: waiting in real time lets work in
// flight progress without moving the fake clock.
const realSetTimeout = globalThis.setTimeout;
const realDelay = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms));

/** Real milliseconds without progress after which waiting jobs count as blocked. */
const QUIET_MS = 10;
const QUIET_ROUNDS = 3;

function sleepers(): number {
  return (globalThis as { __fixtureSleepers?: number }).__fixtureSleepers ?? 0;
}

/**
 * Lets functions in flight run until they finish, or, while some fixture
 * job waits on the fake clock (it cannot progress until the clock moves),
 * until nothing has changed for a few quiet rounds of real time.
 */
export async function settleInFlight(t: Test) {
  let finished = false;
  const all = t.finishInProgressScheduledFunctions().then(() => {
    finished = true;
  });
  let quiet = 0;
  while (!finished && quiet < QUIET_ROUNDS) {
    if (sleepers() === 0) {
      await Promise.race([all, realDelay(QUIET_MS)]);
      quiet = 0;
      continue;
    }
    const mark = `${vi.getTimerCount()}/${sleepers()}`;
    await Promise.race([all, realDelay(QUIET_MS)]);
    quiet = `${vi.getTimerCount()}/${sleepers()}` === mark ? quiet + 1 : 0;
  }
}

/**
 * Fires timers one at a time, in time order, letting each scheduled function
 * run as far as it can, until `done()` holds. Unlike `drain`, the clock
 * never jumps past work in flight, and timers far in the future (such as
 * the sweep of retained outcomes) do not run once `done` holds.
 */
export async function runUntil(t: Test, done: () => Promise<boolean>, maxSteps = 10_000) {
  for (let step = 0; step < maxSteps; step++) {
    await settleInFlight(t);
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

/** runUntil the pool has nothing left to do but sleep (no job pending or running). */
export async function runUntilSettled(t: Test, pool: PoolName = "workpool") {
  await runUntil(t, async () => {
    const s = await snapshot(t, pool);
    return s.work.every((w) => w.state === "finished") && s.counts.pendingCompletion === 0;
  });
}
