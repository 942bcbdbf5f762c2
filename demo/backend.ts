// The embedded backend: convex-test (in-process) running the example app and
// its pools, on a fake clock that the demo moves one timer at a time.
// Scheduler time is the fake clock's: a job that "takes 2 s" takes no real
// time, so the whole run lasts seconds.
import { fileURLToPath } from "node:url";
import FakeTimers from "@sinonjs/fake-timers";
import { convexTest } from "convex-test";
import schema from "../example/convex/schema.js";
import componentSchema from "../src/component/schema.js";
import { loadModules } from "./modules.js";

/**
 * The pools' names in example/convex/convex.config.ts: all of them, since the
 * app's stats query reads every pool (the demo gives apiWorkpool no work).
 */
const MOUNTS = ["emailWorkpool", "scrapeWorkpool", "counterPool", "apiWorkpool"] as const;

/**
 * Functions in flight progress through promises alone (the modules are
 * preloaded, and the scheduler's timers are fake), so one real event-loop
 * turn lets them run as far as they can. After this many turns without
 * change while demo jobs sleep, what is left waits on the clock.
 */
const QUIET_TURNS = 2;
/** Turns without finishing, and with nothing asleep, after which something is wrong. */
const MAX_BUSY_TURNS = 10_000;

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
/** One real event-loop turn (setImmediate is not faked). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Demo jobs waiting on the fake clock (counted by `sleep` in example/convex/demo.ts). */
const sleepers = () => (globalThis as { __demoSleepers?: number }).__demoSleepers ?? 0;

export async function startBackend(startTime: number) {
  const appModules = await loadModules(here("../example/convex"));
  const componentModules = await loadModules(here("../src/component"));
  // Fake the clock before convex-test is created: it schedules functions
  // with the global setTimeout and reads Date.now().
  const clock = FakeTimers.install({
    now: startTime,
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
  const t = convexTest(schema, appModules);
  for (const name of MOUNTS) t.registerComponent(name, componentSchema, componentModules);

  /**
   * Lets the functions in flight run until they have finished, or until the
   * only ones left are demo jobs sleeping on the fake clock (they cannot go
   * on until it moves).
   */
  async function settle() {
    let finished = false;
    let failure: Error | undefined;
    t.finishInProgressScheduledFunctions().then(
      () => (finished = true),
      (e: unknown) => (failure = e instanceof Error ? e : new Error(String(e))),
    );
    let quiet = 0;
    for (let turn = 0; !finished && quiet < QUIET_TURNS; turn++) {
      if (failure !== undefined) throw failure;
      if (turn > MAX_BUSY_TURNS) throw new Error("work in flight neither finishes nor waits on the clock");
      const mark = `${clock.countTimers()}/${sleepers()}`;
      await nextTurn();
      quiet = sleepers() > 0 && `${clock.countTimers()}/${sleepers()}` === mark ? quiet + 1 : 0;
    }
  }

  /** Fires the next timer (the clock jumps to its time) and lets what it started run. */
  async function step(): Promise<boolean> {
    if (clock.countTimers() === 0) return false;
    clock.next();
    await settle();
    return true;
  }

  return { t, clock, step, stop: () => clock.uninstall() };
}
