// The conflict audit's part of the report (docs/conflict-audit.md): a
// summary of conflicting pairs per job, this package against 0.5.0, on every
// workload, and per workload the pairs by pair of kinds, their main causes
// (table, index, range) and the documents written most. From one audited
// run per workload and package (`audit: true` in driver.ts), apart from the
// measured runs, whose wall times the recording would slow down.
import { pairsPerJob, type ConflictReport } from "../test/audit/index.js";
import {
  VARIANTS,
  sameWorkload,
  type RunResult,
  type Workload,
} from "./driver.js";

/** The audited variants, in column order: this package (default retention) and 0.5.0. */
export const AUDIT_VARIANT_IDS = ["ours", "pub050"] as const;
type AuditedId = (typeof AUDIT_VARIANT_IDS)[number];
const SHORT: Record<AuditedId, string> = { ours: "ours", pub050: "0.5.0" };

/**
 * Pairs of kinds the summary gives a column of their own when they occur
 * (DESIGN §11 names the loop against each writer, and enqueue against
 * enqueue; report against report is where mutation jobs contend).
 */
const FOCUS: Array<[string, string]> = [
  ["loop", "enqueue"],
  ["loop", "report"],
  ["loop", "cancel"],
  ["loop", "finalize"],
  ["enqueue", "enqueue"],
  ["report", "report"],
];
/** Causes and hot documents listed per package and workload. */
const TOP_CAUSES = 5;
const TOP_DOCUMENTS = 3;

/** Per job: "0" only when none; a one-off pair in 1,000 jobs shows as 0.001, not 0.00. */
const perJob = (x: number) =>
  x === 0 ? "0" : x < 0.01 ? x.toPrecision(1) : x.toFixed(2);
/** "loop × enqueue": the loop first, as DESIGN §11 names its pairs. */
const pairName = ([a, b]: readonly [string, string]) =>
  b === "loop" && a !== "loop" ? `${b} × ${a}` : `${a} × ${b}`;
const samePair = (p: readonly [string, string], q: readonly [string, string]) =>
  (p[0] === q[0] && p[1] === q[1]) || (p[0] === q[1] && p[1] === q[0]);

function auditOf(
  runs: RunResult[],
  w: Workload,
  id: AuditedId,
): { run: RunResult; report: ConflictReport } | null {
  const run = runs.find(
    (r) => r.variant === id && sameWorkload(r.workload, w) && r.conflicts,
  );
  return run?.conflicts ? { run, report: run.conflicts.report } : null;
}

/** Conflicting pairs per job of the pairs of kinds that `keep` accepts. */
function pairsWhere(
  report: ConflictReport,
  keep: (kinds: [string, string]) => boolean,
): number {
  return (
    report.kindPairs
      .filter((p) => keep(p.kinds))
      .reduce((a, p) => a + p.conflicts, 0) / Math.max(report.jobs, 1)
  );
}

const involvesLoop = (k: [string, string]) =>
  k[0] === "loop" || k[1] === "loop";

/** The table of a document, with its nested component's path inside the mount ("batchWorker/workerState"). */
function tableIn(run: RunResult, component: string, table: string): string {
  const pool = VARIANTS.find((v) => v.id === run.variant)!.pool;
  const inside = component === pool ? "" : component.slice(pool.length + 1);
  return inside === "" ? table : `${inside}/${table}`;
}

function hottest(run: RunResult, report: ConflictReport): string {
  const h = report.hot[0];
  return h === undefined
    ? "none ≥ " + report.hotThreshold
    : `\`${tableIn(run, h.component, h.table)}\` ${perJob(h.perJob)}`;
}

export type AuditMeta = {
  /** Jobs per audited run: batch and stream workloads. */
  n: number;
  streamN: number;
  runtimeS: number;
};

/**
 * The summary near the top of the report: per workload, conflicting pairs
 * per job, ours / 0.5.0, in all and by the pairs of kinds that matter most.
 */
