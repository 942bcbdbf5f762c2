// Drop-in at the type level (DESIGN §2, rule 1): against the published
// @convex-dev/workpool installed beside us (0.4.12; its client is the same
// in 0.4.16 and 0.5.0 but for the optional `errorData`, pinned in
// types.test-d.ts), every value it exports is exported here, its types are
// accepted where ours are expected, and a client library written for its
// component can call ours (same arguments, compatible results).
import { describe, expectTypeOf, test } from "vitest";
import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";
import * as ours from "convex-workpool";
import type { ComponentApi as OurApi } from "convex-workpool/_generated/component.js";
import * as published from "workpool-published";
import type { ComponentApi as PublishedApi } from "workpool-published/_generated/component.js";

describe("client exports", () => {
  test("every value the published client exports is exported here", () => {
    expectTypeOf<Exclude<keyof typeof published, keyof typeof ours>>().toEqualTypeOf<never>();
  });

  test("the published types fit where ours are expected, and ours where theirs are", () => {
    expectTypeOf<published.WorkId>().toEqualTypeOf<ours.WorkId>();
    expectTypeOf<published.RetryBehavior>().toEqualTypeOf<ours.RetryBehavior>();
    expectTypeOf<published.LogLevel>().toEqualTypeOf<ours.LogLevel>();
    expectTypeOf<published.RetryOption>().toEqualTypeOf<ours.RetryOption>();
    expectTypeOf<published.RunResult<number>>().toExtend<ours.RunResult<number>>();
    expectTypeOf<ours.RunResult<number>>().toExtend<published.RunResult<number>>();
    expectTypeOf<published.OnCompleteArgs<{ a: 1 }, string>>().toExtend<ours.OnCompleteArgs<{ a: 1 }, string>>();
    expectTypeOf<published.WorkpoolOptions>().toExtend<ours.WorkpoolOptions>();
    expectTypeOf<published.EnqueueOptions<{ a: 1 }, string>>().toExtend<ours.EnqueueOptions<{ a: 1 }, string>>();
  });

  test("an onComplete written with the published validators is accepted by our enqueue", () => {
    type PublishedHandler = FunctionReference<"mutation", "internal", published.OnCompleteArgs<{ userId: string }, number>>;
    expectTypeOf<PublishedHandler>().toExtend<NonNullable<ours.EnqueueOptions<{ userId: string }, number>["onComplete"]>>();
  });
});

/** Arguments the published client sends fit ours; what ours returns fits what it expects. */
type Fits<P, O> = P extends FunctionReference<any, any, any, any>
  ? O extends FunctionReference<any, any, any, any>
    ? [FunctionArgs<P>] extends [FunctionArgs<O>]
      ? [FunctionReturnType<O>] extends [FunctionReturnType<P>]
        ? true
        : "return type does not fit"
      : "arguments do not fit"
    : "not a function here"
  : { [K in keyof P]: K extends keyof O ? Fits<P[K], O[K]> : "missing here" };

describe("component API", () => {
  test("the check itself tells a mismatch", () => {
    type Ref<A extends Record<string, unknown>, R> = FunctionReference<"query", "internal", A, R>;
    expectTypeOf<Fits<{ f: Ref<{ x: number }, string> }, { f: Ref<{ x: string }, string> }>>().toEqualTypeOf<{
      f: "arguments do not fit";
    }>();
    expectTypeOf<Fits<{ f: Ref<{ x: number }, string> }, { f: Ref<{ x: number }, number> }>>().toEqualTypeOf<{
      f: "return type does not fit";
    }>();
    expectTypeOf<Fits<{ f: Ref<{ x: number }, string> }, { g: Ref<{ x: number }, string> }>>().toEqualTypeOf<{
      f: "missing here";
    }>();
  });

  test("every published component function exists here, takes its arguments and returns what it expects", () => {
    expectTypeOf<Fits<PublishedApi, OurApi>>().toEqualTypeOf<{
      config: { update: true };
      lib: { cancel: true; cancelAll: true; enqueue: true; enqueueBatch: true; status: true; statusBatch: true };
    }>();
  });
});
