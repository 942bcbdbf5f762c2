// Byte budgets of the engine's transactions (DESIGN invariant 13). Convex
// allows a transaction 16 MiB read and 16 MiB written, and counts every
// read of a document, including the read a patch, replace or delete makes
// of the document it changes. A job can carry about 2 MiB (args and
// context, in payload rows) and a `work` row up to WORK_ROW_MAX_BYTES, so a
// step that handles many jobs asks, before each one, whether the
// transaction still has room for it at its largest, and leaves the rest to
// a later transaction when it has not. The room is measured, not estimated:
// `ctx.meta.getTransactionMetrics()` (convex 1.48) counts what the
// transaction really read and wrote, the caller's share included when the
// step runs inside a caller's transaction.
import type { TransactionMetrics } from "convex/server";

type Meta = { getTransactionMetrics(): Promise<TransactionMetrics> };
export type Bytes = { read?: number; written?: number };

/** What a step may still read and write, from when it was opened. */
export class Budget {
  private constructor(
    private meta: Meta,
    private cap: Required<Bytes>,
    private start: Required<Bytes>,
  ) {}

  /** A budget of `cap` bytes read and written, counted from now. */
  static async open(meta: Meta, cap: Required<Bytes>): Promise<Budget> {
    const now = await meta.getTransactionMetrics();
    return new Budget(meta, cap, { read: now.bytesRead.used, written: now.bytesWritten.used });
  }

  /**
   * Whether `need` more bytes fit: within this budget, and within what the
   * transaction has left (less than the budget when a caller used some).
   */
  async allows(need: Bytes): Promise<boolean> {
    const now = await this.meta.getTransactionMetrics();
    const read = need.read ?? 0;
    const written = need.written ?? 0;
    return (
      now.bytesRead.used - this.start.read + read <= this.cap.read &&
      read <= now.bytesRead.remaining &&
      now.bytesWritten.used - this.start.written + written <= this.cap.written &&
      written <= now.bytesWritten.remaining
    );
  }
}