export function renderConflictSummary(
  out: string[],
  meta: AuditMeta | null,
  workloads: Workload[],
  auditRuns: RunResult[],
) {
  out.push("## Conflicts: this package vs 0.5.0, every workload", "");
  if (meta === null) {
    out.push("The conflict audit was skipped (`BENCH_AUDIT=0`).", "");
    return;
  }
  out.push(
    "What a real deployment would retry, which convex-test (one transaction at a time) never shows: the " +
      "conflict audit (`test/audit`, docs/conflict-audit.md) records each transaction's read set (as index " +
      "intervals, Convex's rules) and write set, and pairs transactions that could have overlapped (within 1 ms " +
      "and 10 transactions of each other, or one scheduled by the other as a stand-in for the next such pair; " +
      "one loop iteration at a time). A pair conflicts when one read what the other wrote: about one retry of " +
      "the later committer. Figures are **conflicting pairs per job**, ours / 0.5.0, by pair of kinds of " +
      "transaction (test/audit/kinds.ts), either way round. " +
      `One audited run per workload and package, apart from the measured runs: ${meta.n} jobs per batch run, ` +
      `${meta.streamN} per stream run, from the first enqueue to the end of the day after the drain ` +
      `(${meta.runtimeS.toFixed(0)} s in all). 0.4.12 is not audited.`,
    "",
  );
  const audited = workloads.filter((w) =>
    AUDIT_VARIANT_IDS.every((id) => auditOf(auditRuns, w, id)),
  );
  if (audited.length === 0) {
    out.push("No audited runs.", "");
    return;
  }
  const reports = audited.flatMap((w) =>
    AUDIT_VARIANT_IDS.map((id) => auditOf(auditRuns, w, id)!.report),
  );
  const occurs = (pair: [string, string]) =>
    reports.some((r) =>
      r.kindPairs.some((p) => samePair(p.kinds, pair) && p.pairs > 0),
    );
  const focus = FOCUS.filter(occurs);
  const inFocus = (k: [string, string]) => focus.some((f) => samePair(f, k));
  const columns: Array<{
    name: string;
    keep: (k: [string, string]) => boolean;
  }> = [
    { name: "all pairs", keep: () => true },
    ...focus.map((f) => ({
      name: pairName(f),
      keep: (k: [string, string]) => samePair(f, k),
    })),
    {
      name: "loop × other kinds",
      keep: (k: [string, string]) => involvesLoop(k) && !inFocus(k),
    },
    {
      name: "other pairs",
      keep: (k: [string, string]) => !involvesLoop(k) && !inFocus(k),
    },
  ];
  out.push(
    `| workload | ${columns.map((c) => c.name).join(" | ")} | document written most: transactions writing it per job |`,
    `|---|${columns.map(() => "--:|").join("")}---|`,
  );
  for (const w of audited) {
    const [ours, pub] = AUDIT_VARIANT_IDS.map((id) =>
      auditOf(auditRuns, w, id)!,
    );
    out.push(
      `| ${shortTitle(w)} | ${columns
        .map(
          (c) =>
            `${perJob(pairsWhere(ours!.report, c.keep))} / ${perJob(pairsWhere(pub!.report, c.keep))}`,
        )
        .join(
          " | ",
        )} | ${hottest(ours!.run, ours!.report)} / ${hottest(pub!.run, pub!.report)} |`,
    );
  }
  out.push("");
  const loopZero = (id: AuditedId) =>
    audited.filter(
      (w) => pairsWhere(auditOf(auditRuns, w, id)!.report, involvesLoop) === 0,
    ).length;
  const enqueueZero = (id: AuditedId) =>
    audited.filter(
      (w) =>
        pairsPerJob(auditOf(auditRuns, w, id)!.report, "enqueue", "enqueue") ===
        0,
    ).length;
  out.push(
    `DESIGN §11 asks for 0 conflicting pairs per job between the loop and any writer: met on ${loopZero("ours")} ` +
      `of ${audited.length} workloads by this package, ${loopZero("pub050")} by 0.5.0; and between two enqueues ` +
      `(except by design, a shared idempotency or serialization key, which these workloads do not use): met on ` +
      `${enqueueZero("ours")} by this package, ${enqueueZero("pub050")} by 0.5.0. The columns add up to the first. ` +
      "Each workload's section below gives every pair of kinds, the causes (table, index, range) and the " +
      "documents written most.",
    "",
  );
}

