// Named limits and defaults, in one place. No Convex imports: the client and
// the pure core use these too.

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const KIB = 1024;
export const MIB = 1024 * KIB;

/** Used when neither the client nor the stored config sets a cap. */
export const DEFAULT_MAX_PARALLELISM = 10;
/** The largest cap accepted; Convex plans allow at most a few hundred. */
export const MAX_PARALLELISM_LIMIT = 200;
/** Above this the client warns: most plans run fewer functions at once. */
export const MAX_PARALLELISM_WARN_ABOVE = 100;
/** The seeds' default retention of a finished job's outcome. */
export const DEFAULT_STATUS_TTL_MS = DAY;
/** Longest idempotencyKey accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** Longest serialization `key` accepted, in characters. */
export const MAX_KEY_LENGTH = 256;
/**
 * Bounded starvation of lower priorities: while a priority has a due job,
 * other priorities take at most this many starts in a row before it gets
 * one (ten when both other priorities are owed one at once). So every
 * priority with due work gets at least one start in 11.
 */
export const PRIORITY_MAX_PASSES = 9;

/** Convex's limit on one document. */
export const CONVEX_DOCUMENT_MAX_BYTES = MIB;
/** Room left for the other fields of the row that holds a value. */
export const DOCUMENT_OVERHEAD_BYTES = 4 * KIB;
/**
 * Args and context are each held to this, so that the row holding one (the
 * work row or a payload row) stays within Convex's document limit.
 */
export const MAX_VALUE_BYTES = CONVEX_DOCUMENT_MAX_BYTES - DOCUMENT_OVERHEAD_BYTES;
/**
 * Args or context larger than this live in a `payload` row, so that a
 * job's `work` row stays within WORK_ROW_MAX_BYTES: the loop scans those
 * rows, cancelAll walks them and statusBatch reads 1,000 of them in one
 * transaction.
 */
export const INLINE_VALUE_MAX_BYTES = 2 * KIB;
/**
 * A failed job's error text, as kept in its row (`status`'s `error` and
 * `onCompleteError`, the `lastError` of a job backing off) and in log
 * events, is cut to this many UTF-8 bytes; onComplete gets the whole text.
 * Small enough that 1,000 finished rows fit in one statusBatch read
 * (WORK_ROW_MAX_BYTES). (Convex itself cuts error messages at 64 KiB, and a
 * ConvexError's message built from object data at 16 KiB; under
 * convex-test nothing does.)
 */
export const KEPT_ERROR_MAX_BYTES = 3 * KIB;
/**
 * A failed job's `errorData` (the thrown ConvexError's data) is kept in its
 * row, and so returned by `status`, only up to this size; larger data goes
 * to onComplete alone. Keeps finished rows small for the reads of the sweep
 * and of `statusBatch`.
 */
export const KEPT_ERROR_DATA_MAX_BYTES = 2 * KIB;
/** A job's name (a label for logs and events) is kept cut to this many UTF-8 bytes. */
export const KEPT_NAME_MAX_BYTES = 256;
/** The longest function handle accepted, in bytes; Convex's own are far shorter. */
export const FUNCTION_HANDLE_MAX_BYTES = KIB;
/**
 * Room in a `work` row for everything but its values and error text: two
 * function handles (the job's and onComplete's), the kept name, an
 * idempotency key and a key (256 characters, so at most 768 bytes, each),
 * ids, numbers and the field names.
 */
export const WORK_ROW_FIXED_MAX_BYTES =
  2 * FUNCTION_HANDLE_MAX_BYTES + KEPT_NAME_MAX_BYTES + 3 * (MAX_IDEMPOTENCY_KEY_LENGTH + MAX_KEY_LENGTH) + KIB;
/**
 * The largest a `work` row grows (test/byte-budgets.test.ts builds one):
 * pending, it holds its inline args and context and, backing off, the last
 * error; finished, its error text, errorData and, while onComplete is still
 * to run, its context (and a delivery's kept result, inline only up to
 * INLINE_VALUE_MAX_BYTES, when the error text and errorData are cut from
 * it, so no longer than it), or after it, onCompleteError.
 */
