/// <reference types="vite/client" />
// The example app's use cases, each as the seeds describe it, on convex-test.
import { convexTest } from "convex-test";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import type { WorkId } from "convex-workpool";
import workpool from "convex-workpool/test";
import schema from "./convex/schema.js";
import { api, components, internal } from "./convex/_generated/api.js";

const modules = import.meta.glob("./convex/**/*.ts");

function setup() {
  const t = convexTest(schema, modules);
  // Each pool under the name it is mounted with in convex.config.ts.
  workpool.register(t, "emailWorkpool");
  workpool.register(t, "scrapeWorkpool");
  workpool.register(t, "counterPool");
  workpool.register(t, "apiWorkpool");
  return t;
}

// Pools schedule their work: fake timers let a test run it all at once.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

type T = ReturnType<typeof setup>;

/**
 * Runs everything the pools scheduled, and what that scheduled, until none
 * is left. The clock jumps as far as the last timer: past the 24 h for
 * which finished jobs keep their status.
 */
const drain = (t: T) => t.finishAllScheduledFunctions(() => vi.runAllTimers(), 1000);

/** Fires timers one at a time, in time order, running what they start, until `done()` holds. */
async function runUntil(t: T, done: () => Promise<boolean>) {
  for (let step = 0; step < 10_000; step++) {
    await t.finishInProgressScheduledFunctions();
    if (await done()) return;
    if (vi.getTimerCount() === 0) throw new Error("runUntil: nothing left to run and the condition does not hold");
    await vi.advanceTimersToNextTimerAsync();
  }
  throw new Error("runUntil: the condition did not hold");
}

/** Moves the clock `ms` forward in steps, running what comes due on the way. */
async function advance(t: T, ms: number, stepMs = 60_000) {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - elapsed));
    await t.finishInProgressScheduledFunctions();
  }
}

test("register returns the pool's component API, to call it directly", async () => {
  const t = convexTest(schema, modules);
  const emailWorkpool = workpool.register(t, "emailWorkpool");
  const { workId } = await t.mutation(api.emails.signUp, { email: "ada@example.com" });
  expect(await t.query(emailWorkpool.lib.status, { id: workId })).toEqual({ state: "pending", previousAttempts: 0 });
  expect(await t.query(emailWorkpool.lib.stats, {})).toMatchObject({ pending: 1, running: 0 });
});

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

test("resending a welcome email with an idempotencyKey sends it once, however often it is asked", async () => {
  const t = setup();
  const { userId } = await t.mutation(api.emails.signUp, { email: "ada@example.com" });
  const first = await t.mutation(api.emails.resendWelcome, { userId });
  const again = await t.mutation(api.emails.resendWelcome, { userId });
  expect(again).toBe(first);
  const logged = async () => (await t.run((ctx) => ctx.db.query("emailLog").collect())).length;
  await runUntil(t, async () => (await logged()) === 2);
  // Finished, but within the pool's statusTtl: still the same job, no new email.
  expect(await t.mutation(api.emails.resendWelcome, { userId })).toBe(first);
  await advance(t, 60_000);
  const log = await t.run((ctx) => ctx.db.query("emailLog").collect());
  expect(log.filter((l) => l.workId === first)).toMatchObject([{ outcome: "success" }]);
  expect(log).toHaveLength(2);
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
  // The gauge saw the pool use its 5 slots, and never more.
  expect(await t.query(api.gauges.get, { name: "scraper" })).toEqual({ current: 0, max: 5 });
});

test("the serial counter pool makes 50 concurrent increments exact", async () => {
  const t = setup();
  await Promise.all(Array.from({ length: 50 }, () => t.mutation(api.counters.increment, { key: "signups" })));
  await drain(t);
  expect(await t.query(api.counters.get, { key: "signups" })).toBe(50);
});