/** "batch, actions, p = 10" / "stream, mutations, 200 ms". */
function shortTitle(w: Workload): string {
  return w.shape === "batch"
    ? `batch, ${w.kind}s, p = ${w.maxParallelism}`
    : `stream, ${w.kind}s, ${w.intervalMs >= 1000 ? `${w.intervalMs / 1000} s` : `${w.intervalMs} ms`}`;
}

/**
 * A workload's conflict section, beside its cost table: pairs of kinds
 * (conflicting pairs per job, pairs in the window), transactions per kind,
 * the main causes and the documents written most, ours and 0.5.0.
 */
export function renderConflictSection(
  out: string[],
  w: Workload,
  auditRuns: RunResult[],
) {
  const audits = AUDIT_VARIANT_IDS.map(
    (id) => [id, auditOf(auditRuns, w, id)] as const,
  ).filter(
    (
      a,
    ): a is readonly [AuditedId, { run: RunResult; report: ConflictReport }] =>
      a[1] !== null,
  );
  if (audits.length === 0) return;
  const n = audits[0]![1].run.n;
  out.push(`### Conflicts (audited run of ${n} jobs)`, "");
  out.push(
    "Conflicting pairs of transactions per job by pair of kinds, either way round; in parentheses the pairs " +
      "the audit judged (in the window). `·`: no pair of those kinds in the window.",
    "",
  );
  const pairs: Array<[string, string]> = [];
  for (const [, a] of audits) {
    for (const p of a.report.kindPairs)
      if (!pairs.some((q) => samePair(q, p.kinds))) pairs.push(p.kinds);
  }
  const worst = (k: [string, string]) =>
    Math.max(...audits.map(([, a]) => pairsPerJob(a.report, k[0], k[1])));
  pairs.sort(
    (a, b) => worst(b) - worst(a) || pairName(a).localeCompare(pairName(b)),
  );
  out.push(
    `| kinds | ${audits.map(([id]) => SHORT[id]).join(" | ")} |`,
    `|---|${audits.map(() => "--:|").join("")}`,
  );
  const cell = (report: ConflictReport, k?: [string, string]) => {
    const found = report.kindPairs.filter(
      (p) => k === undefined || samePair(p.kinds, k),
    );
    if (found.length === 0) return "·";
    const judged = found.reduce((a, p) => a + p.pairs, 0);
    return `${perJob(k === undefined ? pairsPerJob(report) : pairsPerJob(report, k[0], k[1]))} (${judged})`;
  };
  out.push(
    `| **all** | ${audits.map(([, a]) => `**${cell(a.report)}**`).join(" | ")} |`,
  );
  for (const k of pairs)
    out.push(
      `| ${pairName(k)} | ${audits.map(([, a]) => cell(a.report, k)).join(" | ")} |`,
    );
  out.push("");
  for (const [id, { run, report }] of audits) {
    const kinds = Object.entries(report.kinds)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([k, x]) => `${k} ${perJob(x / Math.max(report.jobs, 1))}`)
      .join(", ");
    out.push(`- **${SHORT[id]}**: transactions per job: ${kinds}.`);
    const causes = report.cells
      .flatMap((c) =>
        c.reasons.map((r) => ({ cell: `${c.reader} × ${c.writer}`, ...r })),
      )
      .sort((a, b) => b.pairs - a.pairs || a.cell.localeCompare(b.cell))
      .slice(0, TOP_CAUSES);
    if (causes.length === 0) out.push("  - No conflicting pairs.");
    else {
      out.push(
        "  - Main causes (reader × writer: what the reader read ← what the writer did; conflicting pairs per job):",
      );
      for (const c of causes)
        out.push(
          `    - ${c.cell}: \`${c.reason}\`: ${perJob(c.pairs / Math.max(report.jobs, 1))}`,
        );
    }
    const docs = report.hot.slice(0, TOP_DOCUMENTS).map((h) => {
      const by = Object.entries(h.byKind)
        .sort((a, b) => b[1].txs - a[1].txs)
        .map(([k, v]) => `${k} ${perJob(v.txs / Math.max(report.jobs, 1))}`)
        .join(", ");
      return `\`${tableIn(run, h.component, h.table)}\` ${perJob(h.perJob)} (${by})`;
    });
    out.push(
      `  - Documents written most, transactions per job (by kind): ${docs.length === 0 ? `none by ${report.hotThreshold} or more transactions` : docs.join("; ")}.`,
    );
  }
  out.push("");
}
