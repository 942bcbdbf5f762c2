import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "./fixture/_generated/api.js";
import { drain, initConvexTest } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("an action job runs once and onComplete receives its result", async () => {
  const t = initConvexTest();
  const [id] = await t.mutation(api.pools.enqueue, {
    kind: "action",
    args: [{ tag: "a" }],
    callback: "record",
    options: { context: { hello: "world" } },
  });
  await drain(t);
  const completions = await t.run((ctx) => ctx.db.query("completions").collect());
  expect(completions).toHaveLength(1);
  expect(completions[0]).toMatchObject({
    workId: id,
    context: { hello: "world" },
    result: { kind: "success", returnValue: { tag: "a", run: 1 } },
  });
});

test("the inspection module sees the pool's tables", async () => {
  const { snapshot } = await import("./setup.js");
  const t = initConvexTest();
  await t.mutation(api.pools.enqueue, { kind: "mutation", args: [{ tag: "m" }] });
  const before = await snapshot(t);
  expect(before.counts.work).toBe(1);
  const { runUntil } = await import("./setup.js");
  // Until the loop has freed the slot and gone to sleep.
  await runUntil(t, async () => {
    const s = await snapshot(t);
    return s.work[0]?.state === "finished" && s.loop.state === "scheduled" && s.poolState?.running.length === 0;
  });
  const after = await snapshot(t);
  expect(after.work[0]).toMatchObject({ state: "finished", outcome: "success" });
  // Only the sweep of retained outcomes is left, a day later, and the
  // watchdog that checks that call ran.
  expect(after.pendingScheduled.map((f) => f.name).sort()).toEqual(["loop:main", "loop:watchdog"]);
  await drain(t);
  expect((await snapshot(t)).counts.work).toBe(0);
  expect((await snapshot(t)).pendingScheduled).toEqual([]);
});
