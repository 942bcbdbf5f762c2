// Functions that exist for `npm run demo` (demo/run.ts): it drives the
// example app's three pools with simulated work and watches them from the
// app side. Nothing else in the app uses them.
//
// - emails: a flaky provider (about 30% of attempts fail, retried with the
//   pool's backoff) that refuses "@invalid.example" addresses for good; each
//   email has a priority (password resets high, newsletters low);
// - scrapes: pages that take a while to fetch, some of them later, keyed by
//   site so that one site never gets two requests at once;
// - counter: the seeds' serial increments (counters.doIncrement);
// - every job reports to one onComplete, and action jobs keep gauges of how
//   many run at once (per pool, and per site for scrapes), so the demo can
//   check the caps and the keys held.
import { v } from "convex/values";
import { NonRetryableError, vOnCompleteArgs, type WorkId } from "convex-workpool";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, mutation, query } from "./_generated/server.js";
import { counterPool, emailPool, scrapePool } from "./workpools.js";

const pools = { email: emailPool, scrape: scrapePool, counter: counterPool };
const vPool = v.union(v.literal("email"), v.literal("scrape"), v.literal("counter"));
const vPriority = v.union(v.literal("high"), v.literal("normal"), v.literal("low"));

/** Share of email attempts the simulated provider fails (retryable). */
const FAILURE_RATE = 0.3;

// ---- Enqueueing ---------------------------------------------------------------

export const sendEmails = mutation({
  args: {
    seed: v.number(),
    emails: v.array(v.object({ email: v.string(), durationMs: v.number(), priority: vPriority })),
  },
  returns: v.array(v.string()),
  handler: async (ctx, { seed, emails }): Promise<WorkId[]> => {
    // One by one, in the given order: priorities mixed, as they would arrive.
    // Keyed by address: a request sent twice (a double click) gets the first
    // one's job back.
    const ids: WorkId[] = [];
    for (const { priority, ...email } of emails) {
      ids.push(
        await emailPool.enqueueAction(ctx, internal.demo.sendEmail, { ...email, seed }, {
          priority,
          idempotencyKey: `email:${email.email}`,
          onComplete: internal.demo.recordCompletion,
          context: { pool: "email" },
        }),
      );
    }
    return ids;
  },
});

export const scrapePages = mutation({
  args: { pages: v.array(v.object({ url: v.string(), durationMs: v.number(), delayMs: v.number() })) },
  returns: v.array(v.string()),
  handler: async (ctx, { pages }): Promise<WorkId[]> => {
    const ids: WorkId[] = [];
    for (const { url, durationMs, delayMs } of pages) {
      ids.push(
        await scrapePool.enqueueAction(ctx, internal.demo.fetchPage, { url, durationMs }, {
          delayMs,
          // A site's pages one at a time, in order (a delayed one holds up those after it).
          key: new URL(url).host,
          onComplete: internal.demo.recordCompletion,
          context: { pool: "scrape" },
        }),
      );
    }
    return ids;
  },
});

/** One caller's increment, as in the seeds, plus an onComplete to count it. */
export const increment = mutation({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (ctx, { key }): Promise<WorkId> =>
    await counterPool.enqueueMutation(ctx, internal.counters.doIncrement, { key }, {
      onComplete: internal.demo.recordCompletion,
      context: { pool: "counter" },
    }),
});

export const cancel = mutation({
  args: { pool: vPool, ids: v.array(v.string()) },
  returns: v.null(),
  handler: async (ctx, { pool, ids }) => {
    for (const id of ids) await pools[pool].cancel(ctx, id as WorkId);
    return null;
  },
});

/** Sets every pool's log level at run time (the demo reads the INFO events). */
export const setLogLevel = mutation({
  args: { logLevel: v.union(v.literal("INFO"), v.literal("REPORT")) },
  returns: v.null(),
  handler: async (ctx, { logLevel }) => {
    for (const pool of Object.values(pools)) await ctx.runMutation(pool.component.config.update, { logLevel });
    return null;
  },
});

// ---- Observing ------------------------------------------------------------------

export const statuses = query({
  args: { pool: vPool, ids: v.array(v.string()) },
  handler: async (ctx, { pool, ids }) => await pools[pool].statusBatch(ctx, ids as WorkId[]),
});