export const WORK_ROW_MAX_BYTES =
  WORK_ROW_FIXED_MAX_BYTES +
  Math.max(
    2 * INLINE_VALUE_MAX_BYTES + KEPT_ERROR_MAX_BYTES,
    INLINE_VALUE_MAX_BYTES + KEPT_ERROR_MAX_BYTES + KEPT_ERROR_DATA_MAX_BYTES,
    2 * KEPT_ERROR_MAX_BYTES + KEPT_ERROR_DATA_MAX_BYTES,
  );
/** A document id as Convex stores it, at most (ids are 32 characters). */
export const ID_MAX_BYTES = 40;
/** A payload row: a value of MAX_VALUE_BYTES and the row's own fields. */
export const PAYLOAD_ROW_MAX_BYTES = CONVEX_DOCUMENT_MAX_BYTES;

/** Jobs started per loop iteration at most (bounds reads and schedules). */
export const START_BATCH = 128;
/** pendingCompletion rows consumed per loop iteration at most. */
export const COMPLETION_BATCH = 64;
/** pendingCancelation rows applied per loop iteration at most. */
export const CANCEL_BATCH = 64;
/** Attempts with a lost worker settled per loop iteration at most. */
export const RECOVERY_BATCH = 32;
/** Expired finished rows deleted per loop iteration at most. */
export const SWEEP_BATCH = 64;
/**
 * Queued work rows the loop examines per iteration at most, started or not
 * (canceled ones are skipped). Their bytes are bounded by LOOP_BYTES_BUDGET.
 */
export const START_SCAN_LIMIT = 256;
/** Queue rows the periodic report counts at most (×100 ids per row). */
export const REPORT_BACKLOG_SCAN_ROWS = 100;
/** Priority queues the loop reads (high, normal, low). */
export const PRIORITY_QUEUES = 3;
/**
 * Queue rows (inbox or startQueue) the loop uses up per iteration at most,
 * over all priorities. A retry, or a job released by its key, has a row of
 * its own: with many of them, this is what limits the starts of one
 * iteration.
 */
export const PENDING_START_ROWS_PER_ITERATION = 64;
/**
 * Inbox rows the loop reads per iteration at most, to sort them by priority
 * and due time (moving those not yet due to startQueue). An inbox longer
 * than this is moved to startQueue a window at a time, with no starts until
 * the rest fits, so that the due order stays exact: writers would have to
 * queue this many rows between two iterations to hold starts back. Rows
 * hold ids only (a few KiB at most), and a move is one insert and one
 * delete, so 256 keeps an iteration far below Convex's limits.
 */
export const INBOX_ROWS_PER_ITERATION = 256;
/**
 * With no slot free, the loop moves the inbox to startQueue once it holds
 * more rows than this (a full or paused pool that keeps getting jobs), so
 * the inbox, whose tallies `stats` reads, stays well within
 * STATS_INBOX_READ_LIMIT; a short inbox stays where it is for a slot.
 */
export const INBOX_PARK_AFTER_ROWS = 64;
/** Work ids per pendingStart row written by one enqueue. */
export const PENDING_START_CHUNK = 100;
/**
 * Action jobs started together share one worker action, up to this many.
 * Fewer worker runs per job; a crash of one worker affects at most this many
 * jobs, and recovery completes them.
 */
export const ACTION_GROUP_SIZE = 50;
/**
 * ... and up to this many bytes of args and context (a job larger than this
 * gets a worker of its own). The worker holds its jobs' args in memory
 * (Convex gives an action 64 MiB) and its reports load their contexts for
 * onComplete, so a group of the largest jobs (about 2 MiB each) is two.
 */
export const ACTION_GROUP_MAX_BYTES = 4 * MIB;
/** A job as the loop hands it to a worker: its handle, name, inline args, id and attempt. */
export const JOB_TO_RUN_MAX_BYTES = FUNCTION_HANDLE_MAX_BYTES + KEPT_NAME_MAX_BYTES + INLINE_VALUE_MAX_BYTES + 256;
/**
 * One worker call's args at most (ACTION_GROUP_SIZE jobs). Recovery reads
 * the call's record, args included, to see whether the worker is gone.
 */
