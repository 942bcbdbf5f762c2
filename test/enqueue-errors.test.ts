// What enqueue refuses, and how: the same error from the client as from the
// component for a value too large (a ConvexError VALUE_TOO_LARGE, one
// message), and a function that is neither a reference nor a handle
// refused at once, naming the field, the rule and the value, rather than
// failing attempt after attempt when the job runs.
import { createFunctionHandle, type FunctionReference } from "convex/server";
import { ConvexError, getConvexSize } from "convex/values";
import { Workpool } from "convex-workpool";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { MAX_VALUE_BYTES } from "../src/component/constants.js";
import { api, components, internal } from "./fixture/_generated/api.js";
import { drain, initConvexTest, snapshot, type Test } from "./setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

type ErrorData = { code: string; message: string };

/** The error `act` fails with: its class, and its data if a ConvexError. */
async function failure(act: () => Promise<unknown>): Promise<{ error: Error; data?: ErrorData }> {
  try {
    await act();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e instanceof ConvexError ? { error: e, data: e.data as ErrorData } : { error: e as Error };
  }
  throw new Error("expected the call to fail");
}

/** Just above the limit, as Convex counts it: a string field of that many bytes and a little more. */
const big = "x".repeat(MAX_VALUE_BYTES + 1);

/** The component's enqueue, called as the client would but without its checks. */
function enqueueDirectly(t: Test, fields: Record<string, unknown>) {
  return t.mutation(components.workpool.lib.enqueue, {
    fnHandle: "function://;jobs:action",
    fnName: "jobs:action",
    fnType: "action",
    fnArgs: {},
    runAt: Date.now(),
    config: {},
    ...fields,
  } as never);
}

async function expectNothingStored(t: Test) {
  const s = await snapshot(t);
  expect(s.work).toEqual([]);
  expect(s.pendingScheduled).toEqual([]);
}

describe("a value too large is the same ConvexError from the client and from the component", () => {
  test("args: code VALUE_TOO_LARGE and one message, naming the function and the size", async () => {
    const t = initConvexTest();
    const client = await failure(() => t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "x", returns: big }] }));
    const component = await failure(() => enqueueDirectly(t, { fnArgs: { tag: "x", returns: big } }));
    expect(client.error).toBeInstanceOf(ConvexError);
    expect(component.error).toBeInstanceOf(ConvexError);
    expect(client.data).toEqual(component.data);
    const bytes = getConvexSize({ tag: "x", returns: big });
    expect(client.data).toEqual({
      code: "VALUE_TOO_LARGE",
      message: `args of jobs:action is ${bytes} bytes; the limit is ${MAX_VALUE_BYTES} bytes (1 MiB less room for the row)`,
    });
    await expectNothingStored(t);
  });

  test("onComplete context: the same code and message from both sides", async () => {
    const t = initConvexTest();
    const client = await failure(() =>
      t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "x" }], callback: "record", options: { context: big } }),
    );
    const handle = await t.run(async () => await createFunctionHandle(internal.pools.recordCompletion));
    const component = await failure(() => enqueueDirectly(t, { onComplete: { fnHandle: handle, context: big } }));
    expect(client.error).toBeInstanceOf(ConvexError);
    expect(client.data).toEqual(component.data);
    expect(client.data?.code).toBe("VALUE_TOO_LARGE");
    expect(client.data?.message).toMatch(/^onComplete context of jobs:action is \d+ bytes; the limit is 1044480 bytes/);
    await expectNothingStored(t);
  });

  test("a batch with one element too large: VALUE_TOO_LARGE naming the element, nothing enqueued", async () => {
    const t = initConvexTest();
    const { error, data } = await failure(() =>
      t.mutation(api.pools.enqueue, { kind: "action", batch: true, args: [{ tag: "a" }, { tag: "b", returns: big }] }),
    );
    expect(error).toBeInstanceOf(ConvexError);
    expect(data?.code).toBe("VALUE_TOO_LARGE");
    expect(data?.message).toMatch(/^args of jobs:action \(argsArray\[1\]\) is \d+ bytes; the limit is 1044480 bytes/);
    await expectNothingStored(t);
  });

  test("a value at the limit is accepted by both", async () => {
    const t = initConvexTest();
    // Args of exactly MAX_VALUE_BYTES, as Convex counts them.
    const n = MAX_VALUE_BYTES - getConvexSize({ tag: "x", returns: "" });
    expect(getConvexSize({ tag: "x", returns: "x".repeat(n) })).toBe(MAX_VALUE_BYTES);
    await t.mutation(api.pools.enqueue, { kind: "action", args: [{ tag: "x", returns: "x".repeat(n) }] });
    await enqueueDirectly(t, { fnArgs: { tag: "x", returns: "x".repeat(n) } });
    expect((await snapshot(t)).work).toHaveLength(2);
  });
});

