// A run as one self-contained HTML page: per pool, its running jobs over
// time against its cap, its queue over time, and the spread of its start
// lags. The charts are SVG drawn here, the styles inline, and the data the
// charts were drawn from is embedded as JSON (`<script type="application/json"
// id="timeline-data">`), so the page opens anywhere, with no network and no
// script. Used by the demo (`--html FILE`) and by the benchmark (BENCH_HTML).

/** One pool (or one benchmark run) sampled over time. */
export type PoolTimeline = {
  name: string;
  /** When each sample was taken, in the unit of `xLabel`; ascending. */
  x: number[];
  /** Jobs running at each sample. */
  running: number[];
  /** The cap (maxParallelism) at each sample. */
  cap: number[];
  /** Jobs waiting, by kind, at each sample (stacked in the chart). */
  queue: { label: string; values: number[] }[];
  /** Start lag of every attempt, in ms: from when it was due to its start. */
  startLagsMs: number[];
  /** Overrides the report's `xLabel` for this pool. */
  xLabel?: string;
  /** A sentence shown under the pool's name. */
  note?: string;
};

export type TimelineReport = {
  title: string;
  subtitle: string;
  /** The time axis, e.g. "scheduler time, s". */
  xLabel: string;
  /** How the samples were taken, shown with each time chart. */
  samplesNote: string;
  pools: PoolTimeline[];
};

/** The id of the element holding the report as JSON. */
export const DATA_ELEMENT_ID = "timeline-data";

const W = 420;
const H = 220;
const M = { left: 44, right: 12, top: 12, bottom: 36 };
const COLORS = { running: "#2563eb", cap: "#dc2626", lag: "#7c3aed", queue: ["#f59e0b", "#10b981", "#6b7280", "#ec4899"] };
const LAG_BINS = 20;

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 10 ? 1 : 0));
/** "12 ms" below a second, else "4.8 s". */
const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${fmt(ms / 1000)} s`);
/** A tick value as short as it is exact: 0.05, 2.5, 20. */
const tickText = (n: number) => String(Number(n.toFixed(6)));
const px = (n: number) => n.toFixed(1);

/**
 * About five round tick values from 0 (or `min`) to at least `max`; with
 * `integer`, whole numbers only (for counts).
 */
export function ticks(max: number, min = 0, integer = false): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const steps = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  const step = Math.max(integer ? 1 : 0, steps.map((m) => m * power).find((s) => s >= raw)!);
  const out: number[] = [];
  for (let v = Math.floor(min / step) * step; v < max + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

type Scale = { x: (v: number) => number; y: (v: number) => number; xTicks: number[]; yTicks: number[] };

function scale(xs: number[], yMax: number): Scale {
  const x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (!(x1 > x0)) x1 = x0 + 1;
  const xTicks = ticks(x1, x0).filter((t) => t >= x0 && t <= x1 + 1e-9);
  const yTicks = ticks(Math.max(yMax, 1), 0, true);
  const yTop = yTicks[yTicks.length - 1]!;
  return {
    x: (v) => M.left + ((v - x0) / (x1 - x0)) * (W - M.left - M.right),
    y: (v) => H - M.bottom - (v / yTop) * (H - M.top - M.bottom),
    xTicks,
    yTicks,
  };
}

function axes(s: Scale, xLabel: string, yLabel: string, xFormat: (v: number) => string = tickText): string {
  const x0 = M.left;
  const y0 = H - M.bottom;
  const parts = [
    `<line class="axis" x1="${x0}" y1="${y0}" x2="${W - M.right}" y2="${y0}"/>`,
    `<line class="axis" x1="${x0}" y1="${M.top}" x2="${x0}" y2="${y0}"/>`,
    ...s.yTicks.map(
      (t) =>
        `<line class="grid" x1="${x0}" y1="${px(s.y(t))}" x2="${W - M.right}" y2="${px(s.y(t))}"/>` +
        `<text class="tick" x="${x0 - 4}" y="${px(s.y(t) + 3)}" text-anchor="end">${tickText(t)}</text>`,
    ),
    ...s.xTicks.map(
      (t) => `<text class="tick" x="${px(s.x(t))}" y="${y0 + 13}" text-anchor="middle">${xFormat(t)}</text>`,
    ),
    `<text class="label" x="${(x0 + W - M.right) / 2}" y="${H - 4}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text class="label" x="12" y="${(M.top + y0) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(M.top + y0) / 2})">${escape(yLabel)}</text>`,
  ];
  return parts.join("");
}

