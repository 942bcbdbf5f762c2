// Turns the runs into the markdown report: the DESIGN §11 targets against
// 0.5.0 on every workload, one table per workload (medians over the
// repetitions), the older targets against 0.4.12, the growth from N to the
// large run, where the work goes (function by function), and the options
// section.
import {
  STATS_INBOX_READ_LIMIT,
  STATS_UNFOLDED_READ_LIMIT,
} from "../src/component/constants.js";
import type { TimelineReport } from "../demo/html.js";
import type { Counts } from "./instrument.js";
import {
  OPTION_VARIANTS,
  sameWorkload,
  VARIANTS,
  type Pool,
  type RunResult,
  type StatsProbe,
  type Variant,
  type Workload,
} from "./driver.js";
import {
  renderConflictSection,
  renderConflictSummary,
  type AuditMeta,
} from "./audit-report.js";

export type BenchMeta = {
  startedAt: string;
  node: string;
  cpu: string;
  cores: number;
  /** 1-minute load average before and after the bench. */
  load: [number, number];
  n: number;
  reps: number;
  /** Jobs and repetitions of the stream workloads, and their time. */
  stream: { n: number; reps: number; runtimeS: number };
  /** Whether 0.4.12 ran. */
  with0412: boolean;
  runtimeS: number;
  bigN: number;
  bigWorkload: (Workload & { variant: Variant["id"] }) | null;
  muted: Record<string, number>;
  problems: string[];
  /** The options section, if it ran: its repetitions, time, workloads. */
  options: { reps: number; runtimeS: number; workloads: Workload[] } | null;
  /** The conflict audit, if it ran: jobs per audited run, its time. */
  audit: AuditMeta | null;
};

/** The options section's runs and stats probes. */
export type OptionsResult = { runs: RunResult[]; stats: StatsProbe[] };

type Figure = {
  name: string;
  value: (r: RunResult) => number;
  digits: number;
};

const perJob = (f: (c: Counts) => number) => (r: RunResult) =>
  f(r.counts) / r.n;

/**
 * The loop's scheduled mutation, per package: ours `loop:main`; the
 * published packages run their loop on batch-worker, whose `loop:loop`
 * calls the workpool's `loop:getBatch` and, when there is work, `loop:run`.
 */
const LOOP_FUNCTIONS: Record<Pool, string> = {
  ours: "loop:main",
  published050: "batchWorker/loop:loop",
  published0412: "batchWorker/loop:loop",
};
const poolOf = (id: Variant["id"]): Pool =>
  [...VARIANTS, ...OPTION_VARIANTS].find((v) => v.id === id)!.pool;

const EXECS: Figure = {
  name: "function executions / job",
  value: perJob((c) => c.executions),
  digits: 2,
};
const WRITES: Figure = {
  name: "database writes / job",
  value: perJob((c) => c.writes),
  digits: 2,
};
const READS: Figure = {
  name: "database reads / job (get and query calls)",
  value: perJob((c) => c.reads),
  digits: 2,
};
const DOCS: Figure = {
  name: "… documents they returned / job",
  value: perJob((c) => c.docsRead),
  digits: 2,
};
const SCHEDULED: Figure = {
  name: "scheduled functions / job",
  value: perJob((c) => c.scheduled),
  digits: 2,
};
const LOOPS: Figure = {
  name: "loop runs / job",
  value: (r) =>
    (r.counts.byFunction[LOOP_FUNCTIONS[poolOf(r.variant)]] ?? 0) / r.n,
  digits: 2,
};
const MAKESPAN: Figure = {
  name: "makespan, s of scheduler time",
  value: (r) => r.makespanMs / 1000,
  digits: 2,
};
const LATENCY: Figure = {
  name: "mean latency enqueue → onComplete, ms of scheduler time",
  value: (r) => r.latencyMs.mean,
  digits: 0,
};
const WALL: Figure = {
  name: "drain wall time, s",
  value: (r) => r.wallMs / 1000,
  digits: 2,
};
const QUERY_WALL: Figure = {
  name: "… of it in the component's queries, s",
  value: (r) => r.counts.queryMs / 1000,
  digits: 2,
};
const AFTER_EXECS: Figure = {
  name: "after the drain: executions / job",
  value: (r) => r.after.executions / r.n,
  digits: 2,
};
const AFTER_WRITES: Figure = {
  name: "after the drain: writes / job",
  value: (r) => r.after.writes / r.n,
  digits: 2,
};

