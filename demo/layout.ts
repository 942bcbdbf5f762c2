// The demo's text layout, as pure functions of the numbers and a width in
// columns: the live view of each pool's `stats`, the summary tables, and
// the checks. Every line they return fits the width (color codes aside);
// display.ts writes them and picks the width (the terminal's, else 80).
//
// Plain ASCII only, so that any terminal and any log shows the same thing.

/** Colors for a terminal; `plain` leaves text as it is. */
export type Paint = {
  bold: (s: string) => string;
  dim: (s: string) => string;
  green: (s: string) => string;
  red: (s: string) => string;
  yellow: (s: string) => string;
};
const same = (s: string) => s;
export const plain: Paint = { bold: same, dim: same, green: same, red: same, yellow: same };

/** The narrowest width the layout is designed for; narrower, lines are cut. */
export const MIN_WIDTH = 40;
/** When the width is unknown (not a terminal). */
export const DEFAULT_WIDTH = 80;

/** One pool as the live view shows it: fields named as `pool.stats()` names them. */
export type PoolView = {
  name: string;
  maxParallelism: number;
  running: number;
  pendingDue: number;
  pendingDelayed: number;
  pendingBackingOff: number;
  oldestPendingAgeMs: number | null;
  /** `lastHour.succeeded` (the whole run: it lasts less than an hour). */
  succeeded: number;
  failed: number;
  canceled: number;
};

/** A pool's row in the summary, from its jobs' statuses and its log. */
export type PoolSummary = {
  name: string;
  maxParallelism: number;
  jobs: number;
  succeeded: number;
  failed: number;
  canceled: number;
  attempts: number;
  retries: number;
  makespanMs: number;
  lagP50Ms: number;
  lagP95Ms: number;
  peakRunning: number;
};

export type Check = { ok: boolean; what: string; detail: string };

/** Seconds with one decimal and the unit: "4.9 s". */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Seconds with two decimals and the unit, for short times: "0.10 s". */
const seconds2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

type Column<R> = {
  header: string;
  align: "left" | "right";
  cell: (row: R) => string;
  /** Applied after padding, so colors never change the layout. */
  color?: (text: string, row: R) => string;
  /** Dropped first, last column first, when the width is too small. */
  optional?: boolean;
};

/** Cuts a line to `width` characters (it holds no color codes yet). */
function cut(line: string, width: number): string {
  return line.length <= width ? line : line.slice(0, Math.max(0, width));
}

/**
 * A table that fits `width`: two spaces between columns, or one if two do
 * not fit, then without its optional columns, and at worst cut.
 */
export function table<R>(columns: Column<R>[], rows: R[], width: number): string[] {
  const fits = (cols: Column<R>[], gap: number) => widthOf(cols, rows, gap) <= width;
  let cols = columns;
  let gap = 2;
  while (!fits(cols, gap)) {
    if (gap === 2) gap = 1;
    else if (cols.some((c) => c.optional)) {
      const last = cols.map((c) => c.optional === true).lastIndexOf(true);
      cols = cols.filter((_, i) => i !== last);
      gap = 2;
    } else break;
  }
  const widths = cols.map((c) => Math.max(c.header.length, ...rows.map((r) => c.cell(r).length)));
  const pad = (text: string, i: number) =>
    cols[i]!.align === "left" ? text.padEnd(widths[i]!) : text.padStart(widths[i]!);
  const line = (cells: string[], paint: (text: string, i: number) => string) => {
    const plainLine = cells.map(pad).join(" ".repeat(gap)).trimEnd();
    if (plainLine.length > width) return cut(plainLine, width).trimEnd();
    return cells.map((text, i) => paint(pad(text, i), i)).join(" ".repeat(gap)).trimEnd();
  };
  return [
    line(cols.map((c) => c.header), (text) => text),
    ...rows.map((r) => line(cols.map((c) => c.cell(r)), (text, i) => cols[i]!.color?.(text, r) ?? text)),
  ];
}

function widthOf<R>(cols: Column<R>[], rows: R[], gap: number): number {
  const widths = cols.map((c) => Math.max(c.header.length, ...rows.map((r) => c.cell(r).length)));
  return widths.reduce((a, b) => a + b, 0) + gap * Math.max(0, cols.length - 1);
}

/** Words wrapped to `width`, later lines indented by `indent` spaces; a word longer than a line is cut. */
export function wrap(text: string, width: number, indent = 0): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const prefix = lines.length === 0 ? "" : " ".repeat(indent);
    const candidate = current === "" ? prefix + word : `${current} ${word}`;
    if (candidate.length <= width || current === "") {
      current = cut(candidate, width);
    } else {
      lines.push(current);
      current = cut(" ".repeat(indent) + word, width);
    }
  }
  if (current !== "") lines.push(current);
  return lines;
}

const BAR_WIDTH = 12;

/** "[#####.......]": the share of a pool's jobs seen so far that have finished. */
function bar(p: PoolView): string {
  const finished = p.succeeded + p.failed + p.canceled;
  const jobs = finished + p.running + p.pendingDue + p.pendingDelayed + p.pendingBackingOff;
  const filled = Math.round((finished / Math.max(jobs, 1)) * BAR_WIDTH);
  return `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}]`;
}

