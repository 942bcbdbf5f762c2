// The `./test` export as an app uses it (DESIGN §1): `register(t, name)`
// returns the component's references, typed as its ComponentApi, so a test
// can call the component directly, and it fits convex-test's
// `defineTestApp`, which builds an app around it without generated code.
import { convexTest, defineTestApp } from "convex-test";
import { defineSchema, defineTable } from "convex/server";
import { ConvexError, v } from "convex/values";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { Workpool, vOnCompleteArgs, type WorkId } from "convex-workpool";
import workpool, { register } from "convex-workpool/test";
import schema from "./fixture/schema.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const modules = import.meta.glob("./fixture/**/*.ts");

test("register returns references that call the component under the name given", async () => {
  const t = convexTest(schema, modules);
  const pool = register(t, "reports");
  // The default name is "workpool".
  const fallback = register(t);
  await expect(t.query(pool.lib.status, { id: "not-an-id" })).rejects.toMatchObject({ data: { code: "INVALID_WORK_ID" } });
  expect(await t.query(pool.lib.stats, {})).toMatchObject({ running: 0, pending: 0, maxParallelism: 10 });
  await t.mutation(pool.config.update, { maxParallelism: 3 });
  // Each name is a pool of its own.
  expect(await t.query(pool.lib.stats, {})).toMatchObject({ maxParallelism: 3 });
  expect(await t.query(fallback.lib.stats, {})).toMatchObject({ maxParallelism: 10 });
});

// An app made with defineTestApp: a job that fails with a ConvexError, an
// onComplete that records the result, and a mutation that enqueues.
const app = defineTestApp({
  schema: defineSchema({ outcomes: defineTable({ workId: v.string(), result: v.any() }) }),
  components: { emailPool: workpool },
});
const pool = new Workpool(app.components.emailPool, { statusTtl: Infinity });
const send = app.internalMutation({
  args: { to: v.string() },
  returns: v.null(),
  handler: (_ctx, { to }) => {
    throw new ConvexError({ code: "BOUNCED", to });
  },
});
const done = app.internalMutation({
  args: vOnCompleteArgs(),
  returns: v.null(),
  handler: async (ctx, { workId, result }) => {
    await ctx.db.insert("outcomes", { workId, result });
    return null;
  },
});
const { api, internal, createTest } = app.defineModules({
  emails: {
    send,
    done,
    signUp: app.mutation({
      args: { to: v.string() },
      returns: v.string(),
      handler: async (ctx, { to }): Promise<WorkId> =>
        await pool.enqueueMutation(ctx, internal.emails.send, { to }, { onComplete: internal.emails.done }),
    }),
  },
});

test("with defineTestApp, a pool works and the test reads its status through app.components", async () => {
  const t = createTest();
  const id = await t.mutation(api.emails.signUp, { to: "ada@example.com" });
  await t.finishAllScheduledFunctions(() => vi.runAllTimers(), 100);
  expect(await t.run((ctx) => ctx.db.query("outcomes").collect())).toMatchObject([
    {
      workId: id,
      result: { kind: "failed", error: '{"code":"BOUNCED","to":"ada@example.com"}', errorData: { code: "BOUNCED", to: "ada@example.com" } },
    },
  ]);
  expect(await t.query(app.components.emailPool.lib.status, { id })).toMatchObject({
    state: "finished",
    outcome: "failed",
    errorData: { code: "BOUNCED", to: "ada@example.com" },
  });
});
