// lostWorker's reading of each scheduler state. The "failed" state cannot be
// produced end to end under convex-test (it refuses to start a function
// whose state is not pending), so each state is checked here directly.
import { describe, expect, test } from "vitest";
import { lostWorker, stillRunning, type RunningEntry } from "./recovery.js";
import type { Doc, Id } from "./_generated/dataModel.js";

const entry = {
  workId: "w1" as Id<"work">,
  attempt: 0,
  startedAt: 0,
  scheduledId: "s1" as Id<"_scheduled_functions">,
} satisfies RunningEntry;

function dbWith(state: string | null) {
  return {
    system: {
      get: (_table: string, _id: string) => Promise.resolve(state === null ? null : { state: { kind: state } }),
    },
  } as unknown as Parameters<typeof lostWorker>[0];
}

describe("lostWorker", () => {
  test.each([
    ["pending", null],
    ["inProgress", null],
    ["failed", "the worker running this job failed before reporting a result"],
    ["canceled", "the worker running this job was canceled before it reported a result"],
    ["success", "the worker running this job ended without reporting its result"],
    [null, "the worker running this job disappeared before reporting a result"],
  ])("a worker in state %s → %s", async (state, reason) => {
    expect(await lostWorker(dbWith(state), entry)).toBe(reason);
  });
});

describe("stillRunning", () => {
  const work = (state: string, attempts: number) => ({ state, attempts }) as unknown as Doc<"work">;
  test("only the attempt the entry started counts as running", () => {
    expect(stillRunning(work("running", 0), entry)).toBe(true);
    expect(stillRunning(work("running", 1), entry)).toBe(false);
    expect(stillRunning(work("pending", 1), entry)).toBe(false);
    expect(stillRunning(work("finished", 1), entry)).toBe(false);
    expect(stillRunning(null, entry)).toBe(false);
  });
});
