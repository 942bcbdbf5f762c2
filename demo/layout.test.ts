import { describe, expect, test } from "vitest";
import {
  LIVE_LEGEND,
  liveBlock,
  summaryLines,
  table,
  wrap,
  type Check,
  type Paint,
  type PoolSummary,
  type PoolView,
} from "./layout.js";

// The widest numbers a run can show (--jobs 1000: a pool of 1000 jobs,
// minutes of scheduler time), so that the widths are tested at their worst.
const VIEWS: PoolView[] = [
  { name: "emailWorkpool", maxParallelism: 10, running: 10, pendingDue: 1000, pendingDelayed: 0, pendingBackingOff: 312, oldestPendingAgeMs: 123_456, succeeded: 1000, failed: 67, canceled: 0 },
  { name: "scrapeWorkpool", maxParallelism: 5, running: 5, pendingDue: 333, pendingDelayed: 166, pendingBackingOff: 0, oldestPendingAgeMs: null, succeeded: 300, failed: 0, canceled: 33 },
  { name: "counterPool", maxParallelism: 1, running: 1, pendingDue: 199, pendingDelayed: 0, pendingBackingOff: 0, oldestPendingAgeMs: 200, succeeded: 1, failed: 0, canceled: 0 },
];
const SUMMARY: PoolSummary[] = [
  { name: "emailWorkpool", maxParallelism: 10, jobs: 1000, succeeded: 933, failed: 67, canceled: 0, attempts: 1312, retries: 312, makespanMs: 163_400, lagP50Ms: 48_000, lagP95Ms: 132_000, peakRunning: 10 },
  { name: "scrapeWorkpool", maxParallelism: 5, jobs: 344, succeeded: 311, failed: 0, canceled: 33, attempts: 311, retries: 0, makespanMs: 14_700, lagP50Ms: 2_500, lagP95Ms: 11_600, peakRunning: 5 },
  { name: "counterPool", maxParallelism: 1, jobs: 200, succeeded: 200, failed: 0, canceled: 0, attempts: 200, retries: 0, makespanMs: 200, lagP50Ms: 102, lagP95Ms: 193, peakRunning: 1 },
];
const CHECKS: Check[] = [
  { ok: true, what: "cap held", detail: "most running at once email 10/10, scrape 5/5, counter 1/1" },
  { ok: false, what: "one onComplete per job", detail: `${"a very long detail ".repeat(12)}that goes on` },
];
const NOTE = "4 queued scrapes canceled; pipeline: 5/5 runs chained step1 -> onComplete -> step2";
const FOOTER = "seed 1: 120 emails, 40 pages, 200 increments, 5 pipeline runs; 19.6 s of scheduler time in 10.1 s real time.";

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, "g");
const visible = (line: string) => line.replace(ANSI, "");
const colors: Paint = {
  bold: (s) => `\u001b[1m${s}\u001b[22m`,
  dim: (s) => `\u001b[2m${s}\u001b[22m`,
  green: (s) => `\u001b[32m${s}\u001b[39m`,
  red: (s) => `\u001b[31m${s}\u001b[39m`,
  yellow: (s) => `\u001b[33m${s}\u001b[39m`,
};
const WIDTHS = [30, 40, 60, 72, 79, 80, 100, 120, 200];

describe("every line fits the terminal", () => {
  test.each(WIDTHS)("live view, legend and summary at %i columns", (width) => {
    const lines = [
      ...liveBlock(12_400, VIEWS, NOTE, width, colors),
      ...wrap(LIVE_LEGEND, width),
      ...summaryLines(SUMMARY, CHECKS, FOOTER, width, colors),
    ];
    for (const line of lines) expect(visible(line).length, JSON.stringify(visible(line))).toBeLessThanOrEqual(width);
  });

  test.each(WIDTHS)("colors change no layout at %i columns", (width) => {
    expect(liveBlock(1000, VIEWS, NOTE, width, colors).map(visible)).toEqual(liveBlock(1000, VIEWS, NOTE, width));
    expect(summaryLines(SUMMARY, CHECKS, FOOTER, width, colors).map(visible)).toEqual(
      summaryLines(SUMMARY, CHECKS, FOOTER, width),
    );
  });

  test("only printable ASCII is used", () => {
    const text = [...liveBlock(1000, VIEWS, NOTE, 120), LIVE_LEGEND, ...summaryLines(SUMMARY, CHECKS, FOOTER, 120)].join("\n");
    expect(text).toMatch(/^[\x20-\x7e\n]*$/);
  });
});

