// The demo's command line, as a pure function: argv in, options or a
// message out. run.ts prints the message and the usage and exits 2 on an
// error; nothing here throws or exits.

/** Email jobs by default; the scraper gets a third as many pages. */
export const DEFAULT_JOBS = 120;
export const MIN_JOBS = 1;
/**
 * The most email jobs a run takes. Real time grows faster than the job
 * count (convex-test scans a pool's documents on each query); see
 * `estimateSeconds`.
 */
export const MAX_JOBS = 1000;
/** Above this many jobs, the demo says how long the run will take. */
export const SLOW_JOBS = 300;

/**
 * Real time of a run on an idle 2-core machine, in seconds, fitted to
 * measured runs (CPU time 5 s at 120 jobs, 23 s at 500, 67 s at 1000).
 * A busy machine takes several times as long.
 */
export function estimateSeconds(jobs: number): number {
  return Math.round(2 + 0.025 * jobs + 0.000042 * jobs * jobs);
}
export const DEFAULT_SEED = 1;
/** Seeds are 32-bit unsigned integers (the demo's random generator's state). */
export const MAX_SEED = 2 ** 32 - 1;

export const USAGE = `usage: npm run demo -- [--jobs N] [--seed S] [--quiet] [--html FILE]

  --jobs N     email jobs, an integer ${MIN_JOBS}-${MAX_JOBS} (default ${DEFAULT_JOBS}); the scraper
               gets N/3 pages. A run takes about ${estimateSeconds(DEFAULT_JOBS)} s at ${DEFAULT_JOBS}, ${estimateSeconds(500)} s at 500
               and ${estimateSeconds(MAX_JOBS)} s at ${MAX_JOBS} on an idle 2-core machine.
  --seed S     an integer 0-${MAX_SEED} (default ${DEFAULT_SEED}): the same seed replays
               the same run, timings included.
  --quiet      print only the summary and the checks.
  --html FILE  also write the run as a self-contained HTML page (charts of
               each pool's running jobs against its cap, its queue, and the
               spread of start lags) to FILE.
  --help, -h   print this and exit.

Exit status: 0 if every check passed, 1 if one failed, 2 for a bad flag.`;

export type DemoOptions = {
  jobs: number;
  seed: number;
  quiet: boolean;
  /** Where to write the HTML page, or null for none. */
  html: string | null;
};

export type ParsedArgs =
  | { kind: "run"; options: DemoOptions; notice: string | null }
  | { kind: "help" }
  | { kind: "error"; message: string };

type Flag = "jobs" | "seed" | "quiet" | "html" | "help";
const TAKES_VALUE: Record<Flag, boolean> = { jobs: true, seed: true, html: true, quiet: false, help: false };

function flagOf(name: string): Flag | null {
  if (name === "-h" || name === "--help") return "help";
  const bare = name.startsWith("--") ? name.slice(2) : null;
  return bare !== null && bare in TAKES_VALUE ? (bare as Flag) : null;
}

/** An integer written in decimal digits (no sign, exponent or fraction) in [min, max], or a message. */
function integerIn(flag: string, raw: string, min: number, max: number): number | string {
  const rule = `${flag} must be an integer from ${min} to ${max}`;
  if (!/^-?\d+$/.test(raw.trim())) return `${rule}, got ${JSON.stringify(raw)}`;
  const n = Number(raw);
  return n >= min && n <= max ? n : `${rule}, got ${raw.trim()}`;
}

/**
 * Reads the demo's flags (`process.argv.slice(2)`). Values follow their
 * flag (`--jobs 50`) or an equals sign (`--jobs=50`).
 */
export function parseDemoArgs(argv: readonly string[]): ParsedArgs {
  const options: DemoOptions = { jobs: DEFAULT_JOBS, seed: DEFAULT_SEED, quiet: false, html: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const flag = flagOf(name);
    if (flag === null) {
      return {
        kind: "error",
        message: arg.startsWith("-") ? `unknown flag ${name}` : `unexpected argument ${JSON.stringify(arg)} (flags start with --)`,
      };
    }
    if (flag === "help") return { kind: "help" };
    if (!TAKES_VALUE[flag]) {
      if (eq !== -1) return { kind: "error", message: `--${flag} takes no value, got ${JSON.stringify(arg)}` };
      options.quiet = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i + 1];
      // "--jobs --quiet" is a missing value, but "--jobs -5" a bad one.
      if (value !== undefined && flagOf(value) === null) i++;
      else value = undefined;
    }
    if (value === undefined || value === "") {
      return { kind: "error", message: `--${flag} needs a value` };
    }
    if (flag === "html") {
      options.html = value;
      continue;
    }
    const n =
      flag === "jobs" ? integerIn("--jobs", value, MIN_JOBS, MAX_JOBS) : integerIn("--seed", value, 0, MAX_SEED);
    if (typeof n === "string") return { kind: "error", message: n };
    if (flag === "jobs") options.jobs = n;
    else options.seed = n;
  }
  const notice =
    options.jobs > SLOW_JOBS
      ? `--jobs ${options.jobs}: this run takes about ${estimateSeconds(options.jobs)} s on an idle 2-core machine, longer on a busy one.`
      : null;
  return { kind: "run", options, notice };
}
