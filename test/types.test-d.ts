// Type-level tests of the public API's generics (run by `vitest --typecheck`).
import { describe, expectTypeOf, test } from "vitest";
import { v, type Infer } from "convex/values";
import type { FunctionReference } from "convex/server";
import {
  Workpool,
  vOnCompleteArgs,
  vResultValidator,
  type OnCompleteArgs,
  type RunResult,
  type Status,
  type WorkId,
  type EnqueueOptions,
} from "convex-workpool";
import { defineTestApp, type TestConvex } from "convex-test";
import type { Value } from "convex/values";
import workpoolTest, { register } from "convex-workpool/test";
import type { ComponentApi } from "convex-workpool/_generated/component.js";
import { components } from "./fixture/_generated/api.js";
import type { MutationCtx } from "./fixture/_generated/server.js";

declare const ctx: MutationCtx;
declare const sendEmail: FunctionReference<"action", "internal", { to: string }, { messageId: string }>;
declare const bump: FunctionReference<"mutation", "internal", { by: number }, number>;
declare const report: FunctionReference<"query", "internal", { month: string }, string[]>;
declare const onEmailDone: FunctionReference<
  "mutation",
  "internal",
  OnCompleteArgs<{ userId: string }, { messageId: string }>
>;

const pool = new Workpool(components.workpool, { maxParallelism: 5 });

describe("ids", () => {
  test("enqueue returns a branded WorkId; a plain string is not one", () => {
    expectTypeOf(pool.enqueueAction(ctx, sendEmail, { to: "a" })).resolves.toEqualTypeOf<WorkId>();
    expectTypeOf(pool.enqueueMutationBatch(ctx, bump, [{ by: 1 }])).resolves.toEqualTypeOf<WorkId[]>();
    expectTypeOf<string>().not.toExtend<WorkId>();
    expectTypeOf<WorkId>().toExtend<string>();
  });
});

describe("arguments", () => {
  test("args must match the function", () => {
    // @ts-expect-error `to` must be a string
    void pool.enqueueAction(ctx, sendEmail, { to: 1 });
    // @ts-expect-error a query is not an action
    void pool.enqueueAction(ctx, report, { month: "2024-01" });
    void pool.enqueueQuery(ctx, report, { month: "2024-01" });
  });

  test("retry is an action option only", () => {
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { retry: { maxAttempts: 3, initialBackoffMs: 10, base: 2 } });
    // @ts-expect-error mutations do not retry
    void pool.enqueueMutation(ctx, bump, { by: 1 }, { retry: true });
  });

  test("the four timing options exclude each other", () => {
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { runAt: 1 });
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { delayMs: 5 });
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { runAtTime: 1 });
    // @ts-expect-error one or the other
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { runAt: 1, runAfter: 2 });
    // @ts-expect-error the seeds' spellings too
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { runAt: 1, delayMs: 2 });
    // @ts-expect-error the seeds' spellings too
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { runAtTime: 1, runAfter: 2 });
  });

  test("key, priority and per-job keys", () => {
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { key: "user:1", priority: "high" });
    void pool.enqueueActionBatch(ctx, sendEmail, [{ to: "a" }, { to: "b" }], { keys: ["x", "y"] });
    // @ts-expect-error not a priority
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { priority: "urgent" });
    // @ts-expect-error keys are for batches
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { keys: ["x"] });
    expectTypeOf(pool.stats(ctx)).resolves.toHaveProperty("pendingDelayed").toEqualTypeOf<number>();
  });
});

describe("onComplete", () => {
  test("the context must fit the onComplete's context type", () => {
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { onComplete: onEmailDone, context: { userId: "u1" } });
    // @ts-expect-error context has the wrong shape for this onComplete
    void pool.enqueueAction(ctx, sendEmail, { to: "a" }, { onComplete: onEmailDone, context: { user: 1 } });
  });

  test("defineOnComplete types the context and the return value", () => {
    pool.defineOnComplete({
      context: v.object({ userId: v.string() }),
      returnValue: v.object({ messageId: v.string() }),
      handler: (_ctx, { workId, context, result }) => {
        expectTypeOf(workId).toEqualTypeOf<WorkId>();
        expectTypeOf(context).toEqualTypeOf<{ userId: string }>();
        if (result.kind === "success") expectTypeOf(result.returnValue).toEqualTypeOf<{ messageId: string }>();
        if (result.kind === "failed") expectTypeOf(result.error).toEqualTypeOf<string>();
        return Promise.resolve();
      },
    });
  });

  test("vOnCompleteArgs infers the onComplete args", () => {
    const _validator = vOnCompleteArgs(v.string(), v.number());
    type Args = Infer<typeof _validator>;
    expectTypeOf<Args["context"]>().toEqualTypeOf<string>();
    expectTypeOf<Args["result"]>().toEqualTypeOf<RunResult<number>>();
    expectTypeOf<Infer<typeof vResultValidator>>().toEqualTypeOf<RunResult<any>>();
  });

  test("a failed result may carry errorData, any Convex value", () => {
    type Failed = Extract<RunResult, { kind: "failed" }>;
    expectTypeOf<Failed["errorData"]>().toEqualTypeOf<Value | undefined>();
    expectTypeOf<Failed>().toEqualTypeOf<{ kind: "failed"; error: string; errorData?: Value }>();
    // Results without it (as older packages sent) are still RunResults.
    expectTypeOf<{ kind: "failed"; error: string }>().toExtend<RunResult>();
  });

  test("EnqueueOptions is generic in context and return value", () => {
    expectTypeOf<EnqueueOptions<{ a: 1 }, string>["context"]>().toEqualTypeOf<{ a: 1 } | undefined>();
  });
});

describe("status", () => {
  test("status returns the Status union", () => {
    expectTypeOf(pool.status(ctx, "x" as WorkId)).resolves.toEqualTypeOf<Status>();
    expectTypeOf<Extract<Status, { state: "finished" }>["outcome"]>().toEqualTypeOf<
      "success" | "failed" | "canceled" | undefined
    >();
    expectTypeOf<Extract<Status, { state: "finished" }>["errorData"]>().toEqualTypeOf<Value | undefined>();
  });
});

declare const t: TestConvex<any>;

describe("the ./test export", () => {
  test("register returns the component's ComponentApi; the name is optional", () => {
    expectTypeOf(register(t, "emailWorkpool")).toEqualTypeOf<ComponentApi>();
    expectTypeOf(register(t)).toEqualTypeOf<ComponentApi>();
    expectTypeOf(workpoolTest.register).toEqualTypeOf(register);
    // What it returns is what a Workpool takes.
    new Workpool(register(t, "emailWorkpool"));
  });

  test("defineTestApp types app.components from register", () => {
    const app = defineTestApp({ schema: {} as any, components: { emailWorkpool: workpoolTest } });
    expectTypeOf(app.components.emailWorkpool).toEqualTypeOf<ComponentApi<"emailWorkpool">>();
    new Workpool(app.components.emailWorkpool);
  });
});