/** The DESIGN §11 targets against 0.5.0: ours ÷ 0.5.0's at most `limit`. */
type Target = { figure: Figure; short: string; limit: number };
const TARGETS: Target[] = [
  { figure: WRITES, short: "writes/job", limit: 0.75 },
  { figure: READS, short: "reads/job", limit: 0.5 },
  { figure: EXECS, short: "executions/job", limit: 0.5 },
  { figure: SCHEDULED, short: "scheduled/job", limit: 1.0 },
  { figure: MAKESPAN, short: "makespan", limit: 1.0 },
  { figure: WALL, short: "drain wall time", limit: 0.6 },
];
const targetText = (t: Target) =>
  t.figure === MAKESPAN ? "≤ 0.5.0's" : `≤ ${t.limit.toFixed(2)}×`;

/** The rows of each workload's table. */
export const FIGURES: Figure[] = [
  EXECS,
  WRITES,
  READS,
  DOCS,
  SCHEDULED,
  LOOPS,
  MAKESPAN,
  LATENCY,
  WALL,
  QUERY_WALL,
  AFTER_EXECS,
  AFTER_WRITES,
];

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (x: number, digits: number) =>
  Number.isFinite(x) ? x.toFixed(digits) : "—";
/** a ÷ b; 0 ÷ 0 is 1 (both did none), x ÷ 0 is infinite. */
const ratioOf = (a: number, b: number) =>
  b === 0 ? (a === 0 ? 1 : Infinity) : a / b;
const ratio = (a: number, b: number) =>
  Number.isNaN(a) || Number.isNaN(b) ? "—" : fmt(ratioOf(a, b), 2);
const kindPlural = (w: Workload) => `${w.kind}s`;
export const workloadTitle = (w: Workload) =>
  w.shape === "batch"
    ? `batch: ${kindPlural(w)}, maxParallelism ${w.maxParallelism}`
    : `stream: ${kindPlural(w)}, one every ${w.intervalMs >= 1000 ? `${w.intervalMs / 1000} s` : `${w.intervalMs} ms`}, maxParallelism ${w.maxParallelism}`;
const title = (id: Variant["id"]) => VARIANTS.find((v) => v.id === id)!.title;
const OURS = ["ours", "oursTtl0"] as const;

function runsOf(runs: RunResult[], w: Workload, variant: Variant["id"]) {
  return runs.filter(
    (r) => r.variant === variant && sameWorkload(r.workload, w),
  );
}

function med(
  runs: RunResult[],
  w: Workload,
  variant: Variant["id"],
  f: Figure,
): number {
  const xs = runsOf(runs, w, variant).map(f.value);
  return xs.length === 0 ? NaN : median(xs);
}

/** Jobs per run of a workload (from its runs). */
const nOf = (runs: RunResult[], w: Workload) =>
  runs.find((r) => sameWorkload(r.workload, w))?.n ?? 0;

