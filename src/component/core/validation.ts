// The rules for options and arguments (DESIGN §9), shared by the client
// (which throws Error before any call) and the component (which throws
// ConvexError). Each check returns a message naming the field, the rule and
// the value received, or null when the value is fine.
import {
  FUNCTION_HANDLE_MAX_BYTES,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_KEY_LENGTH,
  MAX_PARALLELISM_LIMIT,
  MAX_VALUE_BYTES,
} from "../constants.js";
import { utf8Length } from "./text.js";
import { PRIORITY_RANK } from "./plan.js";

export const LOG_LEVELS = [
  "DEBUG",
  "TRACE",
  "INFO",
  "REPORT",
  "WARN",
  "ERROR",
] as const;
export const RESULT_KINDS = ["success", "failed", "canceled"] as const;

/** Shows a received value in an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function got(value: unknown): string {
  return `got ${describeValue(value)}`;
}

export function checkMaxParallelism(field: string, value: unknown) {
  return typeof value === "number" &&
    Number.isInteger(value) &&
    value >= 0 &&
    value <= MAX_PARALLELISM_LIMIT
    ? null
    : `${field} must be an integer between 0 and ${MAX_PARALLELISM_LIMIT}, ${got(value)}`;
}

export function checkLogLevel(field: string, value: unknown) {
  return LOG_LEVELS.includes(value as (typeof LOG_LEVELS)[number])
    ? null
    : `${field} must be one of ${LOG_LEVELS.join(", ")}, ${got(value)}`;
}

export function checkRetryBehavior(field: string, value: unknown) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `${field} must be an object { maxAttempts, initialBackoffMs, base }, ${got(value)}`;
  }
  const b = value as Record<string, unknown>;
  const unknownKey = Object.keys(b).find(
    (k) => !["maxAttempts", "initialBackoffMs", "base"].includes(k),
  );
  if (unknownKey !== undefined) {
    return `${field}.${unknownKey} is not an option (expected maxAttempts, initialBackoffMs, base)`;
  }
  if (
    typeof b.maxAttempts !== "number" ||
    !Number.isInteger(b.maxAttempts) ||
    b.maxAttempts < 1
  ) {
    return `${field}.maxAttempts must be an integer >= 1, ${got(b.maxAttempts)}`;
  }
  if (
    typeof b.initialBackoffMs !== "number" ||
    !Number.isFinite(b.initialBackoffMs) ||
    b.initialBackoffMs < 0
  ) {
    return `${field}.initialBackoffMs must be a finite number >= 0, ${got(b.initialBackoffMs)}`;
  }
  if (typeof b.base !== "number" || !Number.isFinite(b.base) || b.base < 1) {
    return `${field}.base must be a finite number >= 1, ${got(b.base)}`;
  }
  return null;
}

export function checkStatusTtl(field: string, value: unknown) {
  return typeof value === "number" && !Number.isNaN(value) && value >= 0
    ? null
    : `${field} must be a number of ms >= 0 or Infinity, ${got(value)}`;
}

export function checkTime(field: string, value: unknown) {
  return typeof value === "number" && Number.isFinite(value)
    ? null
    : `${field} must be a finite epoch time in ms, ${got(value)}`;
}

export function checkDelay(field: string, value: unknown) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0
    ? null
    : `${field} must be a finite number of ms >= 0, ${got(value)}`;
}

export function checkBoolean(field: string, value: unknown) {
  return typeof value === "boolean" ? null : `${field} must be a boolean, ${got(value)}`;
}

export function checkString(field: string, value: unknown) {
  return typeof value === "string" ? null : `${field} must be a string, ${got(value)}`;
}

export function checkIdempotencyKey(field: string, value: unknown) {
  return checkShortString(field, value, MAX_IDEMPOTENCY_KEY_LENGTH);
}

/** A serialization key: same rule as an idempotency key. */
export function checkKey(field: string, value: unknown) {
  return checkShortString(field, value, MAX_KEY_LENGTH);
}

const PRIORITIES = Object.keys(PRIORITY_RANK);

export function checkPriority(field: string, value: unknown) {
  return typeof value === "string" && PRIORITIES.includes(value)
    ? null
    : `${field} must be one of ${PRIORITIES.map((p) => JSON.stringify(p)).join(", ")}, ${got(value)}`;
}

function checkShortString(field: string, value: unknown, max: number) {
  if (typeof value === "string" && value.length >= 1 && value.length <= max) return null;
  const rule = `${field} must be a non-empty string of at most ${max} characters`;
  if (typeof value === "string" && value.length > max) {
    return `${rule}, got ${JSON.stringify(`${value.slice(0, 40)}...`)} (${value.length} characters)`;
  }
  return `${rule}, ${got(value)}`;
}

export function checkExcludeKinds(field: string, value: unknown) {
  if (!Array.isArray(value)) {
    return `${field} must be an array of ${RESULT_KINDS.join(", ")}, ${got(value)}`;
  }
  const bad = value.find(
    (k) => !RESULT_KINDS.includes(k as (typeof RESULT_KINDS)[number]),
  );
  return bad === undefined
    ? null
    : `${field} entries must be one of ${RESULT_KINDS.join(", ")}, ${got(bad)}`;
}

export function checkIntegerBetween(field: string, value: unknown, min: number, max: number) {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? null
    : `${field} must be an integer between ${min} and ${max}, ${got(value)}`;
}

export function checkPositiveInteger(field: string, value: unknown) {
  return typeof value === "number" && Number.isInteger(value) && value >= 1
    ? null
    : `${field} must be an integer >= 1, ${got(value)}`;
}

/** What createFunctionHandle returns: "function://" and then the handle, no spaces. */
const FUNCTION_HANDLE = /^function:\/\/\S+$/;

/** Whether `value` looks like what createFunctionHandle returns. */
export function isFunctionHandle(value: unknown): value is string {
  return typeof value === "string" && FUNCTION_HANDLE.test(value);
}

/**
 * A function handle, as the component stores and later calls it. Bounded
 * so that a job's row stays within WORK_ROW_MAX_BYTES (Convex's own
 * handles are far shorter).
 */
export function checkFunctionHandle(field: string, value: unknown) {
  if (!isFunctionHandle(value)) {
    return `${field} must be a function handle (a string from createFunctionHandle, starting with "function://"), ${got(value)}`;
  }
  const bytes = utf8Length(value);
  return bytes <= FUNCTION_HANDLE_MAX_BYTES
    ? null
    : `${field} must be at most ${FUNCTION_HANDLE_MAX_BYTES} bytes, got a function handle of ${bytes} bytes`;
}

/**
 * Args or context of `bytes` bytes (as Convex counts them), named by
 * `what`: too large above MAX_VALUE_BYTES. The client and the component
 * both reject with this message and the code VALUE_TOO_LARGE.
 */
export function checkValueBytes(what: string, bytes: number) {
  return bytes <= MAX_VALUE_BYTES
    ? null
    : `${what} is ${bytes} bytes; the limit is ${MAX_VALUE_BYTES} bytes (1 MiB less room for the row)`;
}

/** Names a key that is not among `allowed`, or null. */
export function checkKnownKeys(
  what: string,
  value: object,
  allowed: readonly string[],
) {
  const unknownKey = Object.keys(value).find((k) => !allowed.includes(k));
  return unknownKey === undefined
    ? null
    : `${what}: unknown option ${JSON.stringify(unknownKey)} (expected one of ${allowed.join(", ")})`;
}

/** The first message of a list of checks, or null if all pass. */
export function firstProblem(
  ...messages: (string | null | undefined)[]
): string | null {
  return messages.find((m) => typeof m === "string") ?? null;
}