test("a crawl keyed by site fetches one page per site at a time, in order, and sites in parallel", async () => {
  const t = setup();
  const sites = ["a.example", "b.example", "c.example"];
  // Interleaved: a/0, b/0, c/0, a/1, ...; 4 pages per site.
  const urls = Array.from({ length: 12 }, (_, i) => `https://${sites[i % 3]}/page${Math.floor(i / 3)}`);
  await t.mutation(api.scraper.crawl, { urls });
  await drain(t);
  const pages = await t.run((ctx) => ctx.db.query("pages").collect());
  for (const site of sites) {
    // All of a site's pages, saved in the order they were enqueued.
    expect(pages.map((p) => p.url).filter((url) => url.includes(site))).toEqual(urls.filter((url) => url.includes(site)));
    // Never two fetches of one site at once.
    expect(await t.query(api.gauges.get, { name: `site:${site}` })).toEqual({ current: 0, max: 1 });
  }
  // Yet the three sites were fetched side by side.
  expect(await t.query(api.gauges.get, { name: "scraper" })).toEqual({ current: 0, max: 3 });
});

test("a password reset (high) goes out before queued welcome emails (normal) and the newsletter (low)", async () => {
  const t = setup();
  // While the pool is paused, sign-ups queue welcome emails, then the newsletter and a reset.
  await t.mutation(internal.emails.setPaused, { paused: true });
  const users = [];
  for (const email of ["a@example.com", "b@example.com", "c@example.com"]) {
    users.push((await t.mutation(api.emails.signUp, { email })).userId);
  }
  await t.mutation(internal.emails.sendNewsletter, { subject: "News" });
  await t.mutation(api.emails.sendPasswordReset, { userId: users[2]! });
  // Resume with one slot: emails then go out one at a time, in the order they start.
  await t.run((ctx) => ctx.runMutation(components.emailWorkpool.config.update, { maxParallelism: 1 }));
  await drain(t);
  const outbox = await t.run((ctx) => ctx.db.query("outbox").collect());
  expect(outbox.map((e) => `${e.subject} ${e.to}`)).toEqual([
    "Reset your password c@example.com",
    // FIFO within a priority.
    "Welcome a@example.com",
    "Welcome b@example.com",
    "Welcome c@example.com",
    "News a@example.com",
    "News b@example.com",
    "News c@example.com",
  ]);
});

test("poolStats: pending (due, delayed) and running per pool, then the outcomes", async () => {
  const t = setup();
  await t.mutation(internal.emails.setPaused, { paused: true });
  const ok = await t.mutation(api.emails.signUp, { email: "ada@example.com" });
  const bad = await t.mutation(api.emails.signUp, { email: "bob@invalid.example" });
  await t.mutation(api.scraper.scrapeAll, { urls: ["https://example.com/a"] });
  await t.mutation(api.scraper.scrapeAll, { urls: ["https://example.com/b", "https://example.com/c"], delayMs: 60_000 });
  const poolStats = () => t.query(api.workpools.poolStats, {});
  await runUntil(t, async () => (await poolStats()).scrapeWorkpool.running === 1);
  let stats = await poolStats();
  // Paused: both emails wait, due. Scrapes: one running, two waiting for their delay.
  expect(stats.emailWorkpool).toMatchObject({ maxParallelism: 0, running: 0, pending: 2, pendingDue: 2, pendingDelayed: 0 });
  expect(stats.scrapeWorkpool).toMatchObject({ maxParallelism: 5, running: 1, pending: 2, pendingDue: 0, pendingDelayed: 2 });
  // An idle pool. (Its maxParallelism reads 10, the stored default, until an enqueue sends counterPool's 1.)
  expect(stats.counterPool).toMatchObject({ running: 0, pending: 0, oldestPendingAgeMs: null });

  await t.mutation(internal.emails.setPaused, { paused: false });
  const status = (workId: WorkId) => t.query(api.emails.getStatus, { workId });
  await runUntil(t, async () => (await status(ok.workId)).state === "finished" && (await status(bad.workId)).state === "finished");
  // Stats are the loop's counts: they catch up with the statuses at its next
  // pass, which each finished job wakes at once.
  await runUntil(t, async () => (await poolStats()).emailWorkpool.running === 0);
  stats = await poolStats();
  expect(stats.emailWorkpool).toMatchObject({
    maxParallelism: 10,
    running: 0,
    pending: 0,
    lastHour: { succeeded: 1, failed: 1, canceled: 0, retries: 0 },
  });

  // A flaky GET fails its first attempt: pending again, backing off until its retry.
  await t.mutation(api.externalApi.fetchAll, { endpoints: ["/flaky/1"] });
  await runUntil(t, async () => (await poolStats()).apiWorkpool.pendingBackingOff === 1);
  expect((await poolStats()).apiWorkpool).toMatchObject({
    running: 0,
    pending: 1,
    pendingDue: 0,
    lastMinute: { succeeded: 0, failed: 0, retries: 1 },
  });
});