export function renderReport(
  meta: BenchMeta,
  workloads: Workload[],
  runs: RunResult[],
  big: RunResult | null,
  options: OptionsResult = { runs: [], stats: [] },
  auditRuns: RunResult[] = [],
): string {
  const out: string[] = [];
  const batches = workloads.filter((w) => w.shape === "batch");
  const streams = workloads.filter((w) => w.shape === "stream");
  out.push(
    "# Benchmark: convex-workpool vs @convex-dev/workpool 0.5.0 (and 0.4.12)",
    "",
  );
  out.push(
    `Generated by \`npm run bench\` on ${meta.startedAt}: Node ${meta.node}, ${meta.cpu} (${meta.cores} cores). ` +
      `Batch workloads: N = ${meta.n} jobs per run, ${meta.reps} ${meta.reps === 1 ? "repetition" : "repetitions"}; ` +
      `stream workloads: ${meta.stream.n} jobs per run, ${meta.stream.reps} ${meta.stream.reps === 1 ? "repetition" : "repetitions"} ` +
      `(${meta.stream.runtimeS.toFixed(0)} s). Figures are medians; the package that runs first ` +
      `alternates between repetitions; each run has a fresh convex-test backend with all three packages mounted. ` +
      `Whole bench: ${meta.runtimeS.toFixed(0)} s; 1-minute load average ${meta.load[0].toFixed(1)} before, ` +
      `${meta.load[1].toFixed(1)} after (wall times are only as quiet as the machine). ` +
      (meta.options
        ? `The options section (this package's per-job options, ${meta.options.reps} ` +
          `${meta.options.reps === 1 ? "repetition" : "repetitions"}) took ${meta.options.runtimeS.toFixed(0)} s of it. `
        : "The options section was skipped (`BENCH_OPTIONS=0`). ") +
      (meta.audit
        ? `The conflict audit (one run per workload of this package and of 0.5.0) took ${meta.audit.runtimeS.toFixed(0)} s. `
        : "The conflict audit was skipped (`BENCH_AUDIT=0`). ") +
      (meta.with0412 ? "" : "0.4.12 was left out (`BENCH_0412=0`). ") +
      `See bench/README.md for how to read this.`,
    "",
  );
  out.push(
    "Each job is a trivial function with an onComplete that inserts one row. **Batch** workloads enqueue all " +
      "jobs at one instant with the batch methods, 100 per call. **Stream** workloads are one job per user " +
      "mutation (`enqueueAction` / `enqueueMutation`), one mutation every so many ms of scheduler time, the pool " +
      "working in between. Counts are of the packages' own component functions (for the published packages " +
      "including their nested batch-worker), from the first enqueue to the last onComplete, divided by the jobs.",
    "",
  );

  renderTargets050(out, workloads, runs);
  renderConflictSummary(out, meta.audit, workloads, auditRuns);
  for (const w of workloads) {
    renderWorkload(out, w, runs, meta.with0412);
    renderConflictSection(out, w, auditRuns);
  }
  renderTargets0412(out, meta, batches, runs, big);

  if (big && meta.bigWorkload) {
    const w = meta.bigWorkload;
    out.push(
      `## Growth: ${title(w.variant)}, ${workloadTitle(w)}, N = ${meta.n} vs N = ${big.n}`,
      "",
    );
    out.push(
      `One run at N = ${big.n}, this package only, against the medians at N = ${meta.n}.`,
      "",
    );
    out.push(
      `| per job | N = ${meta.n} | N = ${big.n} | growth |`,
      "|---|--:|--:|--:|",
    );
    for (const f of [EXECS, WRITES, READS, SCHEDULED]) {
      const a = med(runs, w, w.variant, f);
      const b = f.value(big);
      out.push(
        `| ${f.name.replace(" / job", "")} | ${fmt(a, 3)} | ${fmt(b, 3)} | ${ratio(b, a)} |`,
      );
    }
    const perJobMs = (f: Figure) => [
      (med(runs, w, w.variant, f) / meta.n) * 1000,
      (f.value(big) / big.n) * 1000,
    ];
    const [wa, wb] = perJobMs(WALL) as [number, number];
    const [qa, qb] = perJobMs(QUERY_WALL) as [number, number];
    out.push(
      `| drain wall time, ms | ${fmt(wa, 2)} | ${fmt(wb, 2)} | ${ratio(wb, wa)} |`,
      `| … of it in the component's queries, ms | ${fmt(qa, 2)} | ${fmt(qb, 2)} | ${ratio(qb, qa)} |`,
      `| … the rest, ms | ${fmt(wa - qa, 2)} | ${fmt(wb - qb, 2)} | ${ratio(wb - qb, wa - qa)} |`,
    );
    out.push(
      `| makespan, s of scheduler time (total) | ${fmt(med(runs, w, w.variant, MAKESPAN), 1)} | ${fmt(big.makespanMs / 1000, 1)} | |`,
    );
    out.push("");
  }

  if (streams.length > 0) renderStreamFunctions(out, streams, runs);
  if (meta.options) renderOptions(out, meta, meta.options.workloads, options);

  out.push("## Where the work goes", "");
  out.push(
    "Per job, from the first repetition: executions by component function (`batchWorker/` is the published " +
      'packages\' nested component), writes by method and table, functions scheduled by target. "after" is the ' +
      "work after the last onComplete (final loop runs, idle polling, the sweep of retained outcomes a day later).",
    "",
  );
  for (const w of workloads) {
    out.push(`### ${workloadTitle(w)}`, "");
    for (const v of VARIANTS) {
      const r = runsOf(runs, w, v.id)[0];
      if (!r) continue;
      out.push(`- **${v.title}**, ${r.steps} timer steps to drain`);
      out.push(`  - executions: ${breakdown(r.counts.byFunction, r.n)}`);
      out.push(`  - writes: ${breakdown(r.counts.writesBy, r.n)}`);
      out.push(`  - reads: ${breakdown(r.counts.readsBy, r.n)}`);
      out.push(
        `  - scheduled: ${breakdown(r.counts.scheduledBy, r.n)}; canceled: ${fmt(r.counts.canceled / r.n, 2)}`,
      );
      out.push(
        `  - after, in total (not per job): executions ${totals(r.after.byFunction)}; writes ${totals(r.after.writesBy)}`,
      );
    }
    out.push("");
  }

  const mutedTotal = Object.values(meta.muted).reduce((a, b) => a + b, 0);
  out.push(
    "## Notes",
    "",
    `- The packages' log lines were muted during the runs (${mutedTotal} lines: ${
      Object.entries(meta.muted)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none"
    }); all ran with their default log level.`,
  );
  if (meta.problems.length > 0) {
    out.push("- Warnings and errors printed by the packages (first few):");
    for (const p of meta.problems)
      out.push(`  - \`${p.slice(0, 300).replace(/`/g, "'")}\``);
  }
  out.push("");
  return out.join("\n");
}

