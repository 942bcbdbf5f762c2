// `npm run bench`: this package against the published @convex-dev/workpool
// 0.5.0 (the reference) and 0.4.12, mounted side by side in convex-test (a
// fresh backend per run, see driver.ts). Not a test: it asserts only that
// every job completed exactly once and each pool was left empty, and writes
// bench/results/latest.md.
//
//   BENCH_N      jobs per batch run (default 1000)
//   BENCH_REPS   repetitions of every batch run (default 3)
//   BENCH_STREAM_N     jobs per stream run (default 200)
//   BENCH_STREAM_MS    arrival intervals of the stream workloads, ms, comma-separated
//                      (default 20,200,5000); "0" skips the streams
//   BENCH_STREAM_REPS  repetitions of every stream run (default BENCH_REPS)
//   BENCH_BATCH  0 skips the batch workloads (and the large run)
//   BENCH_0412   0 leaves 0.4.12 out (its column shows —)
//   BENCH_BIG_N  jobs of the one large run of this package (default 20000, 0 skips it)
//   BENCH_BIG    its workload, kind:maxParallelism:variant (default action:50:oursTtl0;
//                variant is ours, oursTtl0)
//   BENCH_OPTIONS  0 skips the options section (this package's per-job options
//                each against the same workload without them, and one stats call)
//   BENCH_OPTIONS_REPS  its repetitions (default 1: its counts are deterministic)
//   BENCH_AUDIT  0 skips the conflict audit (one extra run per workload of this
//                package and of 0.5.0, recorded by test/audit; see docs/conflict-audit.md)
//   BENCH_AUDIT_N, BENCH_AUDIT_STREAM_N  jobs of those runs (default BENCH_N, BENCH_STREAM_N)
//   BENCH_OUT    where the markdown goes (default bench/results/latest.md; the
//                raw runs go beside it as .json)
//   BENCH_HTML   also write an HTML page there: each run of the first
//                repetition's running jobs against its cap, queue and start lags
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "vitest";
import {
  OPTION_VARIANTS,
  probeStats,
  restoreClock,
  runWorkload,
  VARIANTS,
  type RunResult,
  type StatsProbe,
  type Workload,
} from "./driver.js";
import { renderHtml } from "../demo/html.js";
import {
  renderReport,
  timelineReport,
  workloadTitle,
  type BenchMeta,
} from "./report.js";
import { AUDIT_VARIANT_IDS } from "./audit-report.js";
import { pairsPerJob } from "../test/audit/index.js";

const env = process.env;
const N = positiveInt("BENCH_N", 1000);
const REPS = positiveInt("BENCH_REPS", 3);
const STREAM_N = positiveInt("BENCH_STREAM_N", 200);
const STREAM_MS = intervals(env.BENCH_STREAM_MS ?? "20,200,5000");
const STREAM_REPS = positiveInt("BENCH_STREAM_REPS", REPS);
const BATCH = env.BENCH_BATCH !== "0";
const WITH_0412 = env.BENCH_0412 !== "0";
const BIG_N =
  !BATCH || env.BENCH_BIG_N === "0" ? 0 : positiveInt("BENCH_BIG_N", 20_000);
const OUT = env.BENCH_OUT ?? "bench/results/latest.md";
const OPTIONS = env.BENCH_OPTIONS !== "0";
/** Its counts are deterministic, and its wall-time Δs mostly noise: one by default. */
const OPTIONS_REPS = positiveInt("BENCH_OPTIONS_REPS", 1);
const AUDIT = env.BENCH_AUDIT !== "0";
const AUDIT_N = positiveInt("BENCH_AUDIT_N", N);
const AUDIT_STREAM_N = positiveInt("BENCH_AUDIT_STREAM_N", STREAM_N);
/** The stream workloads' maxParallelism. */
const STREAM_P = 10;
const HTML = env.BENCH_HTML || null;

const BATCH_WORKLOADS: Workload[] = BATCH
  ? [
      { shape: "batch", kind: "action", maxParallelism: 10 },
      { shape: "batch", kind: "action", maxParallelism: 50 },
      { shape: "batch", kind: "mutation", maxParallelism: 10 },
      { shape: "batch", kind: "mutation", maxParallelism: 50 },
    ]
  : [];