test("a two-step pipeline chains through onComplete", async () => {
  const t = setup();
  const runId = await t.mutation(api.pipeline.start, { input: "hello" });
  await drain(t);
  const run = await t.run((ctx) => ctx.db.get("pipelineRuns", runId));
  expect(run).toMatchObject({ step1: "HELLO", step2: "HELLO!" });
});

test("an enqueued query's result reaches its onComplete (defined with defineOnComplete)", async () => {
  const t = setup();
  await t.mutation(api.emails.signUp, { email: "a@example.com" });
  await t.mutation(api.reports.requestMonthly, { month: "2024-01" });
  await drain(t);
  const reports = await t.run((ctx) => ctx.db.query("reports").collect());
  expect(reports).toMatchObject([{ month: "2024-01", users: 1 }]);
});

test("external API: never more than 2 calls in flight; flaky endpoints are retried", async () => {
  const t = setup();
  const endpoints = Array.from({ length: 10 }, (_, i) => (i % 4 === 0 ? `/flaky/${i}` : `/items/${i}`));
  const ids = await t.mutation(api.externalApi.fetchAll, { endpoints });
  const statuses = () => t.query(api.externalApi.statuses, { workIds: ids });
  await runUntil(t, async () => (await statuses()).every((s) => s.state === "finished"));
  // The gauge saw the pool use its 2 slots, and never more.
  expect(await t.query(api.gauges.get, { name: "externalApi" })).toEqual({ current: 0, max: 2 });
  const calls = await t.run((ctx) => ctx.db.query("apiCalls").collect());
  expect(calls).toHaveLength(13); // 10 endpoints, the 3 flaky ones twice
  expect((await statuses()).map((s) => s.state === "finished" && [s.outcome, s.attempts])).toEqual(
    endpoints.map((e) => ["success", e.startsWith("/flaky") ? 2 : 1]),
  );
  const results = await t.run((ctx) => ctx.db.query("apiResults").collect());
  expect(results.map((r) => [r.workId, r.endpoint, r.outcome]).sort()).toEqual(
    ids.map((id, i) => [id, endpoints[i], "success"]).sort(),
  );
});

test("external API: a POST enqueued with retry: false is not retried", async () => {
  const t = setup();
  const workId = await t.mutation(api.externalApi.postEvent, { endpoint: "/flaky/hook", event: "signup" });
  await runUntil(t, async () => (await t.query(api.externalApi.statuses, { workIds: [workId] }))[0]!.state === "finished");
  expect(await t.query(api.externalApi.statuses, { workIds: [workId] })).toMatchObject([
    { state: "finished", outcome: "failed", attempts: 1, error: "503 Service Unavailable: POST /flaky/hook" },
  ]);
  expect(await t.run((ctx) => ctx.db.query("apiCalls").collect())).toHaveLength(1);
  expect(await t.run((ctx) => ctx.db.query("apiResults").collect())).toMatchObject([
    { workId, endpoint: "/flaky/hook", outcome: "failed", error: "503 Service Unavailable: POST /flaky/hook" },
  ]);
});

