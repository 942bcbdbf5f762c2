// Errors the component throws and recognises. An expected failure the caller
// can act on is a ConvexError with a stable `code` (listed in the README); a
// broken invariant is our bug and throws a plain Error.
import { ConvexError } from "convex/values";

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

const NON_RETRYABLE = "WorkpoolNonRetryable";

type NonRetryableData = { kind: typeof NON_RETRYABLE; message: string };

/**
 * Throw this from a job to fail it at once, whatever its retry policy. It is
 * a ConvexError, so its marker survives crossing a function boundary: thrown
 * in a nested `ctx.runMutation` or `ctx.runQuery` and rethrown, it is still
 * recognised.
 */
export class NonRetryableError extends ConvexError<NonRetryableData> {
  constructor(message: string) {
    super({ kind: NON_RETRYABLE, message });
    this.name = "NonRetryableError";
    this.message = message;
  }
}

function nonRetryableData(error: unknown): NonRetryableData | null {
  if (!(error instanceof ConvexError)) return null;
  const data: unknown = error.data;
  if (
    typeof data === "object" &&
    data !== null &&
    (data as { kind?: unknown }).kind === NON_RETRYABLE &&
    typeof (data as { message?: unknown }).message === "string"
  ) {
    return data as NonRetryableData;
  }
  return null;
}

/** Whether `error` is a NonRetryableError, also after a function boundary. */
export function isNonRetryableError(error: unknown): boolean {
  return nonRetryableData(error) !== null;
}

/** The message a failed job reports for `error`. */
export function errorMessage(error: unknown): string {
  const nonRetryable = nonRetryableData(error);
  if (nonRetryable) return nonRetryable.message;
  if (error instanceof ConvexError) {
    const data: unknown = error.data;
    if (typeof data === "string") return data;
    if (
      typeof data === "object" &&
      data !== null &&
      typeof (data as { message?: unknown }).message === "string"
    ) {
      return (data as { message: string }).message;
    }
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