export const WORKER_CALL_MAX_ARGS_BYTES = ACTION_GROUP_SIZE * JOB_TO_RUN_MAX_BYTES;
/**
 * onCompletes of jobs the loop ended (canceled while pending, recovered) run
 * in `finalize` mutations of at most this many, so that slow or large
 * callbacks share a transaction with few others.
 */
export const FINALIZE_BATCH = 16;
/**
 * A `finalize` starts another onComplete only while its transaction has
 * this much left to read and to write (the context it loads, what the
 * callback reads and writes, e.g. storing that context); the rest go to a
 * `finalize` of their own.
 */
export const FINALIZE_ROOM_BYTES = 2 * MIB + WORK_ROW_MAX_BYTES;
/**
 * What a `finalize` reads and writes before it leaves the rest of its jobs
 * to another: half of Convex's 16 MiB, so that the callbacks of a batch of
 * the largest contexts never meet the limit, and one that reads or writes a
 * few MiB of its own still fits.
 */
export const FINALIZE_BYTES_BUDGET = 8 * MIB;
/**
 * Payload rows the engine no longer needs are deleted by `payload:discard`
 * calls of at most this many ids (a few KiB of args), scheduled by the
 * transaction that dropped them: a `db.delete` reads the whole row, so no
 * transaction that finishes, cancels or sweeps jobs pays for it.
 */
export const DISCARD_BATCH = 256;
/**
 * ... and each reads at most this many bytes (the rest in a call of its
 * own): checking and deleting a payload reads it twice, so at least four of
 * the largest go per call.
 */
export const DISCARD_BYTES_BUDGET = 8 * MIB;
/**
 * The recovery check looks at a callbackPending row's `finalize` call this
 * long after it was scheduled (and again this often while Convex still
 * holds it): a call that failed or vanished is run again.
 */
export const FINALIZE_RETRY_AFTER_MS = MINUTE;
/**
 * After this many `finalize` runs that failed (their transaction, not the
 * onComplete inside it, which is caught), finish the job without its
 * onComplete: a failure that repeats a minute apart is taken as
 * deterministic (an onComplete that outgrows a transaction).
 */
export const FINALIZE_MAX_ATTEMPTS = 3;
/** Results a worker action reports in one completion mutation at most. */
export const REPORT_FLUSH_ITEMS = 64;
/** Bytes of return values a worker reports in one mutation at most. */
export const REPORT_FLUSH_BYTES = 4 * MIB;
/**
 * After a report fails (Convex has already retried its conflicts four
 * times), the worker reports each of its results alone this many more times
 * before it hands the result to a scheduled delivery.
 */
export const REPORT_DIRECT_RETRIES = 3;
/**
 * A worker's wait before its first retry of a report (or of scheduling a
 * delivery), doubling with each retry, jittered like job retries: the three
 * direct retries span about 1.75 s.
 */
export const REPORT_RETRY_INITIAL_MS = 250;
/** The longest wait between a worker's tries of scheduling a delivery. */
export const REPORT_RETRY_MAX_MS = 10 * SECOND;
/**
 * A worker that could not schedule a delivery for this long (an outage of
 * the deployment) gives up on that result and ends with an error, so that
 * the recovery check fails the attempts it still holds. Within Convex's
 * 10-minute action limit, with room for the jobs' own run time.
 */
export const REPORT_GIVE_UP_MS = 5 * MINUTE;
/**
 * A worker that ended without error has reported each result or handed it
 * to a scheduled delivery, which Convex may hold for a long time (a call
 * that hits a system error is retried with backoff of up to 2 hours). The
 * recovery check waits this long after the attempt started before it
 * fails such an attempt: three of Convex's longest backoffs.
 */
export const DELIVERY_WAIT_MS = 6 * HOUR;
/**
 * Largest result a scheduled delivery carries: it stores the result for
 * onComplete in its transaction (16 MiB of writes), in payload rows of
 * DELIVERY_CHUNK_BYTES. A larger return value whose report failed is
 * delivered as a failure that says so.
 */
export const DELIVERY_MAX_RESULT_BYTES = 8 * MIB;
/** A stored result is split into payload rows of at most this many bytes. */
export const DELIVERY_CHUNK_BYTES = MAX_VALUE_BYTES;

