/**
 * Keeps the README's TypeScript samples compiled: each one must be an excerpt
 * of a file that `npm run typecheck` checks (the example app, its tests).
 *
 * Every ```ts / ```typescript block in the README must follow a marker, on
 * the line before its fence (blank lines allowed in between):
 *
 *   <!-- snippet: example/convex/emails.ts -->
 *
 * and its non-blank lines must appear in that file in the same order and
 * next to each other (blank lines aside), each compared with its leading and
 * trailing whitespace trimmed. A line that is exactly `// ...` stands for any
 * number of skipped lines. Blocks in other languages (sh, ...) are not
 * checked.
 *
 * Usage:
 *   npx tsx scripts/check-readme.ts [README.md]
 *
 * Marker paths are relative to the repository root and must name a .ts file
 * that tsconfig.json includes. Exits 1 listing each failing block (README
 * line, file, first line that does not match), else prints a summary.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MARKER = /^\s*<!--\s*snippet:\s*(\S+)\s*-->\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/;
const CHECKED_LANGUAGES = new Set(["ts", "typescript"]);
const ELISION = "// ...";

type Block = {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  body: string[];
  /** The marker's path, if a marker precedes the fence. */
  source?: string;
  /** 1-based line of that marker. */
  markerLine?: number;
};

type Problem = { line: number; message: string };

/** The fenced code blocks of a Markdown text, with their markers. */
function parseBlocks(lines: string[], problems: Problem[]): Block[] {
  const blocks: Block[] = [];
  let pendingMarker: { source: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const marker = MARKER.exec(text);
    if (marker) {
      if (pendingMarker) {
        problems.push({ line: pendingMarker.line, message: `marker for ${pendingMarker.source} is not followed by a code block` });
      }
      pendingMarker = { source: marker[1]!, line: i + 1 };
      continue;
    }
    const fence = FENCE.exec(text);
    if (!fence) {
      if (text.trim() !== "" && pendingMarker) {
        problems.push({ line: pendingMarker.line, message: `marker for ${pendingMarker.source} is not followed by a code block` });
        pendingMarker = undefined;
      }
      continue;
    }
    // A fence closes at a line of at least as many of the same character.
    const opener = fence[1]!;
    const closer = new RegExp(`^ {0,3}${opener[0] === "`" ? "`" : "~"}{${opener.length},}\\s*$`);
    const body: string[] = [];
    let end = i + 1;
    while (end < lines.length && !closer.test(lines[end]!)) body.push(lines[end++]!);
    if (end >= lines.length) problems.push({ line: i + 1, message: "code block is never closed" });
    blocks.push({
      line: i + 1,
      lang: fence[2]!.toLowerCase(),
      body,
      ...(pendingMarker ? { source: pendingMarker.source, markerLine: pendingMarker.line } : {}),
    });
    pendingMarker = undefined;
    i = end;
  }
  if (pendingMarker) {
    problems.push({ line: pendingMarker.line, message: `marker for ${pendingMarker.source} is not followed by a code block` });
  }
  return blocks;
}

/** Whether tsconfig.json's `include` (minus `exclude`) covers `file` (relative to ROOT). */
function typechecked(file: string): boolean {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8")) as {
    include?: string[];
    exclude?: string[];
  };
  const under = (entry: string) => {
    const prefix = entry.replace(/\/+$/, "");
    return file === prefix || file.startsWith(`${prefix}/`);
  };
  return (config.include ?? []).some(under) && !(config.exclude ?? []).some(under);
}

/** A line of code as compared: trimmed. */
const norm = (line: string) => line.trim();

/**
 * Matches `segment` (non-blank, trimmed lines) against `file` lines from
 * `from` on: the first index where the whole segment matches contiguously,
 * else the closest attempt (most lines matched, first such place).
 */