/** A ratio to two decimals, or to three when two would round it onto the limit's side it is not on. */
function ratioText(r: number, limit: number): string {
  const two = fmt(r, 2);
  return Number(two) <= limit !== r <= limit ? fmt(r, 3) : two;
}

/** Is ours ÷ 0.5.0's within the target? (NaN when a side did not run.) */
function targetMet(
  runs: RunResult[],
  w: Workload,
  id: (typeof OURS)[number],
  t: Target,
): { ratio: number; met: boolean } {
  const r = ratioOf(
    med(runs, w, id, t.figure),
    med(runs, w, "pub050", t.figure),
  );
  return { ratio: r, met: r <= t.limit };
}

function renderTargets050(
  out: string[],
  workloads: Workload[],
  runs: RunResult[],
) {
  out.push("## DESIGN §11 targets against 0.5.0, every workload", "");
  out.push(
    "Each cell is ours ÷ 0.5.0's (medians), then whether the target is met. Targets: " +
      TARGETS.map((t) => `${t.short} ${targetText(t)}`).join(", ") +
      ". A ratio of 1.00 where both are 0 (makespan of 0 s).",
    "",
  );
  out.push(
    "| workload | ours | " +
      TARGETS.map((t) => `${t.short} ${targetText(t)}`).join(" | ") +
      " | all met |",
    "|---|---|" + TARGETS.map(() => "--:|").join("") + "---|",
  );
  /** Per target: workload → the ratios that missed it, by our variant. */
  const missed = new Map<Target, Map<string, string[]>>();
  for (const w of workloads) {
    for (const id of OURS) {
      if (runsOf(runs, w, id).length === 0) continue;
      const cells = TARGETS.map((t) => {
        const { ratio: r, met } = targetMet(runs, w, id, t);
        if (!met) {
          const byWorkload = missed.get(t) ?? new Map<string, string[]>();
          missed.set(t, byWorkload);
          const key = workloadTitle(w);
          byWorkload.set(key, [
            ...(byWorkload.get(key) ?? []),
            `${ratioText(r, t.limit)}× (${id === "ours" ? "default" : "statusTtl 0"})`,
          ]);
        }
        const text = ratioText(r, t.limit);
        return met ? `${text} yes` : `**${text} no**`;
      });
      const all = TARGETS.every((t) => targetMet(runs, w, id, t).met);
      out.push(
        `| ${workloadTitle(w)} | ${id === "ours" ? "default" : "statusTtl 0"} | ${cells.join(" | ")} | ${all ? "yes" : "**no**"} |`,
      );
    }
  }
  out.push("");
  for (const t of TARGETS) {
    const m = missed.get(t);
    out.push(
      `- ${t.short} ${targetText(t)}: ` +
        (m
          ? `missed on ${m.size} of ${workloads.length} workloads: ` +
            [...m].map(([w, rs]) => `${w}: ${rs.join(", ")}`).join("; ")
          : `met on all ${workloads.length} workloads`) +
        ".",
    );
  }
  out.push("");
}