/**
 * While jobs run, the loop checks them against the scheduler this often, so
 * that a worker that died is noticed (DESIGN §7, recovery).
 */
export const RECOVERY_INTERVAL_MS = MINUTE;
/**
 * A loop that has not run this long after something fell due has stopped
 * (its call failed, or Convex holds it); the watchdog kicks it again.
 */
export const LOOP_STALL_MS = MINUTE;
/** An idle pool holding retained outcomes runs its loop to delete them at most this often. */
export const SWEEP_MIN_INTERVAL_MS = MINUTE;
/** How often the loop logs its `report` event while it runs. */
export const REPORT_INTERVAL_MS = MINUTE;

/** cancelAll's default page size (the published default). */
export const CANCEL_ALL_DEFAULT_LIMIT = 64;
/**
 * cancelAll's largest page. Each job in a page costs its row read twice
 * (the walk, and the write of its flag), the row written and one insert,
 * so a page of 1,000 small rows is far below Convex's limits; a page also
 * stops at CANCEL_ALL_PAGE_BYTES_BUDGET, so pages of large rows are
 * shorter (and more of them).
 */
export const CANCEL_ALL_MAX_LIMIT = 1000;
/**
 * Bytes one cancelAll page reads and writes at most. The first page runs
 * in the caller's transaction, so it also leaves the caller's own
 * remaining room alone beyond this.
 */
export const CANCEL_ALL_PAGE_BYTES_BUDGET = 6 * MIB;
/**
 * `statusBatch` answers at most this many ids per component call (the
 * client splits longer lists): 1,000 rows of WORK_ROW_MAX_BYTES are less
 * than 13 MiB, within Convex's 16 MiB read limit whatever the jobs carry.
 */
export const STATUS_BATCH_MAX_IDS = 1000;
/** The client splits a batch into component calls of at most this many jobs. */
export const CLIENT_BATCH_MAX_ITEMS = 1000;
/** ... and at most this many bytes of arguments. */
export const CLIENT_BATCH_MAX_BYTES = 8 * MIB;
/** Jitter multiplies each backoff by a factor in [0.5, 1.5). */
export const JITTER_MIN = 0.5;
export const JITTER_SPAN = 1;

/** Delayed jobs are counted by the second they become due. */
export const DELAYED_COUNT_RESOLUTION_MS = SECOND;
/** delayedCount rows the loop folds per iteration at most. */
export const DELAYED_FOLD_BATCH = 32;
/**
 * The loop's timer runs it to fold due delayedCount rows at most this
 * often when nothing else runs it (a full or paused pool). Each enqueue call inserts
 * its own row per second, so the rows left to fold are those of the enqueue
 * calls of about 5 seconds; past STATS_UNFOLDED_READ_LIMIT of them, `stats`
 * counts the rest as delayed a few seconds longer.
 */
export const DELAYED_FOLD_MIN_INTERVAL_MS = 5 * SECOND;
/** Due-but-unfolded delayedCount rows `stats` reads at most. */
export const STATS_UNFOLDED_READ_LIMIT = 4 * DELAYED_FOLD_BATCH;
/**
 * Inbox rows `stats` reads for the tallies the loop has not counted yet
 * (and completion rows, for the outcomes). The loop takes in up to
 * INBOX_ROWS_PER_ITERATION rows each time it runs, and every enqueue kicks
 * it (in a full pool, completions do, and it moves a long inbox aside), so
 * more are left only while it catches up with a flood of single enqueues;
 * `stats` is then a lower bound.
 */
export const STATS_INBOX_READ_LIMIT = 2 * INBOX_ROWS_PER_ITERATION;
/** `stats.lastMinute` sums outcome buckets of this length. */
export const STATS_MINUTE_BUCKET_MS = 10 * SECOND;
/** `stats.lastHour` sums outcome buckets of this length. */
export const STATS_HOUR_BUCKET_MS = MINUTE;

/**
 * Singleton reads per iteration: the kick's row, the slots flag, config,
 * poolState, the cancelAll barrier, watchdog (and its record), whether a
 * callback is pending, its timer's record.
 */
const LOOP_SINGLETON_READS = 9;
/**
 * Empty reads past the snapshot in a writers' queue when the slots flag
 * changes (loop.ts#markSlots): the completions or the inbox.
 */