test("external API: a 404 thrown as a ConvexError reaches onComplete and status as errorData", async () => {
  const t = setup();
  const workId = await t.mutation(api.externalApi.postEvent, { endpoint: "/missing/hook", event: "signup" });
  await runUntil(t, async () => (await t.query(api.externalApi.statuses, { workIds: [workId] }))[0]!.state === "finished");
  const error = '{"status":404,"endpoint":"/missing/hook"}';
  expect(await t.query(api.externalApi.statuses, { workIds: [workId] })).toMatchObject([
    { state: "finished", outcome: "failed", error, errorData: { status: 404, endpoint: "/missing/hook" } },
  ]);
  expect(await t.run((ctx) => ctx.db.query("apiResults").collect())).toMatchObject([
    { workId, endpoint: "/missing/hook", outcome: "failed", error, httpStatus: 404 },
  ]);
});

test("status: pending while queued, then finished with its outcome, attempts and error", async () => {
  const t = setup();
  const ok = await t.mutation(api.emails.signUp, { email: "ada@example.com" });
  const bad = await t.mutation(api.emails.signUp, { email: "bob@invalid.example" });
  const status = (workId: WorkId) => t.query(api.emails.getStatus, { workId });
  expect(await status(ok.workId)).toEqual({ state: "pending", previousAttempts: 0 });
  await runUntil(t, async () => (await status(bad.workId)).state === "finished" && (await status(ok.workId)).state === "finished");
  expect(await status(ok.workId)).toMatchObject({ state: "finished", outcome: "success", attempts: 1 });
  expect(await status(bad.workId)).toMatchObject({
    state: "finished",
    outcome: "failed",
    attempts: 1,
    error: "address rejected: bob@invalid.example",
  });
  // After statusTtl (24 h), only that it finished.
  await advance(t, 25 * 60 * 60 * 1000, 60 * 60 * 1000);
  expect(await status(ok.workId)).toEqual({ state: "finished" });
});

test("cancelAll cancels every queued email: none is sent, each onComplete says canceled", async () => {
  const t = setup();
  const emails = ["a@example.com", "b@example.com", "c@example.com"];
  const ids = [];
  for (const email of emails) ids.push((await t.mutation(api.emails.signUp, { email })).workId);
  await t.mutation(api.emails.cancelAll, {});
  await drain(t);
  const log = await t.run((ctx) => ctx.db.query("emailLog").collect());
  expect(log.map((l) => [l.workId, l.outcome]).sort()).toEqual(ids.map((id) => [id, "canceled"]).sort());
  const users = await t.run((ctx) => ctx.db.query("users").collect());
  expect(users.filter((u) => u.welcomed)).toEqual([]);
});

test("pausing the email pool holds queued emails, also across new enqueues; resuming sends them", async () => {
  const t = setup();
  await t.mutation(internal.emails.setPaused, { paused: true });
  const first = await t.mutation(api.emails.signUp, { email: "a@example.com" });
  await drain(t);
  // A new enqueue does not undo the pause: emailPool has no maxParallelism of its own.
  const second = await t.mutation(api.emails.signUp, { email: "b@example.com" });
  await drain(t);
  for (const { workId } of [first, second]) {
    expect(await t.query(api.emails.getStatus, { workId })).toEqual({ state: "pending", previousAttempts: 0 });
  }
  expect(await t.run((ctx) => ctx.db.query("emailLog").collect())).toEqual([]);

  await t.mutation(internal.emails.setPaused, { paused: false });
  await drain(t);
  const log = await t.run((ctx) => ctx.db.query("emailLog").collect());
  expect(log.map((l) => l.outcome)).toEqual(["success", "success"]);
});

test("a report scheduled with runAtTime waits for its time", async () => {
  const t = setup();
  await t.mutation(api.emails.signUp, { email: "a@example.com" });
  await t.mutation(api.reports.scheduleMonthly, { month: "2024-02", at: Date.now() + 60 * 60 * 1000 });
  await advance(t, 59 * 60 * 1000);
  expect(await t.run((ctx) => ctx.db.query("reports").collect())).toEqual([]);
  await drain(t);
  expect(await t.run((ctx) => ctx.db.query("reports").collect())).toMatchObject([{ month: "2024-02", users: 1 }]);
});