describe("a function that is neither a reference nor a handle is refused at enqueue", () => {
  const rule =
    'fn must be a function reference (like internal.emails.send) or a function handle ' +
    '(a string from createFunctionHandle, starting with "function://")';

  /** Enqueues `fn` through the client, as an app's mutation would (its types would catch most of these). */
  const enqueueFn = (t: Test, fn: unknown, method: "enqueueAction" | "enqueueMutationBatch" = "enqueueAction") =>
    t.run(async (ctx) => {
      const pool = new Workpool(components.workpool);
      const ref = fn as FunctionReference<"action", "internal">;
      return method === "enqueueAction"
        ? [await pool.enqueueAction(ctx, ref, {})]
        : await pool.enqueueMutationBatch(ctx, fn as FunctionReference<"mutation", "internal">, [{}, {}]);
    });

  test.each([
    ["a function's name", "jobs:action", '"jobs:action"'],
    ["a path with a slash", "jobs/action", '"jobs/action"'],
    ["a handle missing a slash", "function:/;jobs:action", '"function:/;jobs:action"'],
    ["an empty handle", "function://", '"function://"'],
    ["a handle with a space", "function:// jobs:action", '"function:// jobs:action"'],
    ["an empty string", "", '""'],
    ["an object", { name: "jobs:action" }, '{"name":"jobs:action"}'],
    ["a number", 42, "42"],
    ["undefined", undefined, "undefined"],
  ])("%s: an Error naming fn, the rule and the value; nothing stored", async (_what, fn, shown) => {
    const t = initConvexTest();
    const { error } = await failure(() => enqueueFn(t, fn));
    expect(error).not.toBeInstanceOf(ConvexError);
    expect(error.message).toBe(`${rule}, got ${shown}`);
    await expectNothingStored(t);
  });

  test("batches are checked the same way", async () => {
    const t = initConvexTest();
    const { error } = await failure(() => enqueueFn(t, "jobs:mutation", "enqueueMutationBatch"));
    expect(error.message).toBe(`${rule}, got "jobs:mutation"`);
    await expectNothingStored(t);
  });

  test("a function handle from createFunctionHandle is accepted, and its job runs", async () => {
    const t = initConvexTest();
    const [id] = await t.run(async (ctx) => {
      const handle = await createFunctionHandle(internal.jobs.mutation);
      const pool = new Workpool(components.workpool);
      return [await pool.enqueueMutation(ctx, handle, { tag: "by-handle" })];
    });
    await drain(t);
    const runs = await t.run((ctx) => ctx.db.query("runs").collect());
    expect(runs.map((r) => r.tag)).toEqual(["by-handle"]);
    expect((await t.query(api.pools.statusOne, { id })).state).toBe("finished");
  });

  test("called directly, the component refuses a name as fnHandle with INVALID_ARGUMENT", async () => {
    const t = initConvexTest();
    const { error, data } = await failure(() => enqueueDirectly(t, { fnHandle: "jobs:action" }));
    expect(error).toBeInstanceOf(ConvexError);
    expect(data).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'fnHandle must be a function handle (a string from createFunctionHandle, starting with "function://"), got "jobs:action"',
    });
    const onComplete = await failure(() => enqueueDirectly(t, { onComplete: { fnHandle: "pools:recordCompletion" } }));
    expect(onComplete.data?.message).toBe(
      'onComplete.fnHandle must be a function handle (a string from createFunctionHandle, starting with "function://"), got "pools:recordCompletion"',
    );
    await expectNothingStored(t);
  });
});
