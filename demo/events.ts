// The pools' own view, read from their log. At logLevel "INFO" a pool prints
// one JSON line per event ({"component":"workpool","event":"started",...});
// the demo takes them off the console while it runs, and keeps:
// - the ids of the jobs enqueued per pool (those the app enqueues on its own,
//   like the pipeline's steps, included);
// - start lags (`started.startLag`: ms from due to start) per pool;
// - jobs running per pool (started, not yet completed) and the most at once,
//   updated at every event, so nothing between two samples is missed;
// - warnings and errors (`recovered`, `onCompleteFailed`, ...), which a
//   healthy run does not have.

export type PoolKey = "email" | "scrape" | "counter";

/** Which pool runs each function (the pipeline's steps run in the scrape pool). */
const POOL_OF_FUNCTION: Record<string, PoolKey> = {
  "demo:sendEmail": "email",
  "demo:fetchPage": "scrape",
  "pipeline:step1": "scrape",
  "pipeline:step2": "scrape",
  "counters:doIncrement": "counter",
};

type Event = { component?: string; event?: string; workId?: string; fnName?: string; startLag?: number };

export class PoolLog {
  /** Every job enqueued, per pool, in enqueue order. */
  readonly enqueued: Record<PoolKey, string[]> = { email: [], scrape: [], counter: [] };
  readonly startLags: Record<PoolKey, number[]> = { email: [], scrape: [], counter: [] };
  readonly maxRunning: Record<PoolKey, number> = { email: 0, scrape: 0, counter: 0 };
  /** Lines printed at warn or error level. */
  readonly problems: string[] = [];
  private running: Record<PoolKey, Set<string>> = { email: new Set(), scrape: new Set(), counter: new Set() };
  private saved: Pick<Console, "log" | "info" | "debug" | "warn" | "error"> | null = null;

  /** Jobs running now, in all pools. */
  runningNow(): number {
    return Object.values(this.running).reduce((n, set) => n + set.size, 0);
  }

  /** Takes console output over until `release`. */
  capture() {
    this.saved = { log: console.log, info: console.info, debug: console.debug, warn: console.warn, error: console.error };
    console.log = console.info = console.debug = (...args: unknown[]) => this.line(args, false);
    console.warn = console.error = (...args: unknown[]) => this.line(args, true);
  }

  release() {
    if (this.saved) Object.assign(console, this.saved);
    this.saved = null;
  }

  private line(args: unknown[], problem: boolean) {
    const text = args.map(String).join(" ");
    if (problem) {
      this.problems.push(text);
      return;
    }
    let event: Event | null;
    try {
      event = JSON.parse(text) as Event | null;
    } catch {
      return; // a debug line, not an event
    }
    if (event?.component !== "workpool") return;
    const pool = POOL_OF_FUNCTION[event.fnName ?? ""];
    if (pool === undefined || event.workId === undefined) return;
    const running = this.running[pool];
    if (event.event === "enqueued") {
      this.enqueued[pool].push(event.workId);
    } else if (event.event === "started") {
      this.startLags[pool].push(event.startLag ?? 0);
      running.add(event.workId);
      this.maxRunning[pool] = Math.max(this.maxRunning[pool], running.size);
    } else if (event.event === "completed") {
      running.delete(event.workId); // an attempt ended (outcome "retry": another will start later)
    }
  }
}
