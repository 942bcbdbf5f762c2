// Errors the component throws and recognises. An expected failure the caller
// can act on is a ConvexError with a stable `code` (listed in the README); a
// broken invariant is our bug and throws a plain Error.
import { ConvexError, type Value } from "convex/values";

/** Stable codes of the ConvexErrors this component throws. */
export const ERROR_CODES = {
  /** An argument or option breaks a rule of DESIGN §9. */
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  /** A string that is not an id of this pool's work table. */
  INVALID_WORK_ID: "INVALID_WORK_ID",
  /** Args or context above MAX_VALUE_BYTES. */
  VALUE_TOO_LARGE: "VALUE_TOO_LARGE",
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export type WorkpoolErrorData = { code: ErrorCode; message: string };

/** Throws the ConvexError for `code`; nothing the call wrote is kept. */
export function fail(code: ErrorCode, message: string): never {
  throw new ConvexError<WorkpoolErrorData>({ code, message });
}

/**
 * The field that marks a NonRetryableError's data, with the value `true`:
 * the published package's name, so the data reads the same on both.
 */
const NON_RETRYABLE_MARKER = "__convexWorkpoolNonRetryable";
/** The data's shape before it matched the published one; still recognised. */
const LEGACY_NON_RETRYABLE_KIND = "WorkpoolNonRetryable";

type NonRetryableData = {
  readonly [NON_RETRYABLE_MARKER]: true;
  message: string;
};

/**
 * Throw this from a job to fail it at once, whatever its retry policy. It is
 * a ConvexError whose data is `{ __convexWorkpoolNonRetryable: true,
 * message }` (the job's `errorData`), so it is recognised also after it
 * crosses a function boundary: thrown in a nested `ctx.runMutation` or
 * `ctx.runQuery` and rethrown. The failed job's `error` is `message`.
 *
 * @param message why the job cannot succeed.
 * @param options `cause`: the error behind this one, kept as `error.cause`.
 * @example
 * if (!user) throw new NonRetryableError(`no user ${userId}`);
 */
export class NonRetryableError extends ConvexError<NonRetryableData> {
  constructor(message: string, options?: ErrorOptions) {
    super({ [NON_RETRYABLE_MARKER]: true, message });
    this.name = new.target.name;
    // ConvexError's message is its data as JSON; the message reads better
    // in logs and stack traces. A failed job reports `data.message` either way.
    this.message = message;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Whether `value` carries a non-retryable marker, of either shape. */
function hasMarker(value: unknown): value is { message?: unknown } {
  if (typeof value !== "object" || value === null) return false;
  const fields = value as Record<string, unknown>;
  return (
    fields[NON_RETRYABLE_MARKER] === true ||
    (fields.kind === LEGACY_NON_RETRYABLE_KIND && typeof fields.message === "string")
  );
}

/**
 * The message a non-retryable error carries, or undefined if `error` is not
 * one (or carries no message). A ConvexError is one when its data has the
 * marker and a string message; any other object when it has the marker.
 */
function nonRetryableMessage(error: unknown): string | undefined {
  const carrier: unknown = error instanceof ConvexError ? error.data : error;
  if (!hasMarker(carrier)) return undefined;
  return typeof carrier.message === "string" ? carrier.message : undefined;
}

/**
 * Whether `error` is a NonRetryableError: an instance, a ConvexError whose
 * data has the marker and a message (so also after a function boundary), or
 * any object with the marker, as the published package accepts.
 */
export function isNonRetryableError(error: unknown): boolean {
  if (error instanceof NonRetryableError) return true;
  if (error instanceof ConvexError) return nonRetryableMessage(error) !== undefined;
  return hasMarker(error);
}

/** `String(value)`, or a description if the value refuses to become text. */
function asText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The `error` text of a failed job that threw `error`, as the published
 * package writes it: a non-retryable error's message; else an Error's
 * `message` (for a ConvexError, the text Convex built from its data: the
 * string itself, or the data as JSON); else `String(error)`.
 */
export function errorMessage(error: unknown): string {
  return nonRetryableMessage(error) ?? (error instanceof Error ? error.message : asText(error));
}

/**
 * The `errorData` of a failed job that threw `error`: a ConvexError's data
 * (null if it has none), or undefined for any other throw.
 */
export function errorDataOf(error: unknown): Value | undefined {
  return error instanceof ConvexError ? ((error.data as Value | undefined) ?? null) : undefined;
}