const LOOP_GUARD_READS = 1;
// Convex reads a document again to write it: a patch, replace or delete
// counts one document read (and its bytes) on top of whatever read found it.
/**
 * Per cancel (a request, or a job under a cancelAll): the request and its
 * delete, the job, its write and the write of its finalize call, its key's
 * next job, its delayed count and its write. Payload rows are not read:
 * `payload:discard` deletes them.
 */
const CANCEL_READS = 8;
/** ... and writes: request deleted, job written twice, key's next job queued, delayed count. */
const CANCEL_WRITES = 5;
/** Per lost attempt looked at by recovery: its job, its write and the write of its finalize call, its key's next job. */
const RECOVERY_READS = 4;
/** ... and writes: the job twice, and the retry's or the key's next job's queue row. */
const RECOVERY_WRITES = 3;

/**
 * Upper bound on the documents one loop iteration reads, step by step (see
 * the loop's steps in loop.ts). Far below Convex's 32,000 per transaction
 * (test/backlog.test.ts measures iterations against it).
 */
export const LOOP_MAX_DOCUMENTS_READ =
  LOOP_SINGLETON_READS +
  2 * COMPLETION_BATCH + // read and deleted
  CANCEL_READS * CANCEL_BATCH + // cancel requests and cancels under a cancelAll share the batch
  MAX_PARALLELISM_LIMIT + // recovery: each running attempt's worker record
  RECOVERY_READS * RECOVERY_BATCH +
  3 * FINALIZE_BATCH + // onCompletes to retry, read, their finalize calls' records, and written
  START_SCAN_LIMIT + START_BATCH + // queued jobs examined, and those started written
  2 * INBOX_ROWS_PER_ITERATION + 1 + // inbox rows read, and those moved deleted
  2 * (PENDING_START_ROWS_PER_ITERATION + 2 * PRIORITY_QUEUES) + 2 + // startQueue rows used up or left in part, heads, and the next one due
  2 * SWEEP_BATCH + 1 + // expired rows read and deleted, and the next expiry
  2 * DELAYED_FOLD_BATCH + 2 + // delayed counts folded, and the next fold time (a startQueue row)
  2 * (REPORT_BACKLOG_SCAN_ROWS + 1) +
  2; // poolState and the slots flag written
/** ... and writes. Far below Convex's 16,000 per transaction. */
export const LOOP_MAX_DOCUMENTS_WRITTEN =
  COMPLETION_BATCH +
  CANCEL_WRITES * CANCEL_BATCH +
  RECOVERY_WRITES * RECOVERY_BATCH +
  FINALIZE_BATCH + // onCompletes to retry
  START_BATCH + // jobs marked running
  2 * INBOX_ROWS_PER_ITERATION + // inbox rows moved to startQueue (an insert and a delete each)
  PENDING_START_ROWS_PER_ITERATION + 2 * PRIORITY_QUEUES + // queue rows used up, rows left in part
  SWEEP_BATCH +
  DELAYED_FOLD_BATCH +
  3; // poolState, the slots flag, watchdog
/**
 * ... and index ranges read. Convex counts one for each query and one for
 * each single-document read (`db.get`), so per cancel or recovered attempt
 * it is the documents read one by one; whole pages (completions, sweep,
 * folds, the backlog count) are one range each. About a quarter of Convex's
 * 4,096 in the worst case of every step at once; a typical iteration uses a
 * few dozen.
 */
export const LOOP_MAX_QUERIES =
  LOOP_SINGLETON_READS +
  1 + // completions
  1 + 4 * CANCEL_BATCH + // the requests, then each cancel's job, key and delayed count
  MAX_PARALLELISM_LIMIT + // worker records
  2 * RECOVERY_BATCH + // each lost attempt's job and key
  1 + FINALIZE_BATCH + // onCompletes to retry, then each one's finalize call
  1 + 1 + PRIORITY_QUEUES + START_SCAN_LIMIT + // the inbox, startQueue's earliest row and each priority's, then each job examined
  1 + 1 + // expired rows, the next expiry
  2 + // delayed counts, and the next fold time (startQueue)
  2 + // the backlog count (startQueue and the inbox)
  1 + // the next job due
  LOOP_GUARD_READS;

