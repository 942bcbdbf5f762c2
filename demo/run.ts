// `npm run demo -- [--jobs N] [--seed S] [--quiet] [--html FILE]`: the
// example app's three pools at work on an in-process backend (demo.ts),
// shown live on a terminal. `--help` lists the flags and their ranges.
//
// Exit status: 0 if every check passed, 1 if one failed, 2 for a bad flag
// (with what is wrong and the usage, never a stack trace).
import { existsSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDemoArgs, USAGE } from "./args.js";
import { runDemo } from "./demo.js";
import { terminalOutput, type Mode } from "./display.js";
import { renderHtml } from "./html.js";

// Output piped into a reader that stopped (`npm run demo | head`): stop too,
// quietly, rather than with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const parsed = parseDemoArgs(process.argv.slice(2));
if (parsed.kind === "help") {
  console.log(USAGE);
  process.exit(0);
}
if (parsed.kind === "error") {
  console.error(`demo: ${parsed.message}\n\n${USAGE}`);
  process.exit(2);
}
const { options, notice } = parsed;
// Refuse an HTML path that cannot be written before the run, not after it.
if (options.html !== null) {
  const folder = dirname(resolve(options.html));
  const problem = !existsSync(folder)
    ? `--html ${options.html}: the folder ${folder} does not exist`
    : existsSync(resolve(options.html)) && statSync(resolve(options.html)).isDirectory()
      ? `--html ${options.html}: that is a folder; give a file name`
      : null;
  if (problem) {
    console.error(`demo: ${problem}\n\n${USAGE}`);
    process.exit(2);
  }
}
if (notice) console.error(notice);

const out = terminalOutput();
const live = process.stdout.isTTY === true && !process.env.CI;
const mode: Mode = options.quiet ? "quiet" : live ? "live" : "plain";
const result = await runDemo(options, mode, out);
if (options.html !== null) {
  const file = resolve(options.html);
  try {
    writeFileSync(file, renderHtml(result.timeline));
    console.log(`wrote ${file}`);
  } catch (error) {
    console.error(`demo: could not write ${file}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
process.exitCode = result.ok && process.exitCode !== 1 ? 0 : 1;
