// @convex-dev/workflow 0.5.0, a real client of the workpool API, running on
// this package installed as @convex-dev/workpool (see README, Development):
// every step below is a job in the workflow component's pool, and the
// workflow advances when that pool calls its onComplete.
import { afterEach, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import type { WorkflowId } from "@convex-dev/workflow";
import { internal } from "./app/_generated/api.js";
import type { WorkflowName } from "./app/control.js";
import type { OutOfStock } from "./app/steps.js";
import {
  advance,
  assertBuildIsCurrent,
  drain,
  initWorkflowTest,
  stepsWaiting,
  stepUntil,
  type WorkflowTest,
} from "./setup.js";

beforeAll(assertBuildIsCurrent);
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function start(t: WorkflowTest, name: WorkflowName, args: Record<string, unknown>) {
  return t.mutation(internal.control.start, { name, args });
}

function status(t: WorkflowTest, workflowId: WorkflowId) {
  return t.query(internal.control.status, { workflowId });
}

type StepEntry = {
  name: string;
  kind: string;
  workId?: string;
  nestedWorkflowId?: string;
  runResult?: { kind: string; returnValue?: unknown; error?: string; errorData?: unknown };
};

async function steps(t: WorkflowTest, workflowId: WorkflowId): Promise<StepEntry[]> {
  // The query returns workflow's WorkflowStep[] (declared v.any()).
  return await t.query(internal.control.steps, { workflowId });
}

/** What the workflow's onComplete received, one entry per call. */
async function completions(
  t: WorkflowTest,
  workflowId: WorkflowId,
): Promise<{ result: Record<string, unknown>; context: unknown }[]> {
  const rows = await t.run((ctx) =>
    ctx.db
      .query("completions")
      .withIndex("by_workflowId", (q) => q.eq("workflowId", workflowId))
      .collect(),
  );
  return rows.map(({ result, context }) => ({ result, context }));
}

async function attempts(t: WorkflowTest, key: string): Promise<number> {
  const row = await t.run((ctx) =>
    ctx.db
      .query("attempts")
      .withIndex("by_key", (q) => q.eq("key", key))
      .unique(),
  );
  return row?.count ?? 0;
}

const outOfStock = (sku: string): OutOfStock => ({
  code: "OUT_OF_STOCK",
  message: `${sku} is out of stock`,
  sku,
});

describe("steps", () => {
  test("a workflow runs an action, a mutation and a query step, each as a pool job, and returns their results", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "greet", { name: "ada" });
    await drain(t);

    const greeting = { shouted: "ADA!", notes: ["greeted ada"] };
    expect(await status(t, workflowId)).toEqual({ type: "completed", result: greeting });
    const journal = await steps(t, workflowId);
    expect(journal.map((s) => [s.name, s.runResult])).toEqual([
      ["steps:shout", { kind: "success", returnValue: "ADA!" }],
      ["steps:addNote", { kind: "success", returnValue: expect.any(String) }],
      ["steps:noteTexts", { kind: "success", returnValue: ["greeted ada"] }],
    ]);
    // Each step was enqueued in the pool, which handed back a work id.
    for (const s of journal) expect(s.workId).toEqual(expect.any(String));
  });

  test("the workflow's onComplete runs once, with the workflow's result and context", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "greet", { name: "ada" });
    await drain(t);

    expect(await completions(t, workflowId)).toEqual([
      {
        result: { kind: "success", returnValue: { shouted: "ADA!", notes: ["greeted ada"] } },
        context: { name: "greet" },
      },
    ]);
  });

  test("a nested workflow runs to its end and its result is the parent's step result", async () => {
    const t = initWorkflowTest();
    const parentId = await start(t, "greetNested", { name: "bo" });
    await drain(t);

    const child = { shouted: "BO!", notes: ["greeted bo"] };
    expect(await status(t, parentId)).toEqual({
      type: "completed",
      result: { child, notesAfter: ["greeted bo", "parent done"] },
    });
    const [nested, ...rest] = await steps(t, parentId);
    expect(nested).toMatchObject({ kind: "workflow", runResult: { kind: "success", returnValue: child } });
    expect(rest.map((s) => s.name)).toEqual(["steps:addNote", "steps:noteTexts"]);
    const childId = nested!.nestedWorkflowId as WorkflowId;
    expect(await status(t, childId)).toEqual({ type: "completed", result: child });
    // Only the parent was started with our onComplete; the child reports to it.
    expect(await completions(t, parentId)).toHaveLength(1);
    expect(await completions(t, childId)).toEqual([]);
  });

  test("cleaning up a finished workflow removes its nested workflow too, through a batch of pool jobs", async () => {
    const t = initWorkflowTest();
    const parentId = await start(t, "greetNested", { name: "bo" });
    await drain(t);
    expect(await t.query(internal.control.all, {})).toHaveLength(2);

    expect(await t.mutation(internal.control.cleanup, { workflowId: parentId })).toBe(true);
    await drain(t);
    expect(await t.query(internal.control.all, {})).toEqual([]);
  });

  test("a sleep step holds the workflow for its time, as a delayed pool job", async () => {
    const t = initWorkflowTest();
    await start(t, "sleepThenMark", { ms: 1_000 });
    const reached = () => t.run((ctx) => ctx.db.query("reached").collect());

    await advance(t, 900);
    expect(await reached()).toEqual([]);
    await advance(t, 600);
    expect(await reached()).toMatchObject([{ label: "after sleep" }]);
  });
});