/** A value held from each sample to the next: horizontal then vertical segments. */
function stepPoints(xs: number[], ys: number[], s: Scale): string {
  const points: string[] = [];
  xs.forEach((x, i) => {
    if (i > 0) points.push(`${px(s.x(x))},${px(s.y(ys[i - 1]!))}`);
    points.push(`${px(s.x(x))},${px(s.y(ys[i]!))}`);
  });
  return points.join(" ");
}

function svg(title: string, body: string, legend: { color: string; text: string; dashed?: boolean }[]): string {
  const keys = legend
    .map(
      (l) =>
        `<span class="key"><span class="swatch${l.dashed ? " dashed" : ""}" style="--c:${l.color}"></span>${escape(l.text)}</span>`,
    )
    .join("");
  return `<figure><figcaption>${escape(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img"><title>${escape(title)}</title>${body}</svg><div class="legend">${keys}</div></figure>`;
}

function runningChart(p: PoolTimeline, xLabel: string): string {
  const s = scale(p.x, Math.max(...p.cap, ...p.running));
  const body =
    axes(s, xLabel, "jobs") +
    `<polyline class="cap" points="${stepPoints(p.x, p.cap, s)}"/>` +
    `<polyline class="running" points="${stepPoints(p.x, p.running, s)}"/>`;
  return svg("Running jobs against the cap", body, [
    { color: COLORS.running, text: "running" },
    { color: COLORS.cap, text: "cap (maxParallelism)", dashed: true },
  ]);
}

function queueChart(p: PoolTimeline, xLabel: string): string {
  const totals = p.x.map((_, i) => p.queue.reduce((sum, q) => sum + q.values[i]!, 0));
  const s = scale(p.x, Math.max(0, ...totals));
  let below = p.x.map(() => 0);
  const layers = p.queue.map((q, k) => {
    const above = below.map((b, i) => b + q.values[i]!);
    const top = stepPoints(p.x, above, s);
    const bottom = stepPoints(p.x, below, s).split(" ").reverse().join(" ");
    below = above;
    return `<polygon class="layer" style="fill:${COLORS.queue[k % COLORS.queue.length]}" points="${top} ${bottom}"><title>${escape(q.label)}</title></polygon>`;
  });
  return svg("Queue: jobs waiting", axes(s, xLabel, "jobs") + layers.join(""), p.queue.map((q, k) => ({
    color: COLORS.queue[k % COLORS.queue.length]!,
    text: q.label,
  })));
}

/** Counts of start lags in LAG_BINS equal bins from 0 to the largest lag (one bin if all are 0). */
export function histogram(lagsMs: number[]): { fromMs: number; toMs: number; count: number }[] {
  const max = Math.max(0, ...lagsMs);
  if (lagsMs.length === 0) return [];
  if (max === 0) return [{ fromMs: 0, toMs: 0, count: lagsMs.length }];
  const width = max / LAG_BINS;
  const bins = Array.from({ length: LAG_BINS }, (_, i) => ({ fromMs: i * width, toMs: (i + 1) * width, count: 0 }));
  for (const lag of lagsMs) bins[Math.min(LAG_BINS - 1, Math.floor(lag / width))]!.count++;
  return bins;
}