function renderWorkload(
  out: string[],
  w: Workload,
  runs: RunResult[],
  with0412: boolean,
) {
  const n = nOf(runs, w);
  out.push(`## ${workloadTitle(w)}`, "");
  out.push(
    w.shape === "batch"
      ? `${n} jobs enqueued at one instant, 100 per enqueue call.`
      : `${n} user mutations, one every ${w.intervalMs} ms of scheduler time, each enqueuing one job.`,
    "",
  );
  const cols = with0412
    ? ["ours", "oursTtl0", "pub050", "pub0412"]
    : ["ours", "oursTtl0", "pub050"];
  out.push(
    "| figure | ours (default) | ours (statusTtl 0) | 0.5.0 |" +
      (with0412 ? " 0.4.12 |" : "") +
      " ours ÷ 0.5.0 (default) | ours ÷ 0.5.0 (statusTtl 0) |" +
      (with0412 ? " ours ÷ 0.4.12 (default) |" : "") +
      " §11 target | met (default / statusTtl 0) |",
    "|---|" +
      cols.map(() => "--:|").join("") +
      "--:|--:|" +
      (with0412 ? "--:|" : "") +
      "---|---|",
  );
  for (const f of FIGURES) {
    const xs = cols.map((id) => med(runs, w, id as Variant["id"], f));
    const [a, b, p] = xs as [number, number, number];
    const target = TARGETS.find((t) => t.figure === f);
    const met = target
      ? OURS.map((id) =>
          targetMet(runs, w, id, target).met ? "yes" : "**no**",
        ).join(" / ")
      : "";
    out.push(
      `| ${f.name} | ${xs.map((x) => fmt(x, f.digits)).join(" | ")} | ${ratio(a, p)} | ${ratio(b, p)} |` +
        (with0412 ? ` ${ratio(a, xs[3]!)} |` : "") +
        ` ${target ? targetText(target) : ""} | ${met} |`,
    );
  }
  out.push("");
}

function renderTargets0412(
  out: string[],
  meta: BenchMeta,
  workloads: Workload[],
  runs: RunResult[],
  big: RunResult | null,
) {
  if (workloads.length === 0) return;
  out.push(
    "## The earlier DESIGN §11 targets (absolute, and against 0.4.12), batch workloads",
    "",
  );
  out.push("| target | measured (worst workload) | met |", "|---|---|---|");
  const worst = (variant: Variant["id"], f: Figure, ws = workloads) =>
    Math.max(...ws.map((w) => med(runs, w, variant, f)));
  const worstWithAfter = (variant: Variant["id"], ws = workloads) =>
    Math.max(
      ...ws.map(
        (w) =>
          med(runs, w, variant, WRITES) + med(runs, w, variant, AFTER_WRITES),
      ),
    );
  const row = (target: string, measured: string, met: boolean) =>
    out.push(`| ${target} | ${measured} | ${met ? "yes" : "**no**"} |`);
  {
    const v = worst("oursTtl0", WRITES);
    const all = worstWithAfter("oursTtl0");
    row(
      "writes/job ≤ 6 with statusTtl 0",
      `${fmt(v, 2)} (${fmt(all, 2)} counting the work after the drain)`,
      v <= 6,
    );
  }
  {
    const v = worst("ours", WRITES);
    const all = worstWithAfter("ours");
    row(
      "writes/job ≤ 7 with default retention",
      `${fmt(v, 2)} (${fmt(all, 2)} counting the later sweep of retained outcomes)`,
      v <= 7,
    );
  }
  for (const [kind, limit] of [
    ["action", 1.5],
    ["mutation", 2.2],
  ] as const) {
    const ws = workloads.filter((w) => w.kind === kind);
    const v = Math.max(worst("ours", EXECS, ws), worst("oursTtl0", EXECS, ws));
    row(`executions/job ≤ ${limit} (${kind}s)`, fmt(v, 2), v <= limit);
  }
  if (meta.with0412) {
    const v = Math.max(
      ...workloads.flatMap((w) =>
        OURS.map((id) =>
          ratioOf(
            med(runs, w, id, SCHEDULED),
            med(runs, w, "pub0412", SCHEDULED),
          ),
        ),
      ),
    );
    row(
      "scheduled functions/job ≤ 0.4.12's",
      `${fmt(v, 3)} × 0.4.12's`,
      v <= 1,
    );
  }
  {
    const ws = workloads.filter((w) => w.maxParallelism === 10);
    const v = Math.max(
      worst("ours", MAKESPAN, ws),
      worst("oursTtl0", MAKESPAN, ws),
    );
    const p = Math.max(...ws.map((w) => med(runs, w, "pub050", MAKESPAN)));
    row(
      `makespan ≤ 1 s of scheduler time (${meta.n} jobs, p = 10)`,
      `${fmt(v, 2)} s (0.5.0: ${fmt(p, 1)} s)`,
      v <= 1,
    );
  }
  if (meta.with0412) {
    const v = Math.max(
      ...workloads.flatMap((w) =>
        OURS.map((id) =>
          ratioOf(med(runs, w, id, WALL), med(runs, w, "pub0412", WALL)),
        ),
      ),
    );
    row(
      "drain wall time ≤ 0.6 × 0.4.12's",
      `${fmt(v, 2)} × 0.4.12's`,
      v <= 0.6,
    );
  }
  if (big && meta.bigWorkload) {
    const w = meta.bigWorkload;
    const growth = [EXECS, WRITES, READS, SCHEDULED].map(
      (f) => f.value(big) / med(runs, w, w.variant, f),
    );
    const countsGrowth = Math.max(...growth);
    const wallGrowth =
      WALL.value(big) / big.n / (med(runs, w, w.variant, WALL) / meta.n);
    const restGrowth =
      (WALL.value(big) - QUERY_WALL.value(big)) /
      big.n /
      ((med(runs, w, w.variant, WALL) - med(runs, w, w.variant, QUERY_WALL)) /
        meta.n);
    // Two rows: the counted cost, and the wall time, which under
    // convex-test includes queries that scan every document of the
    // component (their time grows with the rows, whatever the engine does).
    row(
      `per-job cost (executions, writes, reads, scheduled) at N = ${big.n} ≤ 1.2 × N = ${meta.n}`,
      `${fmt(countsGrowth, 2)} ×`,
      countsGrowth <= 1.2,
    );
    row(
      `per-job wall time at N = ${big.n} ≤ 1.2 × N = ${meta.n} (CPU under convex-test)`,
      `${fmt(wallGrowth, 2)} × in all; ${fmt(restGrowth, 2)} × outside the ` +
        `component's queries, which convex-test answers by scanning every document (see below)`,
      wallGrowth <= 1.2,
    );
  }
  out.push("");
}

