// Logging and events (DESIGN §10): one JSON line per event,
// {"component":"workpool","event":...}. INFO shows each job's `enqueued`,
// `started` and `completed`; the default REPORT shows only a once-a-minute
// `report` while the pool works; ERROR shows only problems, such as an
// onComplete that threw (which never stops the pool).
import { afterEach, beforeEach, describe, expect, test, vi, type MockInstance } from "vitest";
import { MINUTE, REPORT_INTERVAL_MS } from "../src/component/constants.js";
import { api } from "./fixture/_generated/api.js";
import { initConvexTest, runUntil, snapshot, type Test } from "./setup.js";

type Channel = "log" | "info" | "warn" | "error" | "debug";
type Event = { event: string; channel: Channel; at: number } & Record<string, unknown>;

let spies: MockInstance[] = [];
let events: Event[] = [];
let otherLines: { channel: Channel; text: string }[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  events = [];
  otherLines = [];
  spies = (["log", "info", "warn", "error", "debug"] as const).map((channel) =>
    vi.spyOn(console, channel).mockImplementation((...args: unknown[]) => {
      for (const arg of args) {
        if (typeof arg !== "string" || !arg.startsWith("{")) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(arg);
        } catch {
          continue;
        }
        const line = parsed as Record<string, unknown>;
        if (line.component === "workpool" && typeof line.event === "string") {
          events.push({ ...line, event: line.event, channel, at: Date.now() });
          return;
        }
      }
      otherLines.push({ channel, text: args.map(String).join(" ") });
    }),
  );
});
afterEach(() => {
  for (const spy of spies) spy.mockRestore();
  vi.useRealTimers();
});

const named = (name: string) => events.filter((e) => e.event === name);

function statusOf(t: Test, id: string) {
  return t.query(api.pools.statusOne, { id });
}
async function allFinished(t: Test) {
  return (await snapshot(t)).work.every((w) => w.state === "finished");
}

describe("logLevel INFO", () => {
  test("each job logs enqueued, started (with its start lag) and completed (with outcome and attempts) as JSON lines", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "logged" }],
      poolOptions: { logLevel: "INFO" },
    });
    const [bad] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "logged-bad", fail: "logged failure" }],
      options: { runAfter: 2000 },
      poolOptions: { logLevel: "INFO" },
    });
    await runUntil(t, () => allFinished(t));

    for (const workId of [id, bad]) {
      const mine = events.filter((e) => e.workId === workId);
      expect(mine.map((e) => e.event)).toEqual(["enqueued", "started", "completed"]);
      // Events are log lines, not warnings or errors.
      expect(mine.every((e) => e.channel === "log")).toBe(true);
      const started = mine[1]!;
      expect(started.startLag).toEqual(expect.any(Number));
      expect(started.startLag as number).toBeGreaterThanOrEqual(0);
    }
    // `status` is the published package's name for the outcome.
    expect(events.find((e) => e.workId === id && e.event === "completed")).toMatchObject({
      outcome: "success",
      status: "success",
      attempts: 1,
    });
    expect(events.find((e) => e.workId === bad && e.event === "completed")).toMatchObject({
      outcome: "failed",
      status: "failed",
      attempts: 1,
      error: expect.stringContaining("logged failure"),
    });
    // A delayed job's start lag counts from its due time, not from enqueue.
    expect(events.find((e) => e.workId === bad && e.event === "started")!.startLag as number).toBeLessThan(2000);
  });

  test("a failed attempt that will retry logs completed with outcome retry (status retrying, the published name)", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "flaky", fail: "flake", failRuns: 1 }],
      options: { retry: { maxAttempts: 2, initialBackoffMs: 10, base: 1 } },
      poolOptions: { logLevel: "INFO" },
    });
    await runUntil(t, () => allFinished(t));
    const completed = events.filter((e) => e.workId === id && e.event === "completed");
    expect(completed).toMatchObject([
      { outcome: "retry", status: "retrying", attempts: 1, error: "flake (run 1)" },
      { outcome: "success", status: "success", attempts: 2 },
    ]);
  });

  test("a job canceled while pending logs completed with outcome canceled", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "never" }],
      poolOptions: { logLevel: "INFO", maxParallelism: 0 },
    });
    await t.mutation(api.pools.cancel, { id: id! });
    await runUntil(t, () => allFinished(t));
    const mine = events.filter((e) => e.workId === id);
    expect(mine.map((e) => e.event)).toEqual(["enqueued", "completed"]);
    expect(mine[1]).toMatchObject({ outcome: "canceled", status: "canceled", attempts: 0 });
  });
});

describe("logLevel INFO with cancelAll", () => {
  // Regression: jobs canceled under a cancelAll barrier once logged no
  // `completed` event (DESIGN §10).
  test("every job canceled by a cancelAll over several pages logs completed with outcome canceled", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: Array.from({ length: 30 }, (_, i) => ({ tag: `c${i}` })),
      poolOptions: { logLevel: "INFO", maxParallelism: 10 },
    });
    await t.mutation(api.pools.cancelAll, { limit: 10 });
    // The loop runs before the next page (see cancel.test.ts).
    vi.advanceTimersToNextTimer();
    await t.finishInProgressScheduledFunctions();
    await runUntil(t, () => allFinished(t));
    for (const id of ids) {
      const completed = events.filter((e) => e.workId === id && e.event === "completed");
      expect(completed, id).toEqual([expect.objectContaining({ outcome: "canceled", attempts: 0 })]);
    }
  });
});

