// Budget (budget.ts): room is what the transaction has used since the budget
// opened, against the budget's cap and against what Convex still allows.
import type { TransactionMetrics } from "convex/server";
import { describe, expect, test } from "vitest";
import { Budget } from "./budget.js";

const MIB = 1 << 20;
const LIMIT = 16 * MIB;

/** A transaction whose usage a test sets by hand. */
function fakeMeta(used: { read: number; written: number }) {
  const metric = (n: number) => ({ used: n, remaining: LIMIT - n });
  const zero = metric(0);
  return {
    used,
    getTransactionMetrics: () =>
      Promise.resolve({
        bytesRead: metric(used.read),
        bytesWritten: metric(used.written),
        databaseQueries: zero,
        documentsRead: zero,
        documentsWritten: zero,
        functionsScheduled: zero,
        scheduledFunctionArgsBytes: zero,
      } as unknown as TransactionMetrics),
  };
}

describe("Budget", () => {
  test("counts from when it opened: what a caller read before does not use up the cap", async () => {
    const meta = fakeMeta({ read: 5 * MIB, written: 0 });
    const budget = await Budget.open(meta, { read: 6 * MIB, written: 6 * MIB });
    expect(await budget.allows({ read: 6 * MIB })).toBe(true);
    meta.used.read += 2 * MIB;
    expect(await budget.allows({ read: 4 * MIB })).toBe(true);
    expect(await budget.allows({ read: 4 * MIB + 1 })).toBe(false);
  });

  test("never allows more than the transaction has left, whatever the cap", async () => {
    const meta = fakeMeta({ read: 15 * MIB, written: 0 });
    const budget = await Budget.open(meta, { read: 6 * MIB, written: 6 * MIB });
    expect(await budget.allows({ read: MIB })).toBe(true);
    expect(await budget.allows({ read: MIB + 1 })).toBe(false);
  });

  test("checks writes as well as reads", async () => {
    const meta = fakeMeta({ read: 0, written: 0 });
    const budget = await Budget.open(meta, { read: 6 * MIB, written: 2 * MIB });
    meta.used.written += 2 * MIB - 10;
    expect(await budget.allows({ read: MIB, written: 10 })).toBe(true);
    expect(await budget.allows({ read: MIB, written: 11 })).toBe(false);
  });
});
