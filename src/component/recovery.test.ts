// lostWorker's reading of each scheduler state (and, for a worker that ended
// without error, of the time since its attempt started). Not every state can
// be produced end to end under convex-test (it refuses to start a function
// whose state is not pending), so each is checked here directly.
import { describe, expect, test } from "vitest";
import { DELIVERY_WAIT_MS } from "./constants.js";
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
    [null, "the worker running this job disappeared before reporting a result"],
  ])("a worker in state %s → %s", async (state, reason) => {
    expect(await lostWorker(dbWith(state), entry, entry.startedAt + DELIVERY_WAIT_MS)).toBe(reason);
  });

  test("a worker that ended without error has a delivery on the way: its attempt is lost only DELIVERY_WAIT_MS after it started", async () => {
    expect(await lostWorker(dbWith("success"), entry, entry.startedAt + 1)).toBeNull();
    expect(await lostWorker(dbWith("success"), entry, entry.startedAt + DELIVERY_WAIT_MS - 1)).toBeNull();
    expect(await lostWorker(dbWith("success"), entry, entry.startedAt + DELIVERY_WAIT_MS)).toBe(
      "the worker running this job ended, but its result did not arrive within 6 hours",
    );
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