const STREAM_WORKLOADS: Workload[] = (["action", "mutation"] as const).flatMap(
  (kind) =>
    STREAM_MS.map((intervalMs): Workload => ({
      shape: "stream",
      kind,
      maxParallelism: STREAM_P,
      intervalMs,
    })),
);
const RUN_VARIANTS = VARIANTS.filter((v) => WITH_0412 || v.id !== "pub0412");
/**
 * The large run. By default actions at p = 50 with statusTtl 0: the cheapest
 * to drain under convex-test (whose queries scan every document of a
 * component, so its wall time grows with the rows a pool holds), which keeps
 * the bench within its time budget.
 */
const BIG = parseBig(env.BENCH_BIG ?? "action:50:oursTtl0");
const WARMUP_N = Math.min(N, 200);
const WARMUP_STREAM_N = Math.min(STREAM_N, 20);
/** The options section's workloads: both kinds in batches at maxParallelism 10. */
const OPTION_WORKLOADS: Workload[] = [
  { shape: "batch", kind: "action", maxParallelism: 10 },
  { shape: "batch", kind: "mutation", maxParallelism: 10 },
];

function positiveInt(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

function intervals(raw: string): number[] {
  if (raw.trim() === "0") return [];
  const xs = raw.split(",").map((x) => Number(x.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x < 1))
    throw new Error(
      `BENCH_STREAM_MS must be positive integers (ms) separated by commas, or 0; got ${raw}`,
    );
  return xs;
}

function parseBig(spec: string) {
  const [kind, p, variant] = spec.split(":");
  if (
    (kind !== "action" && kind !== "mutation") ||
    ![10, 50].includes(Number(p)) ||
    (variant !== "ours" && variant !== "oursTtl0")
  ) {
    throw new Error(
      `BENCH_BIG must be kind:maxParallelism:variant with a batch workload of the table, e.g. action:50:oursTtl0; got ${spec}`,
    );
  }
  return {
    shape: "batch",
    kind,
    maxParallelism: Number(p),
    variant,
  } as const;
}

/** Mutes the packages' log lines, counting them, and keeps the first few problems. */
function muteConsole() {
  const saved = { ...console };
  const muted: Record<string, number> = {};
  const problems: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    console[level] = (...args: unknown[]) => {
      muted[level] = (muted[level] ?? 0) + 1;
      if ((level === "warn" || level === "error") && problems.length < 5) {
        problems.push(
          args
            .map((a) =>
              a instanceof Error
                ? a.message
                : typeof a === "string"
                  ? a
                  : JSON.stringify(a),
            )
            .join(" "),
        );
      }
    };
  }
  return {
    muted,
    problems,
    restore: () => Object.assign(console, saved),
    say: (line: string) => saved.log(line),
  };
}

