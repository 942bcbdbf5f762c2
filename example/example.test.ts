/// <reference types="vite/client" />
// The example app's use cases, each as the seeds describe it, on convex-test.
import { convexTest } from "convex-test";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import workpool from "convex-workpool/test";
import schema from "./convex/schema.js";
import { api } from "./convex/_generated/api.js";

const modules = import.meta.glob("./convex/**/*.ts");

function setup() {
  const t = convexTest(schema, modules);
  for (const name of ["emailWorkpool", "scrapeWorkpool", "counterPool"]) workpool.register(t, name);
  return t;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const drain = (t: ReturnType<typeof setup>) => t.finishAllScheduledFunctions(() => vi.runAllTimers(), 1000);

test("sign-up sends a welcome email and onComplete logs it", async () => {
  const t = setup();
  const { workId } = await t.mutation(api.emails.signUp, { email: "ada@example.com" });
  expect(await t.query(api.emails.getStatus, { workId })).toEqual({ state: "pending", previousAttempts: 0 });
  await drain(t);
  const log = await t.run((ctx) => ctx.db.query("emailLog").collect());
  expect(log).toMatchObject([{ workId, email: "ada@example.com", outcome: "success" }]);
  const users = await t.run((ctx) => ctx.db.query("users").collect());
  expect(users[0]!.welcomed).toBe(true);
});

test("a rejected address fails at once with NonRetryableError, without retries", async () => {
  const t = setup();
  const { workId } = await t.mutation(api.emails.signUp, { email: "bob@invalid.example" });
  await drain(t);
  const log = await t.run((ctx) => ctx.db.query("emailLog").collect());
  expect(log).toMatchObject([{ workId, outcome: "failed", detail: "address rejected: bob@invalid.example" }]);
});

test("canceling a queued email calls onComplete with canceled", async () => {
  const t = setup();
  const { workId } = await t.mutation(api.emails.signUp, { email: "cy@example.com" });
  await t.mutation(api.emails.cancelWork, { workId });
  await drain(t);
  const log = await t.run((ctx) => ctx.db.query("emailLog").collect());
  expect(log).toMatchObject([{ workId, outcome: "canceled" }]);
});

test("the scraper fetches a batch, at most 5 at a time, and later ones after their delay", async () => {
  const t = setup();
  const urls = Array.from({ length: 12 }, (_, i) => `https://example.com/page${i}`);
  const ids = await t.mutation(api.scraper.scrapeAll, { urls });
  expect(ids).toHaveLength(12);
  await t.mutation(api.scraper.scrapeAll, { urls: ["https://example.com/later"], delayMs: 5000 });
  await drain(t);
  const pages = await t.run((ctx) => ctx.db.query("pages").collect());
  expect(pages.map((p) => p.url).sort()).toEqual([...urls, "https://example.com/later"].sort());
});

test("the serial counter pool makes 50 concurrent increments exact", async () => {
  const t = setup();
  await Promise.all(Array.from({ length: 50 }, () => t.mutation(api.counters.increment, { key: "signups" })));
  await drain(t);
  expect(await t.query(api.counters.get, { key: "signups" })).toBe(50);
});

test("a two-step pipeline chains through onComplete", async () => {
  const t = setup();
  const runId = await t.mutation(api.pipeline.start, { input: "hello" });
  await drain(t);
  const run = await t.run((ctx) => ctx.db.get("pipelineRuns", runId));
  expect(run).toMatchObject({ step1: "HELLO", step2: "HELLO!" });
});

test("an enqueued query's result reaches onComplete", async () => {
  const t = setup();
  await t.mutation(api.emails.signUp, { email: "a@example.com" });
  await t.mutation(api.reports.requestMonthly, { month: "2024-01" });
  await drain(t);
  const reports = await t.run((ctx) => ctx.db.query("reports").collect());
  expect(reports).toMatchObject([{ month: "2024-01", users: 1 }]);
});
