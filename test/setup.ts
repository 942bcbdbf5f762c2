/// <reference types="vite/client" />
// One setup for the tests: a fresh convex-test backend running the fixture
// app with two pools mounted ("workpool" and "otherPool"), registered through
// the package's public `./test` export, as an app's own tests would.
//
// What convex-test cannot show: transactions run one at a time (no OCC
// conflicts, no real parallelism), its scheduler and vitest's fake timers
// stand in for Convex's, and limits are enforced only when asked for.
import { convexTest } from "convex-test";
import { expect, vi } from "vitest";
import type { FunctionReference } from "convex/server";
import workpool from "convex-workpool/test";
import schema from "./fixture/schema.js";
import { components } from "./fixture/_generated/api.js";

const modules = import.meta.glob("./fixture/**/*.ts");

/**
 * One tick of convex-test's commit clock (0.0.65 and later), in ms. As on a
 * deployment, a function's clock is never behind the latest commit: commit
 * timestamps strictly increase (under vitest's frozen fake clock, by 1 ns
 * when the clock has not moved), and a transaction's `Date.now()` is the
 * fake clock or the latest commit rounded up to the millisecond, whichever
 * is later. So once two transactions (a test's own `t.run` and
 * `t.mutation` calls included) have committed in one fake millisecond,
 * functions run a tick ahead of the fake clock (never more),
 * and what they schedule "at once" fires a tick later: each hop from a
 * function to one it schedules can take a tick, as a real scheduler takes
 * a little time. Two clock readings taken by functions are therefore
 * within a tick of the fake time that passed between them.
 */
export const COMMIT_TICK_MS = 1;

/**
 * How far a job's start, as its first transaction's `Date.now()` records it
 * (and the end of a zero-length job), can trail the fake-clock time at
 * which it could start: its due time, the enqueue or resume that let it
 * start, or the end of the job whose slot or key it waited for. Three
 * ticks: the transaction that made it startable can run a tick ahead of
 * the fake clock, and the loop call it schedules fires then; the loop can
 * run a tick ahead again, and the worker it schedules fires then; the
 * job's first transaction can run a tick ahead of that. No polling: a pool
 * that waited for its next round would trail by the round (the published
 * workpool's are 100 ms and more).
 */
export const START_LAG_MS = 3 * COMMIT_TICK_MS;

expect.extend({
  /**
   * On time: not before `due` (ms), and at most `starts` × START_LAG_MS
   * after it. `starts` counts the starts in a row that the time waited
   * for: a job that started as the one before it ended, which itself
   * started as its predecessor ended, … can trail by a lag per start.
   */
  toBeOnTime(received: unknown, due: number, starts = 1) {
    const latest = due + starts * START_LAG_MS;
    const pass = typeof received === "number" && received >= due && received <= latest;
    const window = `[${due}, ${latest}]` + (starts === 1 ? "" : ` (${starts} starts in a row)`);
    return {
      pass,
      message: () => `expected ${this.utils.printReceived(received)} ${pass ? "not " : ""}to be on time: in ${window}`,
    };
  },
  /** Within one COMMIT_TICK_MS of `expected` (ms): a time measured between two functions' clock readings. */
  toBeWithinATickOf(received: unknown, expected: number) {
    const pass = typeof received === "number" && Math.abs(received - expected) <= COMMIT_TICK_MS;
    return {
      pass,
      message: () =>
        `expected ${this.utils.printReceived(received)} ${pass ? "not " : ""}to be within ${COMMIT_TICK_MS} ms of ${expected}`,
    };
  },
});

interface TimingMatchers<R = unknown> {
  /** Not before `due`, and at most `starts` (default 1) × START_LAG_MS after it. */
  toBeOnTime(due: number, starts?: number): R;
  /** Within COMMIT_TICK_MS of `expected`, either way. */
  toBeWithinATickOf(expected: number): R;
}
declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merged with vitest's own
  interface Matchers<T = any> extends TimingMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merged with vitest's own
  interface AsymmetricMatchersContaining extends TimingMatchers {}
}

/** `expect.toBeOnTime(due, starts)`, for use inside `toEqual`. */
export const onTime = (due: number, starts = 1): number => expect.toBeOnTime(due, starts) as number;

/**
 * Times of a chain of starts, each waiting for the one before it to end
 * (one slot, one key): the n-th (from 1) may trail its `due` by n lags.
 */
export const chainOnTime = (dues: number[]): number[] => dues.map((due, i) => onTime(due, i + 1));

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
  /** Job ids queued in the inbox. */
  inboxIds: number;
  /** Job ids queued (inbox or startQueue) and due. */
  dueQueued: number;
  /** When the oldest completion the loop has not taken in was written, if any. */
  oldestCompletionAt: number | null;
  work: Array<Record<string, unknown> & { _id: string; state: string; attempts: number }>;
  config: { maxParallelism: number; logLevel: string } | null;
  /** What the loop is doing (test/inspect.ts#loopView). */
  loop: { state: "idle" | "running" | "scheduled"; wakeAt?: number; full: boolean };
  poolState: { running: Array<{ workId: string }> } | null;
  pendingScheduled: Array<{ name: string; scheduledTime: number; state: string }>;
  scheduledByName: Record<string, number>;
};

/**
 * The clock the next transaction will see (`Date.now()` in it): the fake
 * clock, or a commit tick ahead of it. Read by an inline query, which
 * commits nothing, so reading it changes nothing.
 */
export async function functionClock(t: Test): Promise<number> {
  return await t.query(() => Promise.resolve(Date.now()));
}

/** The pool's own tables and scheduled functions (white-box). */
export async function snapshot(t: Test, pool: PoolName = "workpool"): Promise<Snapshot> {
  const ref = (components[pool] as unknown as Record<string, Record<string, unknown>>)
    .testInspect!.snapshot as FunctionReference<"query", "internal">;
  return (await t.query(ref, {})) as Snapshot;
}

/**
 * Rows of a pool table, counted `pageSize` at a time (under Convex's limits a
 * snapshot cannot read many payload rows of about 1 MiB in one query).
 */
export async function countRows(t: Test, table: string, pageSize = 8, pool: PoolName = "workpool"): Promise<number> {
  const ref = (components[pool] as unknown as Record<string, Record<string, unknown>>)
    .testInspect!.countPage as FunctionReference<"query", "internal">;
  let n = 0;
  let cursor: string | null = null;
  for (;;) {
    const page = (await t.query(ref, { table, cursor, numItems: pageSize })) as { n: number; cursor: string; isDone: boolean };
    n += page.n;
    if (page.isDone) return n;
    cursor = page.cursor;
  }
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

/** Fixture jobs and workers (backing off before a report) waiting on the fake clock. */
function sleepers(): number {
  const g = globalThis as { __fixtureSleepers?: number; __workpoolPauses?: number };
  return (g.__fixtureSleepers ?? 0) + (g.__workpoolPauses ?? 0);
}

/**
 * Lets functions in flight run until they finish, or, while some fixture
 * job or worker waits on the fake clock (it cannot progress until the clock moves),
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

/**
 * runUntil the pool has nothing left to do but sleep: no job pending or
 * running, no ended attempt the loop has not taken in, and no onComplete
 * still to run (the loop runs those of jobs it ends itself, canceled or
 * recovered ones, in a finalize call it schedules).
 */
export async function runUntilSettled(t: Test, pool: PoolName = "workpool") {
  await runUntil(t, async () => {
    const s = await snapshot(t, pool);
    return (
      s.work.every((w) => w.state === "finished" && w.callbackPending !== true) && s.counts.pendingCompletion === 0
    );
  });
}
