// What the demo prints, laid out by layout.ts: while the pools work, a live
// block redrawn in place (log-update) on a terminal, or the same block every
// ~2 s of scheduler time otherwise, both showing each pool's `stats`; at the
// end, the summary tables and the checks. Lines fit the terminal's width
// (read again at each redraw, so a resize is followed), else 80 columns.
import { createLogUpdate } from "log-update";
import picocolors from "picocolors";
import {
  DEFAULT_WIDTH,
  LIVE_LEGEND,
  liveBlock,
  plain,
  summaryLines,
  wrap,
  type Check,
  type Paint,
  type PoolSummary,
  type PoolView,
} from "./layout.js";

/** live: redrawn block (a terminal); plain: periodic blocks (CI, pipes); quiet: summary only. */
export type Mode = "live" | "plain" | "quiet";

const PLAIN_EVERY_MS = 2000;

/** Where the demo writes, and how wide and colorful it may be. */
export type Output = {
  write: (text: string) => void;
  /** Columns to fit, read at each write. */
  width: () => number;
  paint: Paint;
  /** A stream log-update can redraw in place, for the live mode. */
  stream?: NodeJS.WriteStream;
};

/** The process's stdout: its width and colors if it is a terminal (colors unless NO_COLOR is set). */
export function terminalOutput(): Output {
  const tty = process.stdout.isTTY === true;
  const colors = picocolors.createColors(tty && process.env.NO_COLOR === undefined);
  return {
    write: (text) => process.stdout.write(text),
    width: () => (tty && process.stdout.columns > 0 ? process.stdout.columns : DEFAULT_WIDTH),
    paint: tty ? colors : plain,
    stream: process.stdout,
  };
}

export function createDisplay(mode: Mode, out: Output) {
  const redraw = mode === "live" && out.stream ? createLogUpdate(out.stream) : null;
  let nextPlainAt = 0;
  let legendShown = false;
  const block = (timeMs: number, pools: PoolView[], note: string) => liveBlock(timeMs, pools, note, out.width(), out.paint);
  const legend = () => wrap(LIVE_LEGEND, out.width()).map((l) => out.paint.dim(l));
  const writeLines = (lines: string[]) => out.write(`${lines.join("\n")}\n`);

  return {
    /** A new sample at scheduler time `timeMs` (since the first enqueue). */
    update(timeMs: number, pools: PoolView[], note: string) {
      if (redraw) redraw([...block(timeMs, pools, note), ...legend()].join("\n"));
      if (mode === "plain" && timeMs >= nextPlainAt) {
        if (!legendShown) writeLines(legend());
        legendShown = true;
        writeLines(["", ...block(timeMs, pools, note)]);
        nextPlainAt = (Math.floor(timeMs / PLAIN_EVERY_MS) + 1) * PLAIN_EVERY_MS;
      }
    },
    /** The last sample, left on screen. */
    finish(timeMs: number, pools: PoolView[], note: string) {
      if (redraw) {
        redraw([...block(timeMs, pools, note), ...legend()].join("\n"));
        redraw.done();
      }
      if (mode === "plain") writeLines(["", ...block(timeMs, pools, note), ""]);
    },
  };
}

export function printSummary(out: Output, pools: PoolSummary[], checks: Check[], footer: string) {
  out.write(`\n${summaryLines(pools, checks, footer, out.width(), out.paint).join("\n")}\n`);
}

export type { Check, PoolSummary, PoolView };
