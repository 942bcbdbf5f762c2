// A job's status as the API reports it (DESIGN §5), derived from its row.
import type { ResultKind, Status } from "../validators.js";

/** The fields of a `work` row that status depends on. */
export type StatusSource = {
  state: "pending" | "running" | "finished";
  attempts: number;
  outcome?: ResultKind;
  error?: string;
  errorData?: Extract<Status, { state: "finished" }>["errorData"];
  finishedAt?: number;
  expiresAt?: number;
  onCompleteError?: string;
};

/**
 * `null` (never enqueued, or deleted after its retention) is plain
 * `finished`, as in the published package. A finished row past its expiry
 * is reported the same way even before the sweep deletes it.
 */
export function statusOf(row: StatusSource | null, nowMs: number): Status {
  if (row === null) return { state: "finished" };
  if (row.state !== "finished") {
    return { state: row.state, previousAttempts: row.attempts };
  }
  if (
    row.outcome === undefined ||
    (row.expiresAt !== undefined && row.expiresAt <= nowMs)
  ) {
    return { state: "finished" };
  }
  return {
    state: "finished",
    outcome: row.outcome,
    attempts: row.attempts,
    ...(row.finishedAt !== undefined ? { finishedAt: row.finishedAt } : {}),
    ...(row.error !== undefined ? { error: row.error } : {}),
    ...(row.errorData !== undefined ? { errorData: row.errorData } : {}),
    ...(row.onCompleteError !== undefined ? { onCompleteError: row.onCompleteError } : {}),
  };
}
