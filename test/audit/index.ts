// The conflict audit (DESIGN §8 invariant 14, §11; docs/conflict-audit.md):
// record each component transaction's read and write sets under convex-test,
// then report which pairs would conflict on a real deployment had they
// overlapped, and which documents many transactions or several kinds write.
//
//   const audit = attachConflictAudit(t);            // any convex-test backend
//   ...run a workload...
//   const report = conflictReport(audit.transactions, { jobs, kindOf });
//   console.log(formatConflictReport(report));
//   audit.detach();
export { attachConflictAudit, type AuditOptions, type ConflictAudit, type TestBackend } from "./recorder.js";
export {
  DEFAULT_WINDOW,
  conflictReport,
  conflictsPerJob,
  formatConflictReport,
  insertsInto,
  kindByEntry,
  kindsByFunction,
  pairsPerJob,
  overlaps,
  reasonOf,
  type ConflictReport,
  type DocWrite,
  type KindOf,
  type KindPair,
  type Overlap,
  type PairCell,
  type ReadRange,
  type RecordedTransaction,
  type ReportOptions,
  type Window,
} from "./conflicts.js";
export { OUR_KIND_TABLE, PUBLISHED_050_KIND_TABLE, SERIAL_KINDS, kindsUnder } from "./kinds.js";