describe("at 80 columns nothing is left out", () => {
  const header = (width: number) => liveBlock(0, VIEWS, NOTE, width)[1]!;

  test("the live view has every stats column and each pool's full name", () => {
    const lines = liveBlock(12_400, VIEWS, NOTE, 80);
    expect(header(80).split(/\s+/)).toEqual([
      "pool", "run/cap", "due", "delayed", "backoff", "oldest", "succeeded", "failed", "canceled",
    ]);
    expect(lines[2]).toMatch(/^emailWorkpool +10\/10 +1000 +0 +312 +123\.5 s +1000 +67 +0$/);
    expect(lines[3]).toMatch(/^scrapeWorkpool +5\/5 +333 +166 +0 +- +300 +0 +33$/);
  });

  test("a wide terminal also shows each pool's share of finished jobs", () => {
    expect(header(120).split(/\s+/)).toContain("finished");
    // 1067 of 2389 jobs finished: 5 of 12 marks.
    expect(liveBlock(0, VIEWS, NOTE, 120)[2]).toContain("[#####.......]");
  });

  test("the summary's tables have all their columns", () => {
    const lines = summaryLines(SUMMARY, CHECKS, FOOTER, 80);
    expect(lines).toContain("pool            jobs  succeeded  failed  canceled  attempts  retries");
    expect(lines).toContain("pool            makespan  lag p50   lag p95  peak/cap");
    expect(lines).toContain("emailWorkpool    163.4 s  48.00 s  132.00 s     10/10");
  });

  test("each column keeps one unit: seconds, with the unit on every value", () => {
    const timing = summaryLines(SUMMARY, CHECKS, FOOTER, 80);
    const counter = timing.find((l) => l.startsWith("counterPool") && l.includes(" s"))!;
    expect(counter).toBe("counterPool        0.2 s   0.10 s    0.19 s       1/1");
  });

  test("the legends name every column and the stats fields they show", () => {
    for (const field of ["running", "maxParallelism", "pendingDue", "pendingDelayed", "pendingBackingOff", "oldestPendingAgeMs", "lastHour.succeeded"]) {
      expect(LIVE_LEGEND).toContain(field);
    }
    for (const column of ["run/cap", "due", "delayed", "backoff", "oldest", "succeeded, failed, canceled", "finished"]) {
      expect(LIVE_LEGEND).toContain(column);
    }
    const summary = summaryLines(SUMMARY, CHECKS, FOOTER, 80).join(" ");
    for (const column of ["attempts", "retries", "makespan", "lag p50, p95", "peak/cap", "lastHour.retries", "startLag"]) {
      expect(summary).toContain(column);
    }
  });
});

describe("narrow terminals", () => {
  test("the optional column goes first, then the gaps narrow", () => {
    const columns = [
      { header: "a", align: "left" as const, cell: (r: string) => r },
      { header: "b", align: "right" as const, cell: (r: string) => r },
      { header: "extra", align: "left" as const, cell: () => "xxxxx", optional: true },
    ];
    expect(table(columns, ["1234"], 17)).toEqual(["a        b  extra", "1234  1234  xxxxx"]);
    expect(table(columns, ["1234"], 16)).toEqual(["a       b extra", "1234 1234 xxxxx"]);
    expect(table(columns, ["1234"], 12)).toEqual(["a        b", "1234  1234"]);
    // Too narrow even without it, at one space apart: cut.
    expect(table(columns, ["1234"], 8)).toEqual(["a", "1234 123"]);
  });

  test("wrap breaks between words and indents the lines after the first", () => {
    expect(wrap("ok   cap held: most running at once", 16, 5)).toEqual(["ok cap held:", "     most", "     running at", "     once"]);
    expect(wrap("averyveryverylongword x", 10)).toEqual(["averyveryv", "x"]);
  });
});