/**
 * For each stream workload, this package (default retention) and 0.5.0:
 * per job, each component function's executions with the writes, reads and
 * scheduled calls it made, by table.
 */
function renderStreamFunctions(
  out: string[],
  streams: Workload[],
  runs: RunResult[],
) {
  out.push("## Single enqueues: function by function", "");
  out.push(
    "Per job, first repetition, for this package (default retention) and 0.5.0 on each stream workload: " +
      "each component function's executions, then the writes, reads and scheduled calls made inside it " +
      "(by method and table; a function's nested calls into a component count under the called function).",
    "",
  );
  for (const w of streams) {
    out.push(`### ${workloadTitle(w)}`, "");
    for (const id of ["ours", "pub050"] as const) {
      const r = runsOf(runs, w, id)[0];
      if (!r) continue;
      const c = r.counts;
      out.push(
        `- **${title(id)}**: ${fmt(c.executions / r.n, 2)} executions, ${fmt(c.writes / r.n, 2)} writes, ` +
          `${fmt(c.reads / r.n, 2)} reads, ${fmt(c.scheduled / r.n, 2)} scheduled per job`,
      );
      const fns = Object.entries(c.byFunction).sort((a, b) => b[1] - a[1]);
      for (const [fn, execs] of fns) {
        const of = (rec: Record<string, number>, sep: string) =>
          Object.fromEntries(
            Object.entries(rec)
              .filter(([k]) => k.startsWith(fn + sep))
              .map(([k, v]) => [k.slice(fn.length + sep.length), v]),
          );
        const writes = of(c.writesByFn, ": ");
        const reads = of(c.readsByFn, ": ");
        const sched = of(c.scheduledByFn, " → ");
        const sum = (rec: Record<string, number>) =>
          Object.values(rec).reduce((a, b) => a + b, 0);
        const parts = [
          sum(writes) > 0
            ? `writes ${fmt(sum(writes) / r.n, 2)} (${breakdown(writes, r.n)})`
            : "",
          sum(reads) > 0
            ? `reads ${fmt(sum(reads) / r.n, 2)} (${breakdown(reads, r.n)})`
            : "",
          sum(sched) > 0
            ? `schedules ${fmt(sum(sched) / r.n, 2)} (${breakdown(sched, r.n)})`
            : "",
        ].filter((x) => x !== "");
        out.push(
          `  - \`${fn}\` ${fmt(execs / r.n, 2)}×${parts.length > 0 ? ": " + parts.join("; ") : ""}`,
        );
      }
    }
    out.push("");
  }
}

function totals(record: Record<string, number>): string {
  const entries = Object.entries(record).sort((a, b) => b[1] - a[1]);
  return entries.length === 0
    ? "none"
    : entries.map(([k, v]) => `${k} ${v}`).join(", ");
}

function breakdown(record: Record<string, number>, n: number): string {
  const entries = Object.entries(record)
    .filter(([, v]) => v / n >= 0.005)
    .sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return "none";
  return entries.map(([k, v]) => `${k} ${(v / n).toFixed(2)}`).join(", ");
}

