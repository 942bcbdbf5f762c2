/// <reference types="vite/client" />
// How an app tests code that enqueues (the README's "Testing your app"):
// convex-test runs the app and each pool in-process, vitest's fake timers
// run what the pools schedule, and the pools' JSON log lines stay out of the
// output. The README's samples are excerpts of this file.
import { convexTest } from "convex-test";
import workpool from "convex-workpool/test";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api, components } from "./convex/_generated/api.js";
import schema from "./convex/schema.js";

const modules = import.meta.glob("./convex/**/*.ts");

async function setup() {
  const t = convexTest(schema, modules);
  // Each pool under the name convex.config.ts mounts it with.
  workpool.register(t, "emailWorkpool");
  workpool.register(t, "scrapeWorkpool");
  workpool.register(t, "counterPool");
  workpool.register(t, "apiWorkpool");
  // Pools log JSON lines (a report each minute they work, at the default
  // "REPORT"): only errors, in tests. A Workpool created with its own
  // logLevel option sends that one with each enqueue instead.
  await t.mutation(components.emailWorkpool.config.update, { logLevel: "ERROR" });
  return t;
}

// Pools schedule their work: fake timers let a test run all of it at once.
beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

test("a sign-up's welcome email is sent, and nothing is logged", async () => {
  const printed = (["log", "info", "debug", "warn"] as const).map((level) => vi.spyOn(console, level));
  const t = await setup();
  const { workId } = await t.mutation(api.emails.signUp, { email: "ada@example.com" });
  // Runs every scheduled function, and what they schedule, until none is left.
  await t.finishAllScheduledFunctions(vi.runAllTimers);
  const emails = await t.run((ctx) => ctx.db.query("emailLog").collect());
  expect(emails).toMatchObject([{ workId, email: "ada@example.com", outcome: "success" }]);
  for (const spy of printed) expect(spy).not.toHaveBeenCalled();
});

test("at the default log level, the same test logs the pool's report", async () => {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const t = convexTest(schema, modules);
  workpool.register(t, "emailWorkpool");
  await t.mutation(api.emails.signUp, { email: "ada@example.com" });
  await t.finishAllScheduledFunctions(vi.runAllTimers);
  const lines = log.mock.calls.map((args) => String(args[0]));
  expect(lines.some((line) => line.includes('"component":"workpool"'))).toBe(true);
});