function liveColumns(paint: Paint): Column<PoolView>[] {
  return [
    { header: "pool", align: "left", cell: (p) => p.name, color: (t) => paint.bold(t) },
    { header: "run/cap", align: "right", cell: (p) => `${p.running}/${p.maxParallelism}` },
    { header: "due", align: "right", cell: (p) => String(p.pendingDue) },
    { header: "delayed", align: "right", cell: (p) => String(p.pendingDelayed) },
    { header: "backoff", align: "right", cell: (p) => String(p.pendingBackingOff) },
    { header: "oldest", align: "right", cell: (p) => (p.oldestPendingAgeMs === null ? "-" : seconds(p.oldestPendingAgeMs)) },
    { header: "succeeded", align: "right", cell: (p) => String(p.succeeded), color: (t) => paint.green(t) },
    { header: "failed", align: "right", cell: (p) => String(p.failed), color: (t, p) => (p.failed > 0 ? paint.red(t) : t) },
    { header: "canceled", align: "right", cell: (p) => String(p.canceled), color: (t, p) => (p.canceled > 0 ? paint.yellow(t) : t) },
    { header: "finished", align: "left", cell: bar, optional: true },
  ];
}

/** What each live column shows, in the names of `pool.stats()`. */
export const LIVE_LEGEND =
  "Columns are pool.stats() fields: run/cap = running / maxParallelism; " +
  "due = pendingDue (due, waiting for a slot or for an earlier job of its key); " +
  "delayed = pendingDelayed (not due yet); backoff = pendingBackingOff (failed an attempt, " +
  "waiting to retry); oldest = oldestPendingAgeMs in seconds (how long the job due longest " +
  "ago has waited; - if none); succeeded, failed, canceled = lastHour.succeeded, .failed, " +
  ".canceled (this whole run, which lasts less than an hour); finished (on wide terminals) = " +
  "the share of the pool's jobs so far that have finished.";

/** The live view: a heading, one row per pool, and a note (the legend is printed apart). */
export function liveBlock(timeMs: number, pools: PoolView[], note: string, width: number, paint: Paint = plain): string[] {
  const heading = `scheduler time ${seconds(timeMs)}, pool.stats() every 0.2 s`;
  return [
    paint.bold(cut(heading, width)),
    ...table(liveColumns(paint), pools, width),
    ...wrap(note, width).map((l) => paint.dim(l)),
  ];
}

function outcomeColumns(paint: Paint): Column<PoolSummary>[] {
  return [
    { header: "pool", align: "left", cell: (p) => p.name, color: (t) => paint.bold(t) },
    { header: "jobs", align: "right", cell: (p) => String(p.jobs) },
    { header: "succeeded", align: "right", cell: (p) => String(p.succeeded) },
    { header: "failed", align: "right", cell: (p) => String(p.failed) },
    { header: "canceled", align: "right", cell: (p) => String(p.canceled) },
    { header: "attempts", align: "right", cell: (p) => String(p.attempts) },
    { header: "retries", align: "right", cell: (p) => String(p.retries) },
  ];
}

function timingColumns(paint: Paint): Column<PoolSummary>[] {
  return [
    { header: "pool", align: "left", cell: (p) => p.name, color: (t) => paint.bold(t) },
    { header: "makespan", align: "right", cell: (p) => seconds(p.makespanMs) },
    { header: "lag p50", align: "right", cell: (p) => seconds2(p.lagP50Ms) },
    { header: "lag p95", align: "right", cell: (p) => seconds2(p.lagP95Ms) },
    { header: "peak/cap", align: "right", cell: (p) => `${p.peakRunning}/${p.maxParallelism}` },
  ];
}

export const OUTCOME_LEGEND =
  "From each job's status at the end (every job of the pool, the pipeline's steps included). " +
  "succeeded, failed, canceled: how the jobs ended (status outcome), named as stats' " +
  "lastHour fields, which the check below compares them with; attempts: the sum of status " +
  "attempts; retries: attempts after each job's first (stats' lastHour.retries).";

export const TIMING_LEGEND =
  "makespan: scheduler time from the first enqueue until the pool's last job finished " +
  "(a mutation job takes none). lag p50, p95: the median and 95th percentile of start lag, " +
  "the time from when an attempt was due (enqueued, delay or backoff over) to its start, " +
  "waiting for a slot or for its key included; it is the startLag of the pool's started log " +
  "event, not a stats field. peak/cap: the most jobs running at once (from the pool's log " +
  "and the jobs' own gauge; stats' running at its highest) / maxParallelism.";

/** The summary: two tables with their legends, the checks, and a footer. */
export function summaryLines(pools: PoolSummary[], checks: Check[], footer: string, width: number, paint: Paint = plain): string[] {
  const legend = (text: string) => wrap(text, width).map((l) => paint.dim(l));
  return [
    paint.bold("Outcomes"),
    ...table(outcomeColumns(paint), pools, width),
    ...legend(OUTCOME_LEGEND),
    "",
    paint.bold("Timing"),
    ...table(timingColumns(paint), pools, width),
    ...legend(TIMING_LEGEND),
    "",
    ...checks.flatMap((c) => {
      // "ok  " or "FAIL", then the text, its later lines under its first.
      const mark = c.ok ? "ok  " : "FAIL";
      const paintMark = c.ok ? paint.green : paint.red;
      return wrap(`${c.what}: ${c.detail}`, Math.max(1, width - 5)).map((text, i) => {
        const line = `${i === 0 ? mark : "    "} ${text}`;
        if (line.length > width) return cut(line, width);
        return i === 0 ? `${paintMark(mark)} ${text}` : line;
      });
    }),
    "",
    ...wrap(footer, width),
  ];
}