function findSegment(
  file: { text: string; line: number }[],
  segment: string[],
  from: number,
): { at: number } | { matched: number; closest: number } {
  let best = { matched: -1, closest: from };
  for (let start = from; start < file.length; start++) {
    let k = 0;
    while (k < segment.length && start + k < file.length && file[start + k]!.text === segment[k]) k++;
    if (k === segment.length) return { at: start };
    if (k > best.matched) best = { matched: k, closest: start };
  }
  return { matched: Math.max(best.matched, 0), closest: best.closest };
}

/** Checks one block against its file; returns a problem or null. */
function checkBlock(block: Block): Problem | null {
  const source = block.source;
  if (source === undefined) {
    return { line: block.line, message: "```" + block.lang + " block has no <!-- snippet: path --> marker before it" };
  }
  const where = source;
  if (path.isAbsolute(source) || source.split("/").includes("..")) {
    return { line: block.line, message: `${where}: marker paths are relative to the repository root, without ".."` };
  }
  if (!/\.tsx?$/.test(source)) return { line: block.line, message: `${where}: not a TypeScript file` };
  if (!typechecked(source)) return { line: block.line, message: `${where}: not included by tsconfig.json, so not typechecked` };
  const full = path.join(ROOT, source);
  if (!fs.existsSync(full)) return { line: block.line, message: `${where}: no such file` };

  const file = fs
    .readFileSync(full, "utf8")
    .split(/\r?\n/)
    .map((text, i) => ({ text: norm(text), line: i + 1 }))
    .filter((l) => l.text !== "");

  // The block's non-blank lines, split into segments at `// ...`.
  const segments: { text: string; line: number }[][] = [[]];
  block.body.forEach((text, i) => {
    const t = norm(text);
    if (t === "") return;
    if (t === ELISION) segments.push([]);
    else segments[segments.length - 1]!.push({ text: t, line: block.line + 1 + i });
  });
  const nonEmpty = segments.filter((s) => s.length > 0);
  if (nonEmpty.length === 0) return { line: block.line, message: `${where}: the block has no code` };

  // Each segment, in order, at the earliest place after the previous one:
  // placing each as early as possible leaves the most room for the rest.
  let from = 0;
  for (const segment of nonEmpty) {
    const found = findSegment(file, segment.map((l) => l.text), from);
    if ("at" in found) {
      from = found.at + segment.length;
      continue;
    }
    const bad = segment[found.matched]!;
    const near = file[found.closest + found.matched];
    const context = found.matched > 0 && near ? ` (closest: ${source}:${near.line} is "${near.text}")` : "";
    return {
      line: bad.line,
      message: `${where}: "${bad.text}" not found${from > 0 ? " after the lines before it" : ""}${context}`,
    };
  }
  return null;
}

function main(): number {
  const readme = path.resolve(process.argv[2] ?? path.join(ROOT, "README.md"));
  const name = path.relative(process.cwd(), readme) || readme;
  const lines = fs.readFileSync(readme, "utf8").split(/\r?\n/);
  const problems: Problem[] = [];
  const blocks = parseBlocks(lines, problems);
  const checked = blocks.filter((b) => CHECKED_LANGUAGES.has(b.lang));
  for (const block of blocks) {
    if (!CHECKED_LANGUAGES.has(block.lang) && block.source !== undefined) {
      problems.push({
        line: block.markerLine ?? block.line,
        message: `marker for ${block.source} precedes a \`\`\`${block.lang || "(no language)"} block, which is not checked`,
      });
    }
  }
  for (const block of checked) {
    const problem = checkBlock(block);
    if (!problem) continue;
    const prefix = problem.line === block.line ? "" : `block at line ${block.line}: `;
    problems.push({ line: problem.line, message: prefix + problem.message });
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line);
    for (const p of problems) console.error(`${name}:${p.line}: ${p.message}`);
    console.error(`${problems.length} problem(s) in ${name}'s samples.`);
    return 1;
  }
  const files = new Set(checked.map((b) => b.source));
  console.log(`${name}: ${checked.length} TypeScript samples, all excerpts of ${files.size} typechecked files.`);
  return 0;
}

process.exitCode = main();