test("bench", async () => {
  const startedAt = new Date().toISOString(); // before the clock is faked
  const wall0 = performance.now();
  const loadBefore = os.loadavg()[0]!;
  const io = muteConsole();
  const runs: RunResult[] = [];
  let big: RunResult | null = null;
  const optionRuns: RunResult[] = [];
  let statsProbes: StatsProbe[] = [];
  let optionsS = 0;
  let streamS: number;
  const auditRuns: RunResult[] = [];
  let auditS = 0;
  const progress = (r: RunResult) =>
    io.say(
      `[bench] ${r.variant} ${workloadTitle(r.workload)} n=${r.n}: wall ${(r.wallMs / 1000).toFixed(2)} s, ` +
        `makespan ${(r.makespanMs / 1000).toFixed(1)} s, ${(r.counts.writes / r.n).toFixed(2)} writes/job`,
    );
  const repeat = async (workloads: Workload[], n: number, reps: number) => {
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? RUN_VARIANTS : [...RUN_VARIANTS].reverse();
      for (const w of workloads) {
        for (const v of order) {
          const r = await runWorkload(v, w, n, {
            timeline: HTML !== null && rep === 0,
          });
          runs.push(r);
          progress(r);
        }
      }
    }
  };
  try {
    // Warm-up: every variant and kind once, in a batch and in a short
    // stream, not recorded.
    for (const v of RUN_VARIANTS) {
      for (const kind of ["action", "mutation"] as const) {
        await runWorkload(
          v,
          { shape: "batch", kind, maxParallelism: 10 },
          WARMUP_N,
        );
        if (STREAM_WORKLOADS.length > 0)
          await runWorkload(
            v,
            { shape: "stream", kind, maxParallelism: STREAM_P, intervalMs: 20 },
            WARMUP_STREAM_N,
          );
      }
    }
    io.say(
      `[bench] warmed up in ${((performance.now() - wall0) / 1000).toFixed(1)} s`,
    );
    await repeat(BATCH_WORKLOADS, N, REPS);
    const s0 = performance.now();
    await repeat(STREAM_WORKLOADS, STREAM_N, STREAM_REPS);
    streamS = (performance.now() - s0) / 1000;
    if (AUDIT) {
      // Runs of their own: recording slows a run down, and the measured
      // runs' wall times must not carry it.
      const a0 = performance.now();
      for (const w of [...BATCH_WORKLOADS, ...STREAM_WORKLOADS]) {
        for (const id of AUDIT_VARIANT_IDS) {
          const v = VARIANTS.find((x) => x.id === id)!;
          const n = w.shape === "batch" ? AUDIT_N : AUDIT_STREAM_N;
          const r = await runWorkload(v, w, n, { audit: true });
          auditRuns.push(r);
          const c = r.conflicts!;
          io.say(
            `[bench] audit ${r.variant} ${workloadTitle(w)} n=${n}: ${pairsPerJob(c.report).toFixed(2)} conflicting pairs/job, ` +
              `${c.transactions} transactions, wall ${(r.wallMs / 1000).toFixed(2)} s, pairing ${(c.reportMs / 1000).toFixed(2)} s`,
          );
        }
      }
      auditS = (performance.now() - a0) / 1000;
      io.say(`[bench] conflict audit: ${auditS.toFixed(1)} s`);
    }
    if (BIG_N > 0) {
      big = await runWorkload(
        VARIANTS.find((v) => v.id === BIG.variant)!,
        BIG,
        BIG_N,
      );
      progress(big);
    }
    if (OPTIONS) {
      const t0 = performance.now();
      for (const v of OPTION_VARIANTS) {
        if (v.id === "baseline") continue; // warmed up above as "ours"
        for (const w of OPTION_WORKLOADS) await runWorkload(v, w, WARMUP_N);
      }
      for (let rep = 0; rep < OPTIONS_REPS; rep++) {
        const order =
          rep % 2 === 0 ? OPTION_VARIANTS : [...OPTION_VARIANTS].reverse();
        for (const w of OPTION_WORKLOADS) {
          for (const v of order) {
            const r = await runWorkload(v, w, N);
            optionRuns.push(r);
            progress(r);
          }
        }
      }
      statsProbes = await probeStats(N);
      for (const p of statsProbes)
        io.say(
          `[bench] stats with ${p.state}: ${p.counts.reads} reads, ${p.counts.docsRead} documents`,
        );
      optionsS = (performance.now() - t0) / 1000;
      io.say(`[bench] options section: ${optionsS.toFixed(1)} s`);
    }
  } finally {
    restoreClock();
    io.restore();
  }

  const meta: BenchMeta = {
    startedAt,
    node: process.version,
    cpu: os.cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: os.cpus().length,
    load: [loadBefore, os.loadavg()[0]!],
    n: N,
    reps: REPS,
    stream: { n: STREAM_N, reps: STREAM_REPS, runtimeS: streamS },
    with0412: WITH_0412,
    runtimeS: (performance.now() - wall0) / 1000,
    bigN: BIG_N,
    bigWorkload: BIG_N > 0 ? BIG : null,
    muted: io.muted,
    problems: io.problems,
    options: OPTIONS
      ? { reps: OPTIONS_REPS, runtimeS: optionsS, workloads: OPTION_WORKLOADS }
      : null,
    audit: AUDIT
      ? { n: AUDIT_N, streamN: AUDIT_STREAM_N, runtimeS: auditS }
      : null,
  };
  const markdown = renderReport(
    meta,
    [...BATCH_WORKLOADS, ...STREAM_WORKLOADS],
    runs,
    big,
    {
      runs: optionRuns,
      stats: statsProbes,
    },
    auditRuns,
  );
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, markdown);
  fs.writeFileSync(
    OUT.replace(/\.md$/, "") + ".json",
    JSON.stringify(
      { meta, runs, big, optionRuns, statsProbes, auditRuns },
      null,
      1,
    ),
  );
  console.log(`${markdown}\n(written to ${OUT})`);
  if (HTML !== null) {
    fs.writeFileSync(HTML, renderHtml(timelineReport(meta, runs)));
    console.log(`(HTML page written to ${HTML})`);
  }
});