describe("failures and retries", () => {
  test("an action step that fails twice succeeds on its third attempt, and the workflow gets its result", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "retried", { key: "flaky", failures: 2 });
    await drain(t);

    expect(await attempts(t, "flaky")).toBe(3);
    expect(await status(t, workflowId)).toEqual({ type: "completed", result: 3 });
    // Failed attempts are retried inside the pool: one step, one result.
    const journal = await steps(t, workflowId);
    expect(journal.map((s) => s.runResult)).toEqual([{ kind: "success", returnValue: 3 }]);
    expect(await completions(t, workflowId)).toEqual([
      { result: { kind: "success", returnValue: 3 }, context: { name: "retried" } },
    ]);
  });

  test("an action step that fails on every attempt fails the workflow with its last error", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "retried", { key: "broken", failures: 10 });
    await drain(t);

    expect(await attempts(t, "broken")).toBe(3);
    expect(await status(t, workflowId)).toEqual({
      type: "failed",
      error: expect.stringContaining("flaky run 3 failed"),
    });
    const [completion, ...more] = await completions(t, workflowId);
    expect(more).toEqual([]);
    expect(completion!.result).toMatchObject({ kind: "failed", error: expect.stringContaining("flaky run 3 failed") });
  });

  test("a step that throws NonRetryableError fails at once, though retries are configured", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "refused", { key: "card" });
    await drain(t);

    expect(await attempts(t, "card")).toBe(1);
    const [step] = await steps(t, workflowId);
    expect(step!.runResult).toMatchObject({ kind: "failed", error: "card declined" });
    expect(await status(t, workflowId)).toEqual({
      type: "failed",
      error: expect.stringContaining("card declined"),
    });
    const [completion, ...more] = await completions(t, workflowId);
    expect(more).toEqual([]);
    expect(completion!.result).toMatchObject({ kind: "failed", error: expect.stringContaining("card declined") });
  });

  test("a step that throws a ConvexError fails the workflow with the error's message", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "reserveUncaught", { key: "reserve", sku: "sku-7" });
    await drain(t);

    // No retry was asked for: one run.
    expect(await attempts(t, "reserve")).toBe(1);
    const [step] = await steps(t, workflowId);
    expect(step!.runResult).toMatchObject({
      kind: "failed",
      error: expect.stringContaining("sku-7 is out of stock"),
    });
    expect(await status(t, workflowId)).toEqual({
      type: "failed",
      error: expect.stringContaining("sku-7 is out of stock"),
    });
    const [completion, ...more] = await completions(t, workflowId);
    expect(more).toEqual([]);
    expect(completion!.result).toMatchObject({
      kind: "failed",
      error: expect.stringContaining("sku-7 is out of stock"),
    });
  });
});

// Workflow 0.5.0 reads `errorData` (the thrown ConvexError's `data`, on a
// failed RunResult since the published workpool 0.4.16): it rethrows a
// failed step as a ConvexError carrying that data, and puts the data of a
// ConvexError its handler throws on the workflow's own result.
describe("ConvexError data (errorData)", () => {
  test("a failed step's result carries its ConvexError's data as errorData, and so does the workflow's", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "reserveUncaught", { key: "reserve", sku: "sku-7" });
    await drain(t);

    const [step] = await steps(t, workflowId);
    expect(step!.runResult).toEqual({
      kind: "failed",
      error: expect.stringContaining("sku-7 is out of stock"),
      errorData: outOfStock("sku-7"),
    });
    const [completion] = await completions(t, workflowId);
    expect(completion!.result).toEqual({
      kind: "failed",
      error: expect.stringContaining("sku-7 is out of stock"),
      errorData: outOfStock("sku-7"),
    });
  });

  test("a workflow catches a failed step as a ConvexError with its data", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "reserveCaught", { key: "reserve", sku: "sku-8" });
    await drain(t);

    expect(await status(t, workflowId)).toEqual({
      type: "completed",
      result: { caughtData: outOfStock("sku-8") },
    });
  });

  test("a workflow whose handler throws a ConvexError fails with its message and data", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "rejectInHandler", { sku: "sku-9" });
    await drain(t);

    const data = { code: "DISCONTINUED", message: "sku-9 is discontinued", sku: "sku-9" };
    // Failed with the ConvexError itself (workflow formats it with its stack).
    expect(await status(t, workflowId)).toEqual({
      type: "failed",
      error: expect.stringMatching(/^ConvexError: .*sku-9 is discontinued/),
    });
    const [completion, ...more] = await completions(t, workflowId);
    expect(more).toEqual([]);
    expect(completion!.result).toEqual({
      kind: "failed",
      error: expect.stringContaining("sku-9 is discontinued"),
      errorData: data,
    });
  });
});

describe("cancel", () => {
  test("canceling a workflow while its action step runs ends it canceled; later steps never run", async () => {
    const t = initWorkflowTest();
    const workflowId = await start(t, "waitThenMark", { ms: 60_000 });
    await stepUntil(t, () => stepsWaiting() > 0);

    expect(await status(t, workflowId)).toMatchObject({
      type: "inProgress",
      running: [{ name: "steps:wait", inProgress: true }],
    });
    await t.mutation(internal.control.cancel, { workflowId });
    expect(await status(t, workflowId)).toEqual({ type: "canceled" });
    expect(await completions(t, workflowId)).toEqual([
      { result: { kind: "canceled" }, context: { name: "waitThenMark" } },
    ]);

    // The running action still finishes (a function cannot be stopped), and
    // the pool reports it; the canceled workflow ignores the report.
    await drain(t);
    expect(stepsWaiting()).toBe(0);
    expect(await status(t, workflowId)).toEqual({ type: "canceled" });
    expect(await t.run((ctx) => ctx.db.query("reached").collect())).toEqual([]);
    expect(await completions(t, workflowId)).toHaveLength(1);
  });
});
