// The conflict audit of this package on two workloads (DESIGN §11), each
// job enqueued by its own user mutation, with an onComplete, and some
// cancels: a steady stream (50 jobs 10 ms apart, 120 ms actions, cap 10) and
// a burst (30 at one instant).
//
// It prints the conflict matrices and the hot documents (run with
// `--silent=false`, or set AUDIT_OUT=<file> to append them there). It does
// not assert that conflicts are zero (the engine's redesign is to clear them,
// docs/conflict-audit.md has the baseline); it asserts that the audit saw the
// workload: every transaction of the component, every job's enqueue, the
// loop's reads of the queues, and the pairs it judged.
import { appendFileSync } from "node:fs";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { convexTest } from "convex-test";
import workpool from "convex-workpool/test";
import { emptyCounts, instrumentModules, type Counts } from "../../bench/instrument.js";
import schema from "../fixture/schema.js";
import { api } from "../fixture/_generated/api.js";
import { runUntil } from "../setup.js";
import { attachConflictAudit, conflictReport, formatConflictReport, insertsInto, kindsByFunction, type KindOf } from "./index.js";

const modules = import.meta.glob("../fixture/**/*.ts");

/** Kinds of this package's transactions, by the component function they enter. */
export const OUR_KINDS: KindOf = kindsByFunction({
  "lib:enqueue": "enqueue",
  "lib:enqueueBatch": "enqueue",
  "lib:cancel": "cancel",
  "lib:cancelAll": "cancel",
  "lib:cancelAllPage": "cancel",
  "loop:main": "loop",
  "loop:watchdog": "watchdog",
  "complete:report": "report",
  "complete:finalize": "finalize",
  "worker:runMutation": "report",
  "config:update": "config",
});

const POOL = { maxParallelism: 10 };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

type Workload = {
  jobs: number;
  /** When job i is enqueued, ms after the start. */
  at: (i: number) => number;
  durationMs: number;
  /** Jobs to cancel right after job i is enqueued (by index). */
  cancelAfter: (i: number) => number[];
};

/**
 * Runs a workload on a fresh backend with the audit attached, until every
 * job's onComplete ran; returns the audit's transactions, the component's
 * function executions (bench/instrument.ts) and the cancels made.
 */
async function runAudited(w: Workload) {
  const t = convexTest({ schema, modules });
  const counts: Counts = emptyCounts();
  t.registerComponent("workpool", workpool.schema, instrumentModules(workpool.modules, () => counts));
  t.registerComponent("otherPool", workpool.schema, workpool.modules);
  const audit = attachConflictAudit(t, { components: ["workpool"] });

  // Arrivals are fake timers too, so stepping timer by timer stops at each.
  const due: number[] = [];
  for (let i = 0; i < w.jobs; i++) setTimeout(() => due.push(i), w.at(i));
  const ids: string[] = [];
  let cancels = 0;
  const arrive = async (i: number) => {
    const [id] = await t.mutation(api.pools.enqueue, {
      kind: "action",
      args: [{ tag: `job${i}`, ...(w.durationMs > 0 ? { durationMs: w.durationMs } : {}) }],
      callback: "record",
      poolOptions: POOL,
    });
    ids[i] = id!;
    for (const j of w.cancelAfter(i)) {
      await t.mutation(api.pools.cancel, { id: ids[j]! });
      cancels += 1;
    }
  };
  await runUntil(t, async () => {
    while (due.length > 0) await arrive(due.shift()!);
    if (ids.length < w.jobs) return false;
    const completions = await t.run(async (ctx) => (await ctx.db.query("completions").collect()).length);
    return completions === w.jobs;
  });
  audit.detach();
  return { transactions: audit.transactions, counts, cancels };
}

/** Checks that the audit saw the workload; returns the report, printed. */
function checkAndReport(title: string, w: Workload, run: Awaited<ReturnType<typeof runAudited>>) {
  const { transactions, counts, cancels } = run;
  const report = conflictReport(transactions, { jobs: w.jobs, kindOf: OUR_KINDS, serial: ["loop"] });
  const text = `## ${title}\n\n${formatConflictReport(report)}\n`;
  console.log(text);
  if (process.env.AUDIT_OUT) appendFileSync(process.env.AUDIT_OUT, text + "\n");

  // The audit saw every transaction of the component: one record per
  // execution of each query and mutation (actions are not transactions).
  const recorded: Record<string, number> = {};
  for (const tx of transactions) {
    const fn = tx.fn;
    recorded[fn] = (recorded[fn] ?? 0) + 1;
  }
  const transactional = Object.fromEntries(Object.entries(counts.byFunction).filter(([fn]) => fn !== "worker:runActions"));
  expect(recorded).toEqual(transactional);
  expect(transactional["loop:main"]).toBeGreaterThan(0);

  // Every job's enqueue, and each cancel, is one transaction of its kind,
  // entered from the user's mutation; each enqueue inserts its job and its
  // queue row.
  expect(insertsInto(transactions, "work")).toBe(w.jobs);
  expect(report.kinds.enqueue).toBe(w.jobs);
  expect(report.kinds.cancel ?? 0).toBe(cancels);
  for (const tx of transactions.filter((t) => t.name === "workpool/lib:enqueue")) {
    expect(tx.functions.slice(0, 2)).toEqual(["pools:enqueue", "workpool/lib:enqueue"]);
    const inserted = (table: string) => tx.writes.filter((x) => x.table === table && x.op === "insert").length;
    expect([inserted("work"), inserted("pendingStart")]).toEqual([1, 1]);
  }
  // The loop reads the queues as ranges, and the window paired it with writers.
  const loopReads = new Set(
    transactions.filter((tx) => tx.name === "workpool/loop:main").flatMap((tx) => tx.reads.map((r) => `${r.table}.${r.index}`)),
  );
  expect(loopReads).toContain("pendingCompletion.by_segment");
  expect(loopReads).toContain("pendingStart.by_segment");
  for (const writer of ["enqueue", "report", "cancel"]) {
    expect(report.cells.find((c) => c.reader === "loop" && c.writer === writer)?.pairs, `loop × ${writer} pairs`).toBeGreaterThan(0);
  }
  return report;
}

test("conflict audit: a steady stream of single enqueues with cancels (baseline, printed)", async () => {
  // 50 jobs 10 ms apart, each 120 ms long: about 12 would run at once, the
  // cap is 10. Every tenth job from the 4th is canceled while pending;
  // every tenth from the 9th cancels the job enqueued 30 ms before it, by
  // then running (or, behind the cap, still queued).
  const steady: Workload = {
    jobs: 50,
    at: (i) => i * 10,
    durationMs: 120,
    cancelAfter: (i) => (i % 10 === 3 ? [i] : i % 10 === 8 ? [i - 3] : []),
  };
  checkAndReport("Steady: 50 single enqueues 10 ms apart, 120 ms actions, p = 10, 10 cancels", steady, await runAudited(steady));
}, 120_000);

test("conflict audit: a burst of single enqueues in one instant with cancels (baseline, printed)", async () => {
  // 30 user mutations at once, each enqueuing one trivial action; every
  // sixth cancels the job before it (pending: the loop has not run yet).
  const burst: Workload = {
    jobs: 30,
    at: () => 0,
    durationMs: 0,
    cancelAfter: (i) => (i % 6 === 5 ? [i - 1] : []),
  };
  checkAndReport("Burst: 30 single enqueues in one instant, trivial actions, p = 10, 5 cancels", burst, await runAudited(burst));
}, 120_000);
