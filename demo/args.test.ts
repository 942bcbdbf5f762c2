import { describe, expect, test } from "vitest";
import { DEFAULT_JOBS, DEFAULT_SEED, estimateSeconds, MAX_JOBS, MAX_SEED, parseDemoArgs, SLOW_JOBS, USAGE } from "./args.js";

const options = (argv: string[]) => {
  const parsed = parseDemoArgs(argv);
  if (parsed.kind !== "run") throw new Error(`expected a run, got ${JSON.stringify(parsed)}`);
  return parsed.options;
};
const error = (argv: string[]) => {
  const parsed = parseDemoArgs(argv);
  if (parsed.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
};

describe("parseDemoArgs", () => {
  test("no flags give the defaults", () => {
    expect(parseDemoArgs([])).toEqual({
      kind: "run",
      options: { jobs: DEFAULT_JOBS, seed: DEFAULT_SEED, quiet: false, html: null },
      notice: null,
    });
  });

  test("each flag takes its value after a space or an equals sign", () => {
    expect(options(["--jobs", "50", "--seed", "7", "--quiet", "--html", "out.html"])).toEqual({
      jobs: 50,
      seed: 7,
      quiet: true,
      html: "out.html",
    });
    expect(options(["--jobs=50", "--seed=0", "--html=a b.html"])).toMatchObject({ jobs: 50, seed: 0, html: "a b.html" });
  });

  test("the ends of each range are accepted", () => {
    expect(options(["--jobs", "1"]).jobs).toBe(1);
    expect(options(["--jobs", String(MAX_JOBS)]).jobs).toBe(MAX_JOBS);
    expect(options(["--seed", String(MAX_SEED)]).seed).toBe(MAX_SEED);
  });

  test("--help and -h ask for the usage, whatever else is given", () => {
    expect(parseDemoArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseDemoArgs(["--jobs", "5", "-h"])).toEqual({ kind: "help" });
  });

  test.each([
    [["--jobs", "-5"], "--jobs must be an integer from 1 to 1000, got -5"],
    [["--jobs", "0"], "--jobs must be an integer from 1 to 1000, got 0"],
    [["--jobs", "1001"], "--jobs must be an integer from 1 to 1000, got 1001"],
    [["--jobs", "abc"], '--jobs must be an integer from 1 to 1000, got "abc"'],
    [["--jobs", "1e3"], '--jobs must be an integer from 1 to 1000, got "1e3"'],
    [["--jobs", "12.0"], '--jobs must be an integer from 1 to 1000, got "12.0"'],
    [["--jobs"], "--jobs needs a value"],
    [["--jobs="], "--jobs needs a value"],
    [["--jobs", "--quiet"], "--jobs needs a value"],
    [["--seed", "1.5"], `--seed must be an integer from 0 to ${MAX_SEED}, got "1.5"`],
    [["--seed", "-1"], `--seed must be an integer from 0 to ${MAX_SEED}, got -1`],
    [["--seed", String(MAX_SEED + 1)], `--seed must be an integer from 0 to ${MAX_SEED}, got ${MAX_SEED + 1}`],
    [["--html"], "--html needs a value"],
    [["--bogus"], "unknown flag --bogus"],
    [["--bogus=1"], "unknown flag --bogus"],
    [["-x"], "unknown flag -x"],
    [["jobs"], 'unexpected argument "jobs" (flags start with --)'],
    [["--quiet=yes"], '--quiet takes no value, got "--quiet=yes"'],
  ])("%j is refused: %s", (argv, message) => {
    expect(error(argv)).toBe(message);
  });

  test("a run of more than SLOW_JOBS jobs says how long it takes; a short one says nothing", () => {
    expect(parseDemoArgs(["--jobs", String(SLOW_JOBS)])).toMatchObject({ notice: null });
    expect(parseDemoArgs(["--jobs", String(MAX_JOBS)])).toMatchObject({
      kind: "run",
      notice: `--jobs ${MAX_JOBS}: this run takes about ${estimateSeconds(MAX_JOBS)} s on an idle 2-core machine, longer on a busy one.`,
    });
  });

  test("the time estimate grows with the jobs and matches the measured runs within a few seconds", () => {
    expect(estimateSeconds(DEFAULT_JOBS)).toBeGreaterThanOrEqual(4);
    expect(estimateSeconds(DEFAULT_JOBS)).toBeLessThanOrEqual(10);
    expect(estimateSeconds(500)).toBeGreaterThanOrEqual(20);
    expect(estimateSeconds(500)).toBeLessThanOrEqual(30);
    expect(estimateSeconds(MAX_JOBS)).toBeGreaterThanOrEqual(60);
    expect(estimateSeconds(MAX_JOBS)).toBeLessThanOrEqual(75);
  });

  test("the usage gives every flag with its range and default", () => {
    for (const flag of ["--jobs N", "--seed S", "--quiet", "--html FILE", "--help"]) expect(USAGE).toContain(flag);
    expect(USAGE).toContain(`integer 1-${MAX_JOBS} (default ${DEFAULT_JOBS})`);
    expect(USAGE).toContain(`integer 0-${MAX_SEED} (default ${DEFAULT_SEED})`);
    for (const line of USAGE.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });
});
