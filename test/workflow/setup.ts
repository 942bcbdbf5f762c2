/// <reference types="vite/client" />
// One backend per test for the workflow suite: the app in ./app, with
// @convex-dev/workflow registered by its own test helper. That helper also
// registers the workflow's pool, `workflow/workpool`, through
// `@convex-dev/workpool/test`: in this repository, this package's
// src/test.ts, reached through node_modules like any installed package.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { convexTest } from "convex-test";
import workflowTest from "@convex-dev/workflow/test";
import { vi } from "vitest";
import schema from "./app/schema.js";

const modules = import.meta.glob("./app/**/*.ts");

export function initWorkflowTest() {
  const t = convexTest({ schema, modules });
  workflowTest.register(t, "workflow");
  return t;
}
export type WorkflowTest = ReturnType<typeof initWorkflowTest>;

/** Runs every timer and scheduled function until nothing is left. */
export async function drain(t: WorkflowTest) {
  await t.finishAllScheduledFunctions(() => vi.runAllTimers(), 1000);
}

/**
 * Advances the fake clock by `ms` in steps of `stepMs`, letting scheduled
 * functions that come due run at their time.
 */
export async function advance(t: WorkflowTest, ms: number, stepMs = 10) {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - elapsed));
    await t.finishInProgressScheduledFunctions();
  }
}

// Captured before any test fakes the clock.
const realSetTimeout = globalThis.setTimeout;
const realPause = () => new Promise<void>((resolve) => realSetTimeout(resolve, 2));
/** Real-time pauses (about 10 s) after which work in flight counts as stuck. */
const MAX_PAUSES = 5_000;

/** How many `steps.wait` actions are parked on the fake clock right now. */
export function stepsWaiting(): number {
  return (globalThis as { __workflowStepsWaiting?: number }).__workflowStepsWaiting ?? 0;
}

/**
 * Fires timers one at a time, in time order, until `done()` holds. Before
 * each timer, functions in flight run (in real time, the fake clock held)
 * until they all finish or `done()` holds, so the clock never jumps past
 * work that is still going.
 */
export async function stepUntil(t: WorkflowTest, done: () => boolean, maxTimers = 200) {
  for (let fired = 0; fired <= maxTimers; fired++) {
    let idle = false;
    void t.finishInProgressScheduledFunctions().then(() => {
      idle = true;
    });
    for (let pause = 0; !done() && !idle; pause++) {
      if (pause === MAX_PAUSES) throw new Error("stepUntil: functions in flight made no progress");
      await realPause();
    }
    if (done()) return;
    if (vi.getTimerCount() === 0) {
      throw new Error("stepUntil: no timers left and the condition does not hold");
    }
    await vi.advanceTimersToNextTimerAsync();
  }
  throw new Error(`stepUntil: the condition did not hold after ${maxTimers} timers`);
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Files under `dir` that the build compiles (tests are not built). */
function builtSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) return builtSources(file);
    return /\.test(-d)?\.ts$/.test(entry.name) ? [] : [file];
  });
}

/**
 * Workflow's component imports `@convex-dev/workpool`, whose "." export is
 * this package's dist/, so these tests run on the last build. `npm test`
 * builds first (its pretest script); this check stops a bare `vitest` run
 * from quietly testing a build older than src/.
 */
export function assertBuildIsCurrent(): void {
  const built = statSync(join(ROOT, "dist/client/index.js"), { throwIfNoEntry: false });
  const stale = built
    ? builtSources(join(ROOT, "src")).filter((file) => statSync(file).mtimeMs > built.mtimeMs)
    : [];
  if (!built || stale.length > 0) {
    throw new Error(
      `dist/ is ${built ? `older than ${stale.length} file(s) in src/ (e.g. ${stale[0]})` : "missing"}: ` +
        "the workflow tests load this package from its build. Run `npm run build`, or `npm test`, which builds first.",
    );
  }
}
