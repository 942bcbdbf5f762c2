// What the demo prints: while the pools work, a live block redrawn in place
// (log-update) on a terminal, or plain lines every ~2 s of scheduler time
// otherwise, both showing each pool's `stats`; at the end, a summary table
// (cli-table3) and the checks.
import Table from "cli-table3";
import { createLogUpdate } from "log-update";
import picocolors from "picocolors";

/** Colors on a terminal only (picocolors alone would also color CI logs). */
const pc = picocolors.createColors(process.stdout.isTTY === true && process.env.NO_COLOR === undefined);

/** One pool as the live display shows it: its numbers from `pool.stats`. */
export type PoolView = {
  name: string;
  cap: number;
  /** Enqueued so far: pending + running + finished. */
  jobs: number;
  /** Due, waiting for a slot (or for an earlier job of its key). */
  pending: number;
  /** Not due yet (delayMs). */
  delayed: number;
  /** Failed an attempt, waiting for the backoff to pass (then a slot). */
  retrying: number;
  running: number;
  succeeded: number;
  failed: number;
  canceled: number;
  /** How long the start queue's oldest due job has waited, or null (jobs waiting for their key are not in it). */
  oldestWaitMs: number | null;
};

/** live: redrawn block (a terminal); plain: periodic lines (CI, pipes); quiet: summary only. */
export type Mode = "live" | "plain" | "quiet";

const PLAIN_EVERY_MS = 2000;
const BAR_WIDTH = 16;

/** "686 ms", "4.9 s". */
const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pad = (n: number, width: number) => String(n).padStart(width);

/** Succeeded (green), failed (red), canceled (yellow), not finished yet (dim). */
function bar(p: PoolView): string {
  const at = (n: number) => Math.round((n / Math.max(p.jobs, 1)) * BAR_WIDTH);
  const [a, b, c] = [at(p.succeeded), at(p.succeeded + p.failed), at(p.succeeded + p.failed + p.canceled)];
  return pc.green("█".repeat(a)) + pc.red("█".repeat(b - a)) + pc.yellow("█".repeat(c - b)) + pc.dim("░".repeat(BAR_WIDTH - c));
}

function counts(p: PoolView): string {
  const finished = p.succeeded + p.failed + p.canceled;
  return [
    `${pad(finished, 4)}/${p.jobs}`.padEnd(9),
    `pending ${pad(p.pending, 3)}`,
    `delayed ${pad(p.delayed, 2)}`,
    `running ${pad(p.running, 2)}/${String(p.cap).padEnd(2)}`,
    `retrying ${pad(p.retrying, 3)}`,
    pc.green(`✓ ${pad(p.succeeded, 3)}`),
    pc.red(`✗ ${pad(p.failed, 2)}`),
    pc.yellow(`⊘ ${pad(p.canceled, 2)}`),
    pc.dim(`oldest wait ${p.oldestWaitMs === null ? "-" : seconds(p.oldestWaitMs)}`),
  ].join("  ");
}

export function createDisplay(mode: Mode) {
  const redraw = createLogUpdate(process.stdout);
  let nextPlainAt = 0;
  const block = (timeMs: number, pools: PoolView[], note: string) =>
    [
      `${pc.bold(`scheduler time ${seconds(timeMs)}`)}   ${pc.dim("pool.stats: ✓ succeeded  ✗ failed  ⊘ canceled")}`,
      ...pools.map((p) => `  ${p.name.padEnd(15)} ${bar(p)} ${counts(p)}`),
      `  ${note}`,
    ].join("\n");
  const lines = (timeMs: number, pools: PoolView[], note: string) =>
    [...pools.map((p) => `[${seconds(timeMs).padStart(7)}] ${p.name.padEnd(15)} ${counts(p)}`), `[${seconds(timeMs).padStart(7)}] ${note}`]
      .map((line) => `${line}\n`)
      .join("");

  return {
    /** A new sample at scheduler time `timeMs` (since the first enqueue). */
    update(timeMs: number, pools: PoolView[], note: string) {
      if (mode === "live") redraw(block(timeMs, pools, note));
      if (mode === "plain" && timeMs >= nextPlainAt) {
        process.stdout.write(lines(timeMs, pools, note));
        nextPlainAt = (Math.floor(timeMs / PLAIN_EVERY_MS) + 1) * PLAIN_EVERY_MS;
      }
    },
    /** The last sample, left on screen. */
    finish(timeMs: number, pools: PoolView[], note: string) {
      if (mode === "live") {
        redraw(block(timeMs, pools, note));
        redraw.done();
      }
      if (mode === "plain") process.stdout.write(lines(timeMs, pools, note));
    },
  };
}

/** A pool's row in the summary. */
export type PoolSummary = {
  name: string;
  cap: number;
  jobs: number;
  succeeded: number;
  failed: number;
  canceled: number;
  attempts: number;
  retries: number;
  makespanMs: number;
  lagP50Ms: number;
  lagP95Ms: number;
  maxRunning: number;
};

export type Check = { ok: boolean; what: string; detail: string };

export function printSummary(pools: PoolSummary[], checks: Check[], footer: string) {
  const table = new Table({
    head: ["pool", "jobs", "succeeded", "failed", "canceled", "attempts", "retries", "makespan", "lag p50", "lag p95", "peak/cap"],
    colAligns: ["left", ...Array<"right">(10).fill("right")],
    style: { head: [], border: [], compact: true },
  });
  for (const p of pools) {
    table.push([
      pc.bold(p.name), p.jobs, p.succeeded, p.failed, p.canceled, p.attempts, p.retries,
      seconds(p.makespanMs), duration(p.lagP50Ms), duration(p.lagP95Ms), `${p.maxRunning}/${p.cap}`,
    ]);
  }
  const out = [
    table.toString(),
    pc.dim("makespan: scheduler time from the first enqueue until the pool's last job finished (a mutation job takes none)."),
    pc.dim("lag: from when an attempt was due (enqueued, delay or backoff over) to its start, waiting for a slot or its key included."),
    pc.dim("peak: most jobs running at once, from the pool's log and the jobs' own gauge."),
    "",
    ...checks.map((c) => `${c.ok ? pc.green("✓") : pc.red("✗")} ${c.what}: ${c.detail}`),
    "",
    footer,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}
