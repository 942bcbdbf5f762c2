// Client-side checks of Workpool and enqueue options (DESIGN §9): bad input
// throws an Error naming the option, the rule and the value, before any
// call reaches the component.
import { getFunctionAddress } from "convex/server";
import { getConvexSize, type Value } from "convex/values";
import { MAX_PARALLELISM_WARN_ABOVE } from "../component/constants.js";
import { fail } from "../component/errors.js";
import {
  checkBoolean,
  checkDelay,
  checkExcludeKinds,
  isFunctionHandle,
  checkIdempotencyKey,
  checkKey,
  checkKnownKeys,
  checkLogLevel,
  checkMaxParallelism,
  checkPriority,
  checkRetryBehavior,
  checkStatusTtl,
  checkString,
  checkTime,
  checkValueBytes,
  describeValue,
  firstProblem,
} from "../component/core/validation.js";

const WORKPOOL_OPTIONS = [
  "maxParallelism",
  "retryActionsByDefault",
  "defaultRetryBehavior",
  "logLevel",
  "statusTtl",
] as const;

const ENQUEUE_OPTIONS = [
  "name",
  "onComplete",
  "onCompleteExcludeKinds",
  "context",
  "runAt",
  "runAfter",
  "delayMs",
  "runAtTime",
  "retry",
  "idempotencyKey",
  "key",
  "priority",
] as const;

/** Batch enqueue takes one key per job instead of one idempotencyKey. */
const BATCH_ENQUEUE_OPTIONS = [...ENQUEUE_OPTIONS, "idempotencyKeys", "keys"] as const;

const TIMING_OPTIONS = ["runAt", "runAfter", "delayMs", "runAtTime"] as const;

function throwIf(problem: string | null): void {
  if (problem) throw new Error(problem);
}

function optional<T>(value: T | undefined, check: (v: T) => string | null) {
  return value === undefined ? null : check(value);
}

/** Checks the options of `new Workpool(component, options)`. */
export function checkWorkpoolOptions(options: Record<string, unknown>): void {
  if (typeof options !== "object" || options === null) {
    throw new Error(`Workpool options must be an object, got ${String(options)}`);
  }
  throwIf(
    firstProblem(
      checkKnownKeys("Workpool options", options, WORKPOOL_OPTIONS),
      optional(options.maxParallelism, (v) => checkMaxParallelism("maxParallelism", v)),
      optional(options.retryActionsByDefault, (v) => checkBoolean("retryActionsByDefault", v)),
      optional(options.defaultRetryBehavior, (v) => checkRetryBehavior("defaultRetryBehavior", v)),
      optional(options.logLevel, (v) => checkLogLevel("logLevel", v)),
      optional(options.statusTtl, (v) => checkStatusTtl("statusTtl", v)),
    ),
  );
  if (
    typeof options.maxParallelism === "number" &&
    options.maxParallelism > MAX_PARALLELISM_WARN_ABOVE
  ) {
    console.warn(
      `[workpool] maxParallelism ${options.maxParallelism} is above ${MAX_PARALLELISM_WARN_ABOVE}: ` +
        "most Convex plans run fewer functions at once across all pools",
    );
  }
}

/**
 * Checks the options of one enqueue call. `fnType` limits `retry` to
 * actions. For a batch, `batchSize` is the number of jobs: it takes
 * `idempotencyKeys` (one per job) and refuses a single `idempotencyKey`.
 */
export function checkEnqueueOptions(
  options: Record<string, unknown>,
  fnType: "action" | "mutation" | "query",
  batchSize?: number,
): void {
  if (typeof options !== "object" || options === null) {
    throw new Error(`enqueue options must be an object, got ${String(options)}`);
  }
  const batch = batchSize !== undefined;
  throwIf(checkKnownKeys("enqueue options", options, batch ? BATCH_ENQUEUE_OPTIONS : ENQUEUE_OPTIONS));
  if (batch && options.idempotencyKey !== undefined) {
    throw new Error(
      `batch enqueue options: idempotencyKey names one job, so it cannot apply to a batch; ` +
        `give idempotencyKeys, one per element of argsArray, got idempotencyKey ${describeValue(options.idempotencyKey)}`,
    );
  }
  if (batch && options.idempotencyKeys !== undefined) {
    throwIf(checkIdempotencyKeys(options.idempotencyKeys, batchSize));
  }
  if (batch && options.keys !== undefined) {
    throwIf(checkSerializationKeys(options.keys, batchSize, options.key));
  }
  checkTimingOptions(options);
  if (fnType !== "action" && options.retry !== undefined) {
    throw new Error(
      `enqueue options: retry applies only to actions (mutations and queries run once), got retry for a ${fnType}`,
    );
  }
  throwIf(
    firstProblem(
      optional(options.name, (v) => checkString("name", v)),
      optional(options.onCompleteExcludeKinds, (v) =>
        checkExcludeKinds("onCompleteExcludeKinds", v),
      ),
      optional(options.retry, (v) =>
        typeof v === "boolean" ? null : checkRetryBehavior("retry", v),
      ),
      optional(options.idempotencyKey, (v) => checkIdempotencyKey("idempotencyKey", v)),
      optional(options.key, (v) => checkKey("key", v)),
      optional(options.priority, (v) => checkPriority("priority", v)),
    ),
  );
}