describe("logLevel REPORT (the default)", () => {
  test("no per-job events; a report with the counts appears once a minute while the pool works, and none when idle", async () => {
    const t = initConvexTest();
    // Two and a half minutes of work at cap 1: a success, a job that fails,
    // retries and fails for good, two more successes, and one canceled.
    const long = { durationMs: 25_000 };
    const ids = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [
        { tag: "a", ...long },
        { tag: "b", ...long, fail: "b fails" },
        { tag: "c", ...long },
        { tag: "d", ...long },
        { tag: "e", ...long },
        { tag: "f", ...long },
      ],
      options: { retry: { maxAttempts: 2, initialBackoffMs: 1000, base: 2 } },
      poolOptions: { maxParallelism: 1 },
    });
    await t.mutation(api.pools.cancel, { id: ids[4]! });
    await runUntil(t, () => allFinished(t));
    const end = Date.now();

    for (const name of ["enqueued", "started", "completed"]) expect(named(name)).toEqual([]);
    const reports = named("report");
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports) {
      expect(report.channel).toBe("log");
      for (const field of ["completed", "succeeded", "failed", "retries", "canceled", "running"]) {
        expect(report[field], field).toEqual(expect.any(Number));
      }
      expect(report.windowMs as number).toBeGreaterThanOrEqual(REPORT_INTERVAL_MS);
      expect(report.completed).toBe((report.succeeded as number) + (report.failed as number) + (report.canceled as number));
      // The published package's rate, for monitors written against it.
      const ran = (report.succeeded as number) + (report.failed as number);
      expect(report.permanentFailureRate).toBe(ran === 0 ? 0 : (report.failed as number) / ran);
    }
    // Once a minute: never two reports within a minute of each other.
    for (let i = 1; i < reports.length; i++) {
      expect(reports[i]!.at - reports[i - 1]!.at).toBeGreaterThanOrEqual(REPORT_INTERVAL_MS);
    }
    const sum = (field: string) => reports.reduce((n, r) => n + (r[field] as number), 0);
    expect(sum("succeeded")).toBeGreaterThanOrEqual(2);
    expect(sum("succeeded")).toBeLessThanOrEqual(4);
    expect(sum("canceled")).toBe(1);
    expect(sum("retries")).toBe(1);
    expect(sum("failed")).toBeLessThanOrEqual(1);
    expect(reports[0]!.running).toBe(1);
    expect(end).toBeGreaterThan(reports[reports.length - 1]!.at);

    // Idle: the clock moves on, nothing more is reported.
    const before = events.length;
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    await t.finishInProgressScheduledFunctions();
    expect(events.slice(before).filter((e) => e.event === "report")).toEqual([]);
  });
});

describe("the report's backlog", () => {
  // Regression: the report once had no `backlog` (DESIGN §10).
  test("a report says how many jobs wait to start", async () => {
    const t = initConvexTest();
    await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: "x", durationMs: 70_000 }, { tag: "y", durationMs: 70_000 }, { tag: "z", durationMs: 70_000 }],
      poolOptions: { maxParallelism: 1 },
    });
    await runUntil(t, () => Promise.resolve(named("report").length > 0));
    // At the first report (after a minute) x runs and y, z wait.
    expect(named("report")[0]).toMatchObject({ running: 1, backlog: 2 });
  });
});

describe("logLevel ERROR", () => {
  test.each(["action", "mutation"] as const)(
    "a throwing onComplete of a %s job logs onCompleteFailed; the job keeps its own outcome and the pool goes on",
    async (kind) => {
      const t = initConvexTest();
      const [id] = await t.mutation(api.pools.enqueue, {
        kind,
        args: [{ tag: "cb-throws" }],
        poolOptions: { logLevel: "ERROR", maxParallelism: 1 },
        callback: "throw",
      });
      await runUntil(t, async () => (await statusOf(t, id!)).state === "finished");

      const failed = named("onCompleteFailed");
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        channel: "error",
        workId: id,
        error: expect.stringContaining("onComplete failed on purpose"),
      });
      expect(await statusOf(t, id!)).toMatchObject({ state: "finished", outcome: "success", attempts: 1 });
      // The callback's own writes rolled back.
      expect(await t.run((ctx) => ctx.db.query("completions").collect())).toEqual([]);

      // The pool goes on: a later job runs (its slot was not leaked).
      const [later] = await t.mutation(api.pools.enqueue, {
        kind,
        args: [{ tag: "after" }],
        poolOptions: { logLevel: "ERROR", maxParallelism: 1 },
        callback: "record",
      });
      await runUntil(t, async () => (await statusOf(t, later!)).state === "finished");
      expect(await statusOf(t, later!)).toMatchObject({ state: "finished", outcome: "success" });
      const done = await t.run((ctx) => ctx.db.query("completions").collect());
      expect(done.map((c) => c.workId)).toEqual([later]);

      // Only problems are printed at ERROR.
      expect(events.map((e) => e.event)).toEqual(["onCompleteFailed"]);
    },
  );

  test("a throwing onComplete of a job canceled while pending is logged too", async () => {
    const t = initConvexTest();
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "mutation",
      args: [{ tag: "canceled-cb-throws" }],
      poolOptions: { logLevel: "ERROR", maxParallelism: 0 },
      callback: "throw",
    });
    await t.mutation(api.pools.cancel, { id: id! });
    await runUntil(t, () => Promise.resolve(named("onCompleteFailed").length > 0));
    expect(named("onCompleteFailed")[0]).toMatchObject({ workId: id, channel: "error" });
    expect(await statusOf(t, id!)).toMatchObject({ state: "finished", outcome: "canceled" });
  });
});
