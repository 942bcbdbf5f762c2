// Counting a component's own work under convex-test: each registered
// function exported by the component's modules is replaced by a copy whose
// handler counts the call and sees a `ctx` whose `db` and `scheduler` count
// their calls. The app's functions are not wrapped, so they are not counted.
import { getFunctionName, type FunctionReference } from "convex/server";

/** What one package's component functions did. */
export type Counts = {
  /** Calls of a registered function's handler (top-level or nested). */
  executions: number;
  /** insert + patch + replace + delete. */
  writes: number;
  /** get + query() started (db and db.system). */
  reads: number;
  /**
   * Documents those reads returned: a get's document, a query's rows
   * (`first`/`unique` one or none, `take`/`collect` their rows, a page's
   * rows, one per step of an iteration). On Convex a query also reads the
   * index range it scans; the packages' queries return what they scan
   * (no filters), so this is close to the documents read.
   */
  docsRead: number;
  /** scheduler.runAfter + scheduler.runAt. */
  scheduled: number;
  /** scheduler.cancel. */
  canceled: number;
  /**
   * Real ms spent evaluating the component's queries (from the call that
   * runs a query, e.g. take() or collect(), until its result): convex-test's
   * in-memory database scans every document of the component per query.
   */
  queryMs: number;
  /** Executions by `module:function` (nested components prefixed by their path). */
  byFunction: Record<string, number>;
  /** Writes by `method table` (table `?` when called with an id only). */
  writesBy: Record<string, number>;
  /** Reads by `get table` / `query table`. */
  readsBy: Record<string, number>;
  /** Scheduled calls by target function. */
  scheduledBy: Record<string, number>;
  /**
   * The same three, by the component function that made the call:
   * `module:function: method table` for writes and reads,
   * `module:function → target` for scheduled calls.
   */
  writesByFn: Record<string, number>;
  readsByFn: Record<string, number>;
  scheduledByFn: Record<string, number>;
};

const RECORDS = [
  "byFunction",
  "writesBy",
  "readsBy",
  "scheduledBy",
  "writesByFn",
  "readsByFn",
  "scheduledByFn",
] as const;

export function emptyCounts(): Counts {
  return {
    executions: 0,
    writes: 0,
    reads: 0,
    docsRead: 0,
    scheduled: 0,
    canceled: 0,
    queryMs: 0,
    byFunction: {},
    writesBy: {},
    readsBy: {},
    scheduledBy: {},
    writesByFn: {},
    readsByFn: {},
    scheduledByFn: {},
  };
}

export function copyCounts(c: Counts): Counts {
  const out = { ...c };
  for (const k of RECORDS) out[k] = { ...c[k] };
  return out;
}

/** `a - b`, field by field. */
export function diffCounts(a: Counts, b: Counts): Counts {
  const sub = (x: Record<string, number>, y: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(x)) {
      const d = v - (y[k] ?? 0);
      if (d !== 0) out[k] = d;
    }
    return out;
  };
  const out: Counts = {
    ...emptyCounts(),
    executions: a.executions - b.executions,
    writes: a.writes - b.writes,
    reads: a.reads - b.reads,
    docsRead: a.docsRead - b.docsRead,
    scheduled: a.scheduled - b.scheduled,
    canceled: a.canceled - b.canceled,
    queryMs: a.queryMs - b.queryMs,
  };
  for (const k of RECORDS) out[k] = sub(a[k], b[k]);
  return out;
}

function bump(record: Record<string, number>, key: string) {
  record[key] = (record[key] ?? 0) + 1;
}

type ModuleLoader = () => Promise<unknown>;
export type Modules = Record<string, ModuleLoader>;

type RegisteredFunction = ((...args: unknown[]) => unknown) & {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  _handler: (ctx: unknown, args: unknown) => unknown;
};

function isRegisteredFunction(value: unknown): value is RegisteredFunction {
  if (typeof value !== "function") return false;
  const f = value as Partial<RegisteredFunction>;
  return (
    (f.isQuery === true || f.isMutation === true || f.isAction === true) &&
    typeof f._handler === "function"
  );
}

/** `./component/core/plan.ts` → `core/plan` (the module path Convex uses). */
function modulePathOf(key: string): string {
  const withoutExt = key.replace(/\.[^./]+$/, "");
  const at = withoutExt.lastIndexOf("component/");
  return at === -1
    ? withoutExt.replace(/^\.\//, "")
    : withoutExt.slice(at + "component/".length);
}

/**
 * The modules map of a component, with every registered function wrapped so
 * that its calls and its ctx.db / ctx.scheduler calls are added to
 * `counts()` (read at call time, so the caller can swap the target).
 * `prefix` names nested components in `byFunction` (e.g. "batchWorker/").
 */
export function instrumentModules(
  modules: Modules,
  counts: () => Counts,
  prefix = "",
): Modules {
  const wrapped: Modules = {};
  for (const [key, load] of Object.entries(modules)) {
    let cached: Promise<unknown> | undefined;
    wrapped[key] = () =>
      (cached ??= load().then((mod) =>
        wrapModule(
          mod as Record<string, unknown>,
          prefix + modulePathOf(key),
          counts,
        ),
      ));
  }
  return wrapped;
}

function wrapModule(
  mod: Record<string, unknown>,
  modulePath: string,
  counts: () => Counts,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(mod)) {
    out[name] = isRegisteredFunction(value)
      ? wrapFunction(value, `${modulePath}:${name}`, counts)
      : value;
  }
  return out;
}