/** What the app saw: onComplete calls, attempts, gauges, the counter, pipeline runs. */
export const observed = query({
  args: { counterKey: v.string() },
  handler: async (ctx, { counterKey }) => ({
    completions: await ctx.db.query("demoCompletions").collect(),
    attempts: await ctx.db.query("demoAttempts").collect(),
    gauges: await ctx.db.query("demoGauges").collect(),
    counter:
      (await ctx.db.query("counters").withIndex("by_key", (q) => q.eq("key", counterKey)).unique())?.count ?? 0,
    pipelineRuns: await ctx.db.query("pipelineRuns").collect(),
  }),
});

export const recordCompletion = internalMutation({
  args: vOnCompleteArgs(v.object({ pool: v.string() })),
  returns: v.null(),
  handler: async (ctx, { workId, context, result }) => {
    await ctx.db.insert("demoCompletions", { pool: context.pool, workId, outcome: result.kind, at: Date.now() });
    return null;
  },
});

// ---- The simulated jobs ------------------------------------------------------------

export const sendEmail = internalAction({
  args: { email: v.string(), durationMs: v.number(), seed: v.number() },
  returns: v.string(),
  handler: async (ctx, { email, durationMs, seed }): Promise<string> => {
    // An action cannot know its attempt number: count attempts in a table.
    const attempt: number = await ctx.runMutation(internal.demo.jobStarted, { gauges: ["email"], key: email });
    try {
      await sleep(durationMs);
      if (email.endsWith("@invalid.example")) throw new NonRetryableError(`address rejected: ${email}`);
      // Same seed, address and attempt: same luck, so a seeded run repeats.
      if (chance(`${seed}/${email}/${attempt}`) < FAILURE_RATE) throw new Error(`provider timed out (attempt ${attempt})`);
      return `sent to ${email}`;
    } finally {
      await ctx.runMutation(internal.demo.jobEnded, { gauges: ["email"] });
    }
  },
});

export const fetchPage = internalAction({
  args: { url: v.string(), durationMs: v.number() },
  returns: v.number(),
  handler: async (ctx, { url, durationMs }): Promise<number> => {
    const gauges = ["scrape", `site:${new URL(url).host}`];
    await ctx.runMutation(internal.demo.jobStarted, { gauges, key: url });
    try {
      await sleep(durationMs);
      const bytes = url.length * 100; // stands in for a real fetch
      await ctx.runMutation(internal.scraper.savePage, { url, bytes });
      return bytes;
    } finally {
      await ctx.runMutation(internal.demo.jobEnded, { gauges });
    }
  },
});

/** Counts an attempt of `key` and raises its gauges (its pool's; a scrape's site's too). Returns the attempt number. */
export const jobStarted = internalMutation({
  args: { gauges: v.array(v.string()), key: v.string() },
  returns: v.number(),
  handler: async (ctx, { gauges, key }) => {
    for (const name of gauges) {
      const gauge = await ctx.db.query("demoGauges").withIndex("by_name", (q) => q.eq("name", name)).unique();
      if (gauge === null) await ctx.db.insert("demoGauges", { name, current: 1, max: 1 });
      else await ctx.db.patch("demoGauges", gauge._id, { current: gauge.current + 1, max: Math.max(gauge.max, gauge.current + 1) });
    }
    const row = await ctx.db.query("demoAttempts").withIndex("by_key", (q) => q.eq("key", key)).unique();
    if (row === null) await ctx.db.insert("demoAttempts", { key, count: 1, firstAt: Date.now() });
    else await ctx.db.patch("demoAttempts", row._id, { count: row.count + 1 });
    return (row?.count ?? 0) + 1;
  },
});

export const jobEnded = internalMutation({
  args: { gauges: v.array(v.string()) },
  returns: v.null(),
  handler: async (ctx, { gauges }) => {
    for (const name of gauges) {
      const gauge = await ctx.db.query("demoGauges").withIndex("by_name", (q) => q.eq("name", name)).unique();
      if (gauge !== null) await ctx.db.patch("demoGauges", gauge._id, { current: gauge.current - 1 });
    }
    return null;
  },
});

/**
 * Waits `ms` on the clock. Under `npm run demo` the clock is fake; the global
 * count of sleepers tells the demo's driver that work in flight is waiting
 * for time to pass rather than still working.
 */
async function sleep(ms: number) {
  const g = globalThis as { __demoSleepers?: number };
  g.__demoSleepers = (g.__demoSleepers ?? 0) + 1;
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    g.__demoSleepers -= 1;
  }
}

/** A number in [0, 1) that depends only on `text` (FNV-1a, then mixed). */
function chance(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}