/** Columns of the options tables; all but makespan with a Δ column. */
const OPTION_FIGURES: Figure[] = [
  EXECS,
  WRITES,
  READS,
  SCHEDULED,
  MAKESPAN,
  WALL,
  QUERY_WALL,
];
const withDelta = (f: Figure) => f !== MAKESPAN;

const signed = (x: number, digits: number) =>
  !Number.isFinite(x)
    ? "—"
    : (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(digits);

/** Where each option's cost comes from, by design (docs/design.md). */
const OPTION_WHY: Partial<Record<Variant["id"], string>> = {
  idempotency:
    "one index read per job at enqueue (`work.by_idempotencyKey`: the newest work row with that key); " +
    "the key is stored on the job's row, so no extra write",
  keysDistinct:
    "one index read per job at enqueue (`work.by_liveKey`: is an older job of the key live?) and one at " +
    "finish (the key's next job, to release it); a job that is its key's head is queued as at present, so " +
    "with no contention that is all",
  keys10:
    "the same two index reads per job, and each job after its key's first is queued when the one before it " +
    "finishes: one `pendingStart` insert (and later delete) per job released, rather than one per enqueue " +
    "call of 100; 10 keys and maxParallelism 10 keep at most 10 running, so the loop runs one round per " +
    "wave as in the baseline",
  priorityHigh:
    "none per job: the priority is the rank of the job's queue entry (`pendingStart.by_rank_readyAt`). " +
    "The loop reads the start queue as three ranges, one per priority, in every iteration that has free " +
    "slots, whatever the jobs' priorities: a constant per iteration, not per job, and already in the " +
    "baseline's reads",
  priorityMixed:
    "the same three range reads per loop iteration; each enqueue call's 100 jobs still share one queue " +
    "entry. The only difference: an iteration that starts jobs of several priorities (the loop gives each " +
    "due priority at least one start in 11) leaves several entries partly taken, each patched to keep its " +
    "rest",
};

function renderOptions(
  out: string[],
  meta: BenchMeta,
  workloads: Workload[],
  { runs, stats }: OptionsResult,
) {
  const reps = meta.options?.reps ?? 1;
  out.push("## Per-job options (this package only)", "");
  out.push(
    `Each of this package's per-job options against the same workload without it: N = ${meta.n} jobs, ` +
      `maxParallelism 10, default retention, enqueued 100 per call as above. ` +
      `${reps === 1 ? "One repetition" : `Medians of ${reps} repetitions`} ` +
      "(counts are deterministic; wall times are not). The published packages have none of these options. Δ is the " +
      "difference to the baseline, per job for the counts. The counters of `stats` are not an option: " +
      "they are in every run, baseline included (see the last part of this section).",
    "",
  );
  const base = "baseline" as const;
  for (const w of workloads) {
    out.push(`### ${workloadTitle(w)}`, "");
    out.push(
      "| variant | " +
        OPTION_FIGURES.map((f) =>
          withDelta(f) ? `${f.name} | Δ` : f.name,
        ).join(" | ") +
        " |",
      "|---|" +
        OPTION_FIGURES.map((f) => (withDelta(f) ? "--:|--:|" : "--:|")).join(
          "",
        ),
    );
    for (const v of OPTION_VARIANTS) {
      const cells = OPTION_FIGURES.map((f) => {
        const x = med(runs, w, v.id, f);
        const b = med(runs, w, base, f);
        const d = v.id === base ? "" : signed(x - b, f.digits);
        return withDelta(f) ? `${fmt(x, f.digits)} | ${d}` : fmt(x, f.digits);
      });
      out.push(`| ${v.title} | ${cells.join(" | ")} |`);
    }
    out.push("");
  }
  out.push(
    "Wall times: compare the Δ of the drain wall time with the Δ of its part in the component's queries. " +
      "convex-test answers every query by scanning all the documents of the component, so each `work` " +
      "query that `idempotencyKeys` and `keys` add per job costs time that grows with the rows the pool " +
      "holds, where on Convex it is one index lookup; the counts are what carries over. Wall times also " +
      'move with the machine\'s load: `priority: "high"` does exactly the counted work of the baseline, ' +
      "so its Δ is a measure of the noise.",
    "",
  );

  out.push("### Where the difference comes from", "");
  out.push(
    "By design, then measured: per job, the counts that differ from the baseline's (first repetition), " +
      "by function, by method and table, and by scheduled target. Nothing listed means no difference.",
    "",
  );
  for (const v of OPTION_VARIANTS) {
    if (v.id === base) continue;
    out.push(`- **${v.title}**: ${OPTION_WHY[v.id] ?? ""}.`);
    for (const w of workloads) {
      const r = runsOf(runs, w, v.id)[0];
      const b = runsOf(runs, w, base)[0];
      if (!r || !b) continue;
      const parts = [
        ["executions", delta(r.counts.byFunction, b.counts.byFunction, r.n)],
        ["reads", delta(r.counts.readsBy, b.counts.readsBy, r.n)],
        ["writes", delta(r.counts.writesBy, b.counts.writesBy, r.n)],
        ["scheduled", delta(r.counts.scheduledBy, b.counts.scheduledBy, r.n)],
      ].filter(([, d]) => d !== "");
      out.push(
        `  - ${w.kind}s: ${parts.length === 0 ? "no difference" : parts.map(([k, d]) => `${k} ${d}`).join("; ")}` +
          `; timer steps to drain ${r.steps} (baseline ${b.steps})`,
      );
    }
  }
  out.push("");

  out.push("### `stats`", "");
  out.push(
    "Always on, so no variant above: an enqueue call's count rides on the inbox row it inserts anyway " +
      "(and a delayed job's second gets a `delayedCount` row of the call's own), and the loop adds the " +
      "counts up in `poolState`, which it writes every iteration anyway: no counter write per enqueue. " +
      "A `stats` call is a query that reads a bounded number of documents (config, poolState, the inbox " +
      "rows and the completions the loop has not taken in yet, unfolded delayed counters, the oldest due " +
      "pending job) whatever the backlog. One call, through `pool.stats(ctx)` in an app query:",
    "",
  );
  out.push(
    "| state of the pool | function executions | database reads (get / query calls) | documents read | stats said: pending / running / succeeded in the last hour |",
    "|---|--:|--:|--:|---|",
  );
  for (const p of stats) {
    out.push(
      `| ${p.state} | ${p.counts.executions} | ${p.counts.reads} | ${p.counts.docsRead} | ` +
        `${p.stats.pending} / ${p.stats.running} / ${p.stats.lastHour?.succeeded ?? "—"} |`,
    );
  }
  if (stats.length > 0) {
    const p = stats[0]!;
    out.push(
      "",
      `Reads by table (first row): ${totals(p.counts.readsBy)}. "Documents read" counts what the reads ` +
        "returned (see bench/instrument.ts): these queries have no filters, so it is what Convex would read. " +
        "What it can read: config 1, poolState 1 (none before the loop's first run), the inbox rows the loop " +
        `has not taken in yet, for their enqueue tallies, and the completions it has not taken in, for their ` +
        `outcomes (at most ${STATS_INBOX_READ_LIMIT} each; usually none or a few), the \`delayedCount\` ` +
        `rows whose second has begun but which the loop has not folded yet (at most ${STATS_UNFOLDED_READ_LIMIT}; none without ` +
        "delayed jobs), and the row of the oldest due pending job (for `oldestPendingAgeMs`; none when no " +
        "job is due): 3 when the loop is caught up, a job is due and no delayed job is.",
    );
  }
  out.push("");
}

/** `a - b` per job, as "key +x.xx, …" (entries that differ by at least 0.005 per job). */
function delta(
  a: Record<string, number>,
  b: Record<string, number>,
  n: number,
): string {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const entries = [...keys]
    .map((k) => [k, ((a[k] ?? 0) - (b[k] ?? 0)) / n] as const)
    .filter(([, d]) => Math.abs(d) >= 0.005)
    .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
  return entries.map(([k, d]) => `${k} ${signed(d, 2)}`).join(", ");
}

/**
 * The HTML page's data (`BENCH_HTML=file`): each run that recorded a
 * timeline (those of the first repetition), drawn by demo/html.ts.
 */
export function timelineReport(meta: BenchMeta, runs: RunResult[]): TimelineReport {
  return {
    title: "convex-workpool benchmark: this package and @convex-dev/workpool 0.5.0 and 0.4.12",
    subtitle:
      `${meta.startedAt}, Node ${meta.node}, ${meta.cpu} (${meta.cores} cores). The first repetition of each ` +
      `batch workload: ${meta.n} trivial jobs enqueued at once in calls of 100, each with an onComplete. ` +
      "Scheduler time is convex-test's fake clock, not real time.",
    xLabel: "scheduler time, s",
    samplesNote:
      "counted by the bench app at every job start and onComplete, up to the last onComplete (at each instant " +
      "of scheduler time, its peak and where it ended): running = jobs started whose onComplete has not run " +
      "yet, queue = jobs not started yet",
    pools: runs.flatMap((r) => (r.timeline ? [r.timeline] : [])),
  };
}