/** The value at fraction `p` of the sorted values (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

function lagChart(p: PoolTimeline): string {
  const bins = histogram(p.startLagsMs);
  if (bins.length === 0) return svg("Start lag", `<text class="label" x="${W / 2}" y="${H / 2}" text-anchor="middle">no attempt started</text>`, []);
  const maxS = bins[bins.length - 1]!.toMs / 1000;
  const s = scale([0, maxS], Math.max(...bins.map((b) => b.count)));
  const bars = bins.map((b) => {
    const x0 = s.x(b.fromMs / 1000);
    const x1 = bins.length === 1 ? x0 + 12 : s.x(b.toMs / 1000);
    const y = s.y(b.count);
    return `<rect class="bar" x="${px(x0)}" y="${px(y)}" width="${px(Math.max(1, x1 - x0 - 1))}" height="${px(H - M.bottom - y)}"><title>${b.count} attempts with a lag of ${fmt(b.fromMs / 1000)}-${fmt(b.toMs / 1000)} s</title></rect>`;
  });
  const marks = [0.5, 0.95].map((q) => {
    const v = percentile(p.startLagsMs, q) / 1000;
    const x = px(s.x(v));
    // Labels right of their line, or left of it in the chart's right half.
    const [anchor, dx, y] = s.x(v) > W / 2 ? ["end", -3, M.top + 8 + (q === 0.5 ? 0 : 11)] : ["start", 3, M.top + 8 + (q === 0.5 ? 0 : 11)];
    return `<line class="mark" x1="${x}" y1="${M.top}" x2="${x}" y2="${H - M.bottom}"/><text class="tick" x="${px(s.x(v) + dx)}" y="${y}" text-anchor="${anchor}">p${q * 100} ${duration(v * 1000)}</text>`;
  });
  return svg(
    `Start lag of ${p.startLagsMs.length} attempts (due to started)`,
    axes(s, "start lag, s", "attempts") + bars.join("") + marks.join(""),
    [{ color: COLORS.lag, text: "attempts per bin; lines: median (p50) and p95" }],
  );
}

function poolSection(p: PoolTimeline, report: TimelineReport): string {
  const xLabel = p.xLabel ?? report.xLabel;
  const facts = [
    `${p.x.length} samples`,
    `most running in a sample ${Math.max(0, ...p.running)}, cap ${Math.max(0, ...p.cap)}`,
    `start lag p50 ${duration(percentile(p.startLagsMs, 0.5))}, p95 ${duration(percentile(p.startLagsMs, 0.95))}`,
  ];
  return `<section><h2>${escape(p.name)}</h2>${p.note ? `<p>${escape(p.note)}</p>` : ""}<p class="facts">${escape(facts.join("; "))}</p><div class="charts">${runningChart(p, xLabel)}${queueChart(p, xLabel)}${lagChart(p)}</div></section>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #111; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 2px; }
p { margin: 2px 0; max-width: 80em; } .facts, .note { color: #555; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; width: ${W}px; max-width: 100%; } figcaption { font-weight: 600; margin: 6px 0 2px; }
svg { width: 100%; height: auto; background: #fafafa; border: 1px solid #e5e7eb; }
.axis { stroke: #333; } .grid { stroke: #e5e7eb; } .tick, .label { font-size: 10px; fill: #333; }
.running { fill: none; stroke: ${COLORS.running}; stroke-width: 1.5; }
.cap { fill: none; stroke: ${COLORS.cap}; stroke-width: 1.5; stroke-dasharray: 5 3; }
.layer { opacity: 0.85; } .bar { fill: ${COLORS.lag}; } .mark { stroke: #111; stroke-dasharray: 2 2; }
.legend { font-size: 12px; color: #333; } .key { margin-right: 10px; white-space: nowrap; }
.swatch { display: inline-block; width: 14px; height: 0; border-top: 3px solid var(--c); vertical-align: middle; margin-right: 4px; }
.swatch.dashed { border-top-style: dashed; }
`;

/** The page. Everything it needs is inside it: no link, script or font is fetched. */
export function renderHtml(report: TimelineReport): string {
  const data = JSON.stringify(report).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escape(report.title)}</h1>
<p>${escape(report.subtitle)}</p>
<p class="note">Running and queue: ${escape(report.samplesNote)}. Start lag: every attempt that started, from when it was due (enqueued, delay or backoff over) to its start.</p>
${report.pools.map((p) => poolSection(p, report)).join("\n")}
<script type="application/json" id="${DATA_ELEMENT_ID}">${data}</script>
</body>
</html>
`;
}