function wrapFunction(
  fn: RegisteredFunction,
  id: string,
  counts: () => Counts,
): RegisteredFunction {
  const handler = fn._handler;
  const counted = (ctx: unknown, args: unknown) => {
    const c = counts();
    c.executions += 1;
    bump(c.byFunction, id);
    return handler(countingCtx(ctx as Record<string, unknown>, c, id), args);
  };
  const copy = (() => {
    throw new Error(`${id} is a Convex function; call it through convex-test`);
  }) as unknown as RegisteredFunction;
  return Object.assign(copy, fn, { _handler: counted });
}

function countingCtx(
  ctx: Record<string, unknown>,
  c: Counts,
  fn: string,
): Record<string, unknown> {
  const out = { ...ctx };
  const { db, scheduler } = ctx;
  if (typeof db === "object" && db !== null) out.db = countingDb(db, c, fn);
  if (typeof scheduler === "object" && scheduler !== null)
    out.scheduler = countingScheduler(scheduler, c, fn);
  return out;
}

const WRITES = new Set(["insert", "patch", "replace", "delete"]);
/** Arguments of each db method when called without a table name. */
const ARITY_WITHOUT_TABLE: Record<string, number> = {
  get: 1,
  patch: 2,
  replace: 2,
  delete: 1,
};

function tableOf(method: string, args: unknown[]): string {
  if (method === "insert" || method === "query") return String(args[0]);
  const arity = ARITY_WITHOUT_TABLE[method];
  return arity !== undefined && args.length > arity ? String(args[0]) : "?";
}

function countingDb(db: object, c: Counts, fn: string, system = false): object {
  return new Proxy(db, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === "system" && value && typeof value === "object")
        return countingDb(value, c, fn, true);
      if (typeof value !== "function" || typeof prop !== "string") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (WRITES.has(prop)) {
        return (...args: unknown[]) => {
          c.writes += 1;
          const what = `${prop} ${tableOf(prop, args)}`;
          bump(c.writesBy, what);
          bump(c.writesByFn, `${fn}: ${what}`);
          return method.apply(target, args);
        };
      }
      if (prop === "get" || prop === "query") {
        return (...args: unknown[]) => {
          c.reads += 1;
          const what = `${system ? "system." : ""}${prop} ${tableOf(prop, args)}`;
          bump(c.readsBy, what);
          bump(c.readsByFn, `${fn}: ${what}`);
          const result = method.apply(target, args);
          if (prop === "query") return timedQuery(result as object, c);
          return result instanceof Promise
            ? result.then((doc: unknown) => {
                if (doc !== null && doc !== undefined) c.docsRead += 1;
                return doc;
              })
            : result;
        };
      }
      return method.bind(target);
    },
  });
}

const realNow = performance.now.bind(performance);

/** Documents in what a query method resolved to (see Counts.docsRead). */
function docsIn(result: unknown): number {
  if (result === null || result === undefined) return 0;
  if (Array.isArray(result)) return result.length;
  if (typeof result !== "object") return 0;
  const r = result as { page?: unknown; done?: unknown };
  if (Array.isArray(r.page)) return r.page.length; // paginate
  if (typeof r.done === "boolean") return r.done ? 0 : 1; // iterator step
  return 1; // first, unique
}

/**
 * A query builder (or its iterator) whose methods that return a promise are
 * timed into `c.queryMs` and their documents counted into `c.docsRead`;
 * methods that return another builder are wrapped in turn.
 */
function timedQuery(query: object, c: Counts): object {
  return new Proxy(query, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const started = realNow();
        const result = method.apply(target, args);
        if (result instanceof Promise) {
          return result.then(
            (value: unknown) => {
              c.queryMs += realNow() - started;
              c.docsRead += docsIn(value);
              return value;
            },
            (error: unknown) => {
              c.queryMs += realNow() - started;
              throw error;
            },
          );
        }
        return typeof result === "object" && result !== null
          ? timedQuery(result, c)
          : result;
      };
    },
  });
}

function targetName(ref: unknown): string {
  if (typeof ref === "string") return "(function handle)";
  try {
    return getFunctionName(ref as FunctionReference<"mutation" | "action">);
  } catch {
    return "(unknown)";
  }
}

function countingScheduler(scheduler: object, c: Counts, fn: string): object {
  return new Proxy(scheduler, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (prop === "runAfter" || prop === "runAt") {
        return (...args: unknown[]) => {
          c.scheduled += 1;
          const target = targetName(args[1]);
          bump(c.scheduledBy, target);
          bump(c.scheduledByFn, `${fn} → ${target}`);
          return method.apply(target, args);
        };
      }
      if (prop === "cancel") {
        return (...args: unknown[]) => {
          c.canceled += 1;
          return method.apply(target, args);
        };
      }
      return method.bind(target);
    },
  });
}