/**
 * Bytes the loop's job steps (cancels, recovery, starts, the sweep) read,
 * and write, in one iteration at most. Before each job a step asks the
 * transaction's metrics (`ctx.meta.getTransactionMetrics()`, budget.ts)
 * for room for that job at its largest, and stops short of this, leaving
 * the rest to the next iteration, at once. A full batch of ordinary jobs
 * fits many times over; of the largest rows, dozens per step.
 */
export const LOOP_BYTES_BUDGET = 6 * MIB;
/**
 * The room a job step asks for before its largest job: a recovered
 * attempt's worker record, and its row read four times (found, written,
 * its key's next job, its finalize call recorded).
 */
export const LOOP_JOB_MAX_BYTES = WORKER_CALL_MAX_ARGS_BYTES + 4 * WORK_ROW_MAX_BYTES;
/** A queue row (pendingStart, startQueue): PENDING_START_CHUNK ids and its own fields. */
const QUEUE_ROW_MAX_BYTES = PENDING_START_CHUNK * ID_MAX_BYTES + 256;
/** A pendingCompletion row: a report's items (an id and an attempt each) and counts. */
const COMPLETION_ROW_MAX_BYTES = REPORT_FLUSH_ITEMS * (ID_MAX_BYTES + 32) + 256;
/** poolState: the running set (an entry per slot) and the stats buckets. */
const POOL_STATE_MAX_BYTES = MAX_PARALLELISM_LIMIT * 4 * ID_MAX_BYTES + 16 * KIB;
/** The loop's other small reads: singletons, cancel requests, delayed counts, the watchdog's record. */
const LOOP_SMALL_READS_BYTES = 64 * KIB;
/**
 * Upper bound on the bytes one loop iteration reads: its job steps'
 * budget and the largest job's room, and the pages it reads whole, each at
 * its largest (queue rows of 100 ids, completions of a report's items,
 * poolState, the onCompletes to retry). Below Convex's 16 MiB
 * (test/byte-budgets.test.ts measures iterations against it).
 */
export const LOOP_MAX_BYTES_READ =
  LOOP_BYTES_BUDGET +
  LOOP_JOB_MAX_BYTES +
  2 * POOL_STATE_MAX_BYTES + // read and replaced
  2 * COMPLETION_BATCH * COMPLETION_ROW_MAX_BYTES + // read and deleted
  (2 * INBOX_ROWS_PER_ITERATION + 1) * QUEUE_ROW_MAX_BYTES + // inbox rows read, and those moved deleted
  (4 * PRIORITY_QUEUES + 2) * QUEUE_ROW_MAX_BYTES + // startQueue heads, rows left in part, the next one due
  2 * (REPORT_BACKLOG_SCAN_ROWS + 1) * QUEUE_ROW_MAX_BYTES +
  (2 + 2 * FINALIZE_BATCH) * WORK_ROW_MAX_BYTES + // the next expiry, a pending callback, onCompletes to retry
  LOOP_SMALL_READS_BYTES;
/** ... and writes (inbox rows moved to startQueue, poolState, the onCompletes to retry). */
export const LOOP_MAX_BYTES_WRITTEN =
  LOOP_BYTES_BUDGET +
  WORK_ROW_MAX_BYTES + QUEUE_ROW_MAX_BYTES + // the largest job's room
  POOL_STATE_MAX_BYTES +
  (INBOX_ROWS_PER_ITERATION + 2 * PRIORITY_QUEUES) * QUEUE_ROW_MAX_BYTES +
  FINALIZE_BATCH * WORK_ROW_MAX_BYTES +
  LOOP_SMALL_READS_BYTES;
/**
 * ... and the args of the functions it schedules: the jobs it starts, the
 * ids of onCompletes to run and of payloads to discard, itself.
 */
export const LOOP_MAX_SCHEDULED_ARGS_BYTES =
  START_BATCH * JOB_TO_RUN_MAX_BYTES + (3 * (CANCEL_BATCH + RECOVERY_BATCH) + SWEEP_BATCH) * ID_MAX_BYTES + KIB;
