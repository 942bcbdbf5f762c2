// The demo's HTML page (`npm run demo -- --html FILE`): a small run, its
// page parsed back. The page must hold the run's own numbers, draw three
// charts per pool, and need nothing from the network.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runDemo, type DemoResult } from "./demo.js";
import { plain } from "./layout.js";
import { DATA_ELEMENT_ID, histogram, percentile, renderHtml, ticks, type TimelineReport } from "./html.js";

let result: DemoResult;
let html: string;
let data: TimelineReport;
let printed = "";

beforeAll(async () => {
  const out = { write: (text: string) => void (printed += text), width: () => 80, paint: plain };
  result = await runDemo({ jobs: 12, seed: 3, quiet: true, html: null }, "quiet", out);
  html = renderHtml(result.timeline);
  const json = new RegExp(`<script type="application/json" id="${DATA_ELEMENT_ID}">(.*?)</script>`, "s").exec(html)?.[1];
  data = JSON.parse(json!) as TimelineReport;
}, 120_000);
afterAll(() => {
  printed = "";
});

describe("the demo's HTML page", () => {
  test("the run it shows passed its checks", () => {
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(printed).toContain("ok   cap held");
  });

  test("the embedded data is the run's timeline, one entry per pool", () => {
    expect(data).toEqual(result.timeline);
    expect(data.pools.map((p) => p.name)).toEqual(["emailWorkpool", "scrapeWorkpool", "counterPool"]);
  });

  test("every series has one value per sample, sampled in time order", () => {
    for (const pool of data.pools) {
      const n = pool.x.length;
      expect(n).toBeGreaterThan(2);
      expect(pool.running).toHaveLength(n);
      expect(pool.cap).toHaveLength(n);
      expect(pool.queue.map((q) => q.label.split(":")[0])).toEqual(["pendingDue", "pendingDelayed", "pendingBackingOff"]);
      for (const q of pool.queue) expect(q.values).toHaveLength(n);
      expect(pool.x).toEqual([...pool.x].sort((a, b) => a - b));
      expect(pool.x[0]).toBe(0);
    }
  });

  test("the samples agree with the run: caps held, queues empty at the end, one lag per attempt", () => {
    data.pools.forEach((pool, i) => {
      const summary = result.pools[i]!;
      expect(pool.cap.every((c) => c === summary.maxParallelism)).toBe(true);
      pool.running.forEach((r, k) => expect(r).toBeLessThanOrEqual(pool.cap[k]!));
      expect(Math.max(...pool.running)).toBeLessThanOrEqual(summary.peakRunning);
      const last = pool.x.length - 1;
      expect(pool.running[last]).toBe(0);
      for (const q of pool.queue) expect(q.values[last]).toBe(0);
      // At the start every job is queued (the pipeline's later steps aside).
      const queuedAtStart = pool.queue.reduce((n, q) => n + q.values[0]!, 0) + pool.running[0]!;
      expect(queuedAtStart).toBeGreaterThan(0);
      expect(queuedAtStart).toBeLessThanOrEqual(summary.jobs);
      // The last sample comes after the pool's last job finished.
      expect(pool.x[last]! * 1000).toBeGreaterThanOrEqual(summary.makespanMs);
      expect(pool.startLagsMs).toHaveLength(summary.attempts);
      expect(percentile(pool.startLagsMs, 0.5)).toBe(summary.lagP50Ms);
      expect(percentile(pool.startLagsMs, 0.95)).toBe(summary.lagP95Ms);
    });
  });

  test("each pool gets its three charts, drawn from the data", () => {
    expect(html.match(/<section>/g)).toHaveLength(3);
    expect(html.match(/<svg /g)).toHaveLength(9);
    expect(html.match(/<polyline class="running"/g)).toHaveLength(3);
    expect(html.match(/<polyline class="cap"/g)).toHaveLength(3);
    expect(html.match(/<polygon class="layer"/g)).toHaveLength(9);
    // A step line has two points per sample but the first.
    const running = [...html.matchAll(/<polyline class="running" points="([^"]*)"/g)].map((m) => m[1]!.split(" ").length);
    expect(running).toEqual(data.pools.map((p) => 2 * p.x.length - 1));
    const bars = [...html.matchAll(/<section>.*?<\/section>/gs)].map((m) => (m[0].match(/<rect class="bar"/g) ?? []).length);
    expect(bars).toEqual(data.pools.map((p) => histogram(p.startLagsMs).length));
  });

  test("the page is self-contained: no URL, no external file", () => {
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    expect(html).not.toMatch(/<link|<img|<iframe|\ssrc=|\shref=|@import|url\(/i);
    // Its only script is the data, which no browser runs.
    expect(html.match(/<script/g)).toHaveLength(1);
  });
});

describe("chart helpers", () => {
  test("histogram: 20 equal bins from 0 to the largest lag, every lag counted once", () => {
    const bins = histogram([0, 50, 100, 1000, 1000]);
    expect(bins).toHaveLength(20);
    expect(bins[0]).toEqual({ fromMs: 0, toMs: 50, count: 1 });
    expect(bins[1]).toEqual({ fromMs: 50, toMs: 100, count: 1 });
    expect(bins[2]!.count).toBe(1);
    expect(bins[19]).toEqual({ fromMs: 950, toMs: 1000, count: 2 });
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(5);
    expect(histogram([0, 0])).toEqual([{ fromMs: 0, toMs: 0, count: 2 }]);
    expect(histogram([])).toEqual([]);
  });

  test("ticks: round steps covering the range", () => {
    expect(ticks(10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(ticks(19.6)).toEqual([0, 5, 10, 15, 20]);
    expect(ticks(0.7)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(ticks(0)).toEqual([0]);
    // Counts: whole numbers only.
    expect(ticks(11, 0, true)).toEqual([0, 5, 10, 15]);
    expect(ticks(1, 0, true)).toEqual([0, 1]);
  });

  test("text from the data is escaped, and the JSON cannot close its script element", () => {
    const page = renderHtml({
      title: "<b>t</b>",
      subtitle: "a & b",
      xLabel: "s",
      samplesNote: "n",
      pools: [{ name: "</script><script>alert(1)</script>", x: [0], running: [0], cap: [1], queue: [], startLagsMs: [] }],
    });
    expect(page).toContain("&lt;b&gt;t&lt;/b&gt;");
    expect(page).toContain("a &amp; b");
    expect(page.match(/<\/script>/g)).toHaveLength(1);
    expect(page.match(/<script/g)).toHaveLength(1);
  });
});