/** Checks a batch's idempotencyKeys: one valid key per job. */
export function checkIdempotencyKeys(keys: unknown, batchSize: number): string | null {
  return checkOnePerJob("idempotencyKeys", keys, batchSize, checkIdempotencyKey);
}

/** Checks a batch's keys: one valid serialization key per job, and no `key` beside them. */
export function checkSerializationKeys(keys: unknown, batchSize: number, key: unknown): string | null {
  if (key !== undefined) {
    return `batch enqueue options: give key (one for every job) or keys (one per job), not both; got key ${describeValue(key)} and keys`;
  }
  return checkOnePerJob("keys", keys, batchSize, checkKey);
}

function checkOnePerJob(
  field: string,
  keys: unknown,
  batchSize: number,
  check: (field: string, value: unknown) => string | null,
): string | null {
  if (!Array.isArray(keys)) {
    return `${field} must be an array of strings, one per element of argsArray, got ${describeValue(keys)}`;
  }
  if (keys.length !== batchSize) {
    return `${field} must have one key per element of argsArray (${batchSize}), got ${keys.length} keys`;
  }
  return firstProblem(...keys.map((k, i) => check(`${field}[${i}]`, k)));
}

/**
 * At most one timing option, each a finite time or delay. Run by the class
 * methods and by the free `enqueue` / `enqueueBatch` functions.
 */
export function checkTimingOptions(options: Record<string, unknown>): void {
  const timing = TIMING_OPTIONS.filter((k) => options[k] !== undefined);
  if (timing.length > 1) {
    throw new Error(
      `enqueue options: give at most one of runAt, runAfter, delayMs, runAtTime; got both ${timing[0]} and ${timing[1]}`,
    );
  }
  throwIf(
    firstProblem(
      optional(options.runAt, (v) => checkTime("runAt", v)),
      optional(options.runAtTime, (v) => checkTime("runAtTime", v)),
      optional(options.runAfter, (v) => checkDelay("runAfter", v)),
      optional(options.delayMs, (v) => checkDelay("delayMs", v)),
    ),
  );
}

/** When a job is due, from its timing options; undefined means now. */
export function dueTime(
  options: { runAt?: number; runAfter?: number; delayMs?: number; runAtTime?: number },
  nowMs: number,
): number {
  const at = options.runAt ?? options.runAtTime;
  if (at !== undefined) return at;
  const after = options.runAfter ?? options.delayMs;
  return after !== undefined ? nowMs + after : nowMs;
}

/**
 * Rejects a value above Convex's document limit, naming what it is, with
 * the ConvexError the component throws for it (code VALUE_TOO_LARGE, same
 * message), so a caller sees one error whichever side catches it.
 */
export function checkValueSize(what: string, value: unknown): void {
  if (value === undefined) return;
  const tooLarge = checkValueBytes(what, getConvexSize(value as Value));
  if (tooLarge) fail("VALUE_TOO_LARGE", tooLarge);
}

/**
 * The function a job runs: a function reference (`internal.emails.send`)
 * or a function handle (a string from createFunctionHandle). Anything else,
 * such as a function's name as a string, would only fail when the job runs,
 * attempt after attempt: refuse it here.
 */
export function checkFunctionArg(field: string, fn: unknown): void {
  const rule =
    `${field} must be a function reference (like internal.emails.send) or a function handle ` +
    `(a string from createFunctionHandle, starting with "function://")`;
  if (typeof fn === "string") {
    if (!isFunctionHandle(fn)) throw new Error(`${rule}, got ${describeValue(fn)}`);
    return;
  }
  try {
    getFunctionAddress(fn);
  } catch {
    throw new Error(`${rule}, got ${describeValue(fn)}`);
  }
}
