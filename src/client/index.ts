// The Workpool client: shapes arguments and calls the component. It holds no
// policy of its own beyond resolving options (retry, timing) and checking
// them before anything is written.
import {
  createFunctionHandle,
  getFunctionAddress,
  getFunctionName,
  internalMutationGeneric,
  type DefaultFunctionArgs,
  type FunctionHandle,
  type FunctionReference,
  type FunctionType,
  type FunctionVisibility,
  type GenericActionCtx,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  type RegisteredMutation,
} from "convex/server";
import {
  getConvexSize,
  v,
  type Infer,
  type Validator,
  type Value,
  type VAny,
  type VString,
} from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import {
  CLIENT_BATCH_MAX_BYTES,
  CLIENT_BATCH_MAX_ITEMS,
  STATUS_BATCH_MAX_IDS,
  DEFAULT_STATUS_TTL_MS,
} from "../component/constants.js";
import { resolveRetryBehavior } from "../component/core/retry.js";
import {
  DEFAULT_RETRY_BEHAVIOR,
  vResult,
  vRunResult,
  type EnqueueItem,
  type LogLevel,
  type PoolStats,
  type Priority,
  type RetryBehavior,
  type RunResult,
  type Status,
} from "../component/validators.js";
import {
  checkEnqueueOptions,
  checkFunctionArg,
  checkIdempotencyKeys,
  checkSerializationKeys,
  checkTimingOptions,
  checkValueSize,
  checkWorkpoolOptions,
  dueTime,
} from "./options.js";

export { NonRetryableError, isNonRetryableError } from "../component/errors.js";
export { ERROR_CODES, type ErrorCode } from "../component/errors.js";
export {
  vLogLevel,
  vRetryBehavior,
  vResult,
  vRunResult,
  DEFAULT_RETRY_BEHAVIOR,
  type LogLevel,
  type PoolStats,
  type Priority,
  type RetryBehavior,
  type RunResult,
  type Status,
};
export {
  /** @deprecated Use `vResult`. */
  vResult as resultValidator,
  vResult as vResultValidator,
};
import { vLogLevel, vRetryBehavior } from "../component/validators.js";

/** The id of an enqueued job. A string, branded so ids do not get mixed up. */
export type WorkId = string & { __isWorkId: true };
export const vWorkId = v.string() as VString<WorkId>;
export {
  vWorkId as vWorkIdValidator,
  /** @deprecated Use `vWorkId`. */
  vWorkId as workIdValidator,
};

/** The component's API, e.g. `components.workpool` from `_generated/api`. */
export type WorkpoolComponent = ComponentApi;

/** What `ctx` must offer to enqueue, cancel or read status. */
export type RunQueryCtx = Pick<GenericQueryCtx<GenericDataModel>, "runQuery">;
export type RunMutationCtx = Pick<
  GenericMutationCtx<GenericDataModel>,
  "runQuery" | "runMutation"
>;
export type RunActionCtx = Pick<
  GenericActionCtx<GenericDataModel>,
  "runQuery" | "runMutation" | "runAction"
>;

export type WorkpoolRetryOptions = {
  /**
   * Retry behavior used by `retry: true` and by `retryActionsByDefault`.
   * Setting it alone does not turn retries on.
   * @default DEFAULT_RETRY_BEHAVIOR ({ maxAttempts: 5, initialBackoffMs: 250, base: 2 })
   */
  defaultRetryBehavior?: RetryBehavior;
  /**
   * Retry failed actions unless enqueued with `retry: false`. Only enable
   * this if your actions are safe to run more than once.
   * @default false
   */
  retryActionsByDefault?: boolean;
};

export type WorkpoolOptions = {
  /**
   * Most jobs running at once in this pool: an integer 0–200 (above 100 logs
   * a warning). 0 pauses starting; running jobs still finish.
   * @default the value stored in the component, else 10
   */
  maxParallelism?: number;
  /**
   * How much to log: DEBUG < TRACE < INFO < REPORT < WARN < ERROR. INFO
   * adds an event per enqueue, start and completion; REPORT a summary
   * once a minute while the pool works.
   * @default the value stored in the component, else "REPORT"
   */
  logLevel?: LogLevel;
  /**
   * How long, in ms, a finished job's outcome stays readable through
   * `status`: >= 0, or Infinity to keep it. 0 forgets it at once.
   * @default 86_400_000 (24 hours)
   */
  statusTtl?: number;
} & WorkpoolRetryOptions;

export type RetryOption = {
  /**
   * `true`: the pool's `defaultRetryBehavior`; `false`: never retry; an
   * object: that behavior. Unset: retry only if `retryActionsByDefault`.
   */
  retry?: boolean | RetryBehavior;
};

export type OnCompleteArgs<Context = unknown, Returns = unknown> = {
  /** The job that ended. */
  workId: string;
  /** The `context` given at enqueue, unchanged. */
  context: Context;
  /** How it ended. */
  result: RunResult<Returns>;
};

export type EnqueueOptions<Context = unknown, ReturnValue = unknown> = {
  /** Label for logs and events. @default the function's name */
  name?: string;
  /**
   * A mutation called once when the job ends: success, final failure, or
   * cancel. Define it with `defineOnComplete` or `vOnCompleteArgs`.
   */
  onComplete?: FunctionReference<
    "mutation",
    FunctionVisibility,
    OnCompleteArgs<Context, ReturnValue>
  > | null;
  /** Result kinds for which onComplete is not called. @default [] */
  onCompleteExcludeKinds?: readonly RunResult["kind"][];
  /** Any Convex value, handed to onComplete unchanged (at most 1 MiB less 4 KiB). */
  context?: Context;
  /**
   * Makes the enqueue idempotent: if a job of this pool with this key is
   * pending, running, or finished within its `statusTtl`, its id is
   * returned and nothing new is enqueued. Checked in the caller's
   * transaction. A non-empty string of at most 256 characters.
   */
  idempotencyKey?: string;
  /**
   * Serializes jobs: those with the same key run one at a time, in enqueue
   * order (a job starts once every earlier job with its key has finished,
   * retries included), while jobs of other keys run beside them up to
   * maxParallelism. A waiting job holds no slot. A non-empty string of at
   * most 256 characters.
   */
  key?: string;
  /**
   * Among due jobs, "high" starts before "normal" before "low"; FIFO within
   * one. A priority with due work still gets at least one start in every
   * 11, so none starves. @default "normal"
   */
  priority?: Priority;
} & Timing;

/** At most one of the four timing options (the runtime rejects two as well). */
type Timing =
  | {
      /** Start no earlier than this epoch time in ms; the past means now. */
      runAt?: number;
      runAfter?: never;
      delayMs?: never;
      runAtTime?: never;
    }
  | {
      /** Start no earlier than this many ms from now. */
      runAfter?: number;
      runAt?: never;
      delayMs?: never;
      runAtTime?: never;
    }
  | {
      /** Start no earlier than this many ms from now (the seeds' name for runAfter). */
      delayMs?: number;
      runAt?: never;
      runAfter?: never;
      runAtTime?: never;
    }
  | {
      /** Start no earlier than this epoch time in ms (the seeds' name for runAt). */
      runAtTime?: number;
      runAt?: never;
      runAfter?: never;
      delayMs?: never;
    };

/**
 * Options of a batch enqueue: those of {@link EnqueueOptions}, for every
 * job, except that idempotency keys are given one per job.
 */
export type BatchEnqueueOptions<Context = unknown, ReturnValue = unknown> = EnqueueOptions<
  Context,
  ReturnValue
> & {
  /**
   * One key per element of `argsArray` (same length), each used as that
   * job's `idempotencyKey`. Repeated keys in one batch yield one job.
   */
  idempotencyKeys?: readonly string[];
  /** Not for batches: one key cannot name several jobs. Use idempotencyKeys. */
  idempotencyKey?: never;
  /**
   * One serialization key per element of `argsArray` (same length), each
   * used as that job's `key`. Give this or `key` (one key for all), not both.
   */
  keys?: readonly string[];
};

/** Settings the class passes to the free functions. */
type PoolSettings = {
  retryBehavior?: RetryBehavior;
  maxParallelism?: number;
  logLevel?: LogLevel;
  statusTtl?: number;
};

type Fn<T extends FunctionType, Args extends DefaultFunctionArgs, R> =
  | FunctionReference<T, FunctionVisibility, Args, R>
  | FunctionHandle<T, Args, R>;

/**
 * Args validator for an onComplete mutation: `{ workId, context, result }`,
 * with `context` and the success `returnValue` checked by the validators
 * given (default: any).
 */
export function vOnCompleteArgs<
  VContext extends Validator<any, "required", any> = VAny,
  VReturn extends Validator<any, "required", any> = VAny,
>(context?: VContext, returnValue?: VReturn) {
  return v.object({
    workId: vWorkId,
    context: (context ?? v.optional(v.any())) as VContext,
    result: vRunResult(returnValue ?? (v.optional(v.any()) as unknown as VReturn)),
  });
}
/** `vOnCompleteArgs()` with any context. */
export const vOnComplete = vOnCompleteArgs(v.any());
/** @deprecated Use `vOnCompleteArgs`. */
export const vOnCompleteValidator = vOnCompleteArgs;

export class Workpool {
  /**
   * A pool client. Each pool is a separate mount of the component in
   * convex.config.ts (`app.use(workpool, { name: "emailWorkpool" })`); two
   * Workpool objects on one mount share its queue and cap.
   *
   * @param component `components.<name>` from `./_generated/api`.
   * @param options see {@link WorkpoolOptions}; each is checked here and a
   *   bad one throws an Error naming it.
   * @example
   * const emailPool = new Workpool(components.emailWorkpool, { maxParallelism: 10 });
   */
  constructor(
    public component: WorkpoolComponent,
    public options: WorkpoolOptions = {},
  ) {
    checkWorkpoolOptions(options);
  }

  private settings(retry?: boolean | RetryBehavior): PoolSettings {
    return {
      retryBehavior: resolveRetryBehavior({ ...this.options, retry }),
      maxParallelism: this.options.maxParallelism,
      logLevel: this.options.logLevel,
      statusTtl: this.options.statusTtl ?? DEFAULT_STATUS_TTL_MS,
    };
  }

  /**
   * Enqueues an action. From a mutation the enqueue is part of its
   * transaction: if the mutation throws, nothing was enqueued.
   *
   * @param ctx a mutation or action ctx.
   * @param fn the action, e.g. `internal.emails.send`, or a function handle
   *   (from `createFunctionHandle`); anything else, such as its name as a
   *   string, throws an Error naming `fn`.
   * @param fnArgs its arguments (at most 1 MiB less 4 KiB).
   * @param options timing, onComplete, context, retry (see {@link EnqueueOptions}).
   * @returns the job's id. Throws before any write: an Error for invalid
   *   options, a ConvexError with code VALUE_TOO_LARGE for args or a context
   *   above the limit (the component throws the same).
   * @example
   * const id = await pool.enqueueAction(ctx, internal.emails.send, { to }, { retry: true });
   */
  async enqueueAction<Args extends DefaultFunctionArgs, Context, ReturnType>(
    ctx: RunMutationCtx | RunActionCtx,
    fn: Fn<"action", Args, NoInfer<ReturnType>>,
    fnArgs: Args,
    options?: RetryOption & EnqueueOptions<Context, ReturnType>,
  ): Promise<WorkId> {
    const { retry, ...rest } = options ?? {};
    checkEnqueueOptions((options ?? {}), "action");
    return enqueue(this.component, ctx, "action", fn, fnArgs, {
      ...this.settings(retry),
      ...rest,
    });
  }

  /**
   * Enqueues one action per element of `argsArray`, with one option set.
   * @returns ids in the order of `argsArray`; `[]` for an empty array.
   * @example
   * await pool.enqueueActionBatch(ctx, internal.scraper.fetchPage, [{ url: a }, { url: b }]);
   */
  async enqueueActionBatch<Args extends DefaultFunctionArgs, Context, ReturnType>(
    ctx: RunMutationCtx | RunActionCtx,
    fn: Fn<"action", Args, NoInfer<ReturnType>>,
    argsArray: Array<Args>,
    options?: RetryOption & BatchEnqueueOptions<Context, ReturnType>,
  ): Promise<WorkId[]> {
    const { retry, ...rest } = options ?? {};
    checkEnqueueOptions((options ?? {}), "action", argsArray.length);
    return enqueueBatch(this.component, ctx, "action", fn, argsArray, {
      ...this.settings(retry),
      ...rest,
    });
  }

  /**
   * Enqueues a mutation. It runs once, in a transaction of its own; if it
   * throws, its writes roll back and the job fails (no retry: Convex already
   * retries mutations on conflicts).
   * @example
   * await counterPool.enqueueMutation(ctx, internal.counters.increment, { key: "signups" });
   */
  async enqueueMutation<Args extends DefaultFunctionArgs, Context, ReturnType>(
    ctx: RunMutationCtx | RunActionCtx,
    fn: Fn<"mutation", Args, NoInfer<ReturnType>>,
    fnArgs: Args,
    options?: EnqueueOptions<Context, ReturnType>,
  ): Promise<WorkId> {
    checkEnqueueOptions((options ?? {}), "mutation");
    return enqueue(this.component, ctx, "mutation", fn, fnArgs, {
      ...this.settings(),
      ...options,
    });
  }

  /** Enqueues one mutation per element of `argsArray`. @returns ids in order. */
  async enqueueMutationBatch<Args extends DefaultFunctionArgs, Context, ReturnType>(
    ctx: RunMutationCtx | RunActionCtx,
    fn: Fn<"mutation", Args, NoInfer<ReturnType>>,
    argsArray: Array<Args>,
    options?: BatchEnqueueOptions<Context, ReturnType>,
  ): Promise<WorkId[]> {
    checkEnqueueOptions((options ?? {}), "mutation", argsArray.length);
    return enqueueBatch(this.component, ctx, "mutation", fn, argsArray, {
      ...this.settings(),
      ...options,
    });
  }

  /**
   * Enqueues a query; it runs once and its result goes to onComplete.
   * @example
   * await pool.enqueueQuery(ctx, internal.reports.generate, { month: "2024-01" }, { onComplete });
   */
  async enqueueQuery<Args extends DefaultFunctionArgs, Context, ReturnType>(
    ctx: RunMutationCtx | RunActionCtx,
    fn: Fn<"query", Args, NoInfer<ReturnType>>,
    fnArgs: Args,
    options?: EnqueueOptions<Context, ReturnType>,
  ): Promise<WorkId> {
    checkEnqueueOptions((options ?? {}), "query");
    return enqueue(this.component, ctx, "query", fn, fnArgs, {
      ...this.settings(),
      ...options,
    });
  }

  /** Enqueues one query per element of `argsArray`. @returns ids in order. */
  async enqueueQueryBatch<Args extends DefaultFunctionArgs, Context, ReturnType>(
    ctx: RunMutationCtx | RunActionCtx,
    fn: Fn<"query", Args, NoInfer<ReturnType>>,
    argsArray: Array<Args>,
    options?: BatchEnqueueOptions<Context, ReturnType>,
  ): Promise<WorkId[]> {
    checkEnqueueOptions((options ?? {}), "query", argsArray.length);
    return enqueueBatch(this.component, ctx, "query", fn, argsArray, {
      ...this.settings(),
      ...options,
    });
  }

  /**
   * Cancels a job. A pending one never runs; a running one finishes its
   * attempt but is not retried. Finished or unknown ids: a no-op. Exactly
   * one onComplete in every case.
   * @throws ConvexError INVALID_WORK_ID for a string that is not a work id.
   */
  async cancel(ctx: RunMutationCtx | RunActionCtx, id: WorkId): Promise<void> {
    await ctx.runMutation(this.component.lib.cancel, {
      id,
      ...(this.options.logLevel ? { logLevel: this.options.logLevel } : {}),
    });
  }

  /**
   * Cancels every job enqueued before the call (including earlier in the
   * same transaction), `limit` per transaction, continuing in scheduled
   * calls until done.
   * @param options.limit jobs per transaction, an integer 1–1000. @default 64
   */
  async cancelAll(
    ctx: RunMutationCtx | RunActionCtx,
    options?: { limit?: number },
  ): Promise<void> {
    await ctx.runMutation(this.component.lib.cancelAll, {
      ...(this.options.logLevel ? { logLevel: this.options.logLevel } : {}),
      ...(options?.limit !== undefined ? { limit: options.limit } : {}),
    });
  }

  /**
   * A job's status: `pending` or `running` with `previousAttempts`, or
   * `finished`, which within `statusTtl` also says `outcome`, `attempts`,
   * `finishedAt` and `error`.
   * @throws ConvexError INVALID_WORK_ID for a string that is not a work id.
   */
  async status(
    ctx: RunQueryCtx | RunMutationCtx | RunActionCtx,
    id: WorkId,
  ): Promise<Status> {
    return await ctx.runQuery(this.component.lib.status, { id });
  }

  /**
   * Live numbers of the pool, for dashboards and autoscaling decisions; use
   * it in a query to subscribe. Reads a bounded number of documents whatever
   * the backlog. `pending` splits into `pendingDue`, `pendingDelayed` and
   * `pendingBackingOff`; `lastMinute` and `lastHour` count outcomes and
   * retries. Counts reflect the loop's last iteration, which follows any
   * change within moments.
   */
  async stats(ctx: RunQueryCtx | RunMutationCtx | RunActionCtx): Promise<PoolStats> {
    return await ctx.runQuery(this.component.lib.stats, {});
  }

  /**
   * Statuses of several jobs, in the order of `ids`. Read in component
   * calls of at most 1,000 ids (STATUS_BATCH_MAX_IDS), which always fit in
   * one transaction's reads; from a query or mutation, all the calls share
   * the caller's transaction, so more ids fit only while their jobs carry
   * little (see the README's "Limits").
   */
  async statusBatch(
    ctx: RunQueryCtx | RunMutationCtx | RunActionCtx,
    ids: WorkId[],
  ): Promise<Status[]> {
    const statuses: Status[] = [];
    for (let i = 0; i < ids.length; i += STATUS_BATCH_MAX_IDS) {
      const chunk = ids.slice(i, i + STATUS_BATCH_MAX_IDS);
      statuses.push(...(await ctx.runQuery(this.component.lib.statusBatch, { ids: chunk })));
    }
    return statuses;
  }

  /**
   * Defines an onComplete mutation with typed `context` and return value.
   * @example
   * export const done = pool.defineOnComplete({
   *   context: v.object({ userId: v.id("users") }),
   *   handler: async (ctx, { workId, context, result }) => { ... },
   * });
   */
  defineOnComplete<
    DataModel extends GenericDataModel,
    VContext extends Validator<any, any, any> = VAny<any, "optional">,
    VReturnValue extends Validator<any, any, any> = VAny<any, "optional">,
  >({
    context,
    returnValue,
    handler,
  }: {
    context?: VContext;
    returnValue?: VReturnValue;
    handler: (
      ctx: GenericMutationCtx<DataModel>,
      args: {
        workId: WorkId;
        context: Infer<VContext>;
        result: RunResult<Infer<VReturnValue>>;
      },
    ) => Promise<void>;
  }): RegisteredMutation<
    "internal",
    OnCompleteArgs<Infer<VContext>, Infer<VReturnValue>>,
    null
  > {
    return internalMutationGeneric({
      args: vOnCompleteArgs(context, returnValue),
      handler,
    });
  }
}

/** The name logged for `fn`: its path, like "emails:send". */
function functionName(fn: Fn<FunctionType, DefaultFunctionArgs, unknown>): string {
  if (typeof fn === "string") return fn;
  const address = getFunctionAddress(fn);
  return address.name ?? address.reference ?? address.functionHandle ?? getFunctionName(fn);
}

async function handleOf(fn: Fn<FunctionType, DefaultFunctionArgs, unknown>): Promise<string> {
  return typeof fn === "string" ? fn : await createFunctionHandle(fn);
}

/** The fields of a component call shared by every job of one enqueue. */
async function commonFields<Context, ReturnType>(
  fnType: FunctionType,
  fn: Fn<FunctionType, DefaultFunctionArgs, unknown>,
  options: EnqueueOptions<Context, ReturnType> & PoolSettings,
) {
  // The free functions `enqueue` / `enqueueBatch` are public too: check the
  // timing and value options here, whoever calls.
  checkTimingOptions(options);
  checkFunctionArg("fn", fn);
  const fnName = options.name ?? functionName(fn);
  checkValueSize(`onComplete context of ${fnName}`, options.context);
  const onComplete = options.onComplete
    ? {
        fnHandle: await createFunctionHandle(options.onComplete),
        ...(options.context !== undefined ? { context: options.context } : {}),
        ...(options.onCompleteExcludeKinds?.length
          ? { excludeKinds: [...options.onCompleteExcludeKinds] }
          : {}),
      }
    : undefined;
  const item: Omit<EnqueueItem, "fnArgs"> = {
    fnHandle: await handleOf(fn),
    fnName,
    fnType,
    runAt: dueTime(options, Date.now()),
    ...(onComplete ? { onComplete } : {}),
    ...(fnType === "action" && options.retryBehavior
      ? { retryBehavior: options.retryBehavior }
      : {}),
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.priority !== undefined && options.priority !== "normal" ? { priority: options.priority } : {}),
    statusTtl: options.statusTtl ?? DEFAULT_STATUS_TTL_MS,
  };
  const config = {
    ...(options.maxParallelism !== undefined ? { maxParallelism: options.maxParallelism } : {}),
    ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
  };
  return { item, config };
}

/**
 * Enqueues one job of `fnType`; what the Workpool methods call. `options`
 * holds the enqueue options plus pool settings (retryBehavior already
 * resolved, maxParallelism, logLevel, statusTtl).
 */
export async function enqueue<
  FnType extends FunctionType,
  Args extends DefaultFunctionArgs,
  ReturnType,
  Context,
>(
  component: WorkpoolComponent,
  ctx: RunMutationCtx | RunActionCtx,
  fnType: FnType,
  fn: Fn<FnType, Args, NoInfer<ReturnType>>,
  fnArgs: Args,
  options: EnqueueOptions<Context, ReturnType> & PoolSettings,
): Promise<WorkId> {
  const { item, config } = await commonFields(fnType, fn, options);
  checkValueSize(`args of ${item.fnName}`, fnArgs);
  const key = options.idempotencyKey;
  const id = await ctx.runMutation(component.lib.enqueue, {
    ...item,
    fnArgs,
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    config,
  });
  return id as WorkId;
}

/**
 * Enqueues one job per element of `argsArray`, in order. Splits the batch
 * into component calls of at most CLIENT_BATCH_MAX_ITEMS jobs and
 * CLIENT_BATCH_MAX_BYTES of args. From a mutation all calls share its
 * transaction: all are enqueued or none. With `idempotencyKeys`, a job
 * whose key is held (by a job of the pool that is pending, running or
 * finished within its statusTtl, or by an earlier element) gets that id.
 */
export async function enqueueBatch<
  FnType extends FunctionType,
  Args extends DefaultFunctionArgs,
  ReturnType,
  Context,
>(
  component: WorkpoolComponent,
  ctx: RunMutationCtx | RunActionCtx,
  fnType: FnType,
  fn: Fn<FnType, Args, NoInfer<ReturnType>>,
  argsArray: Array<Args>,
  options: BatchEnqueueOptions<Context, ReturnType> & PoolSettings,
): Promise<WorkId[]> {
  const keys = options.idempotencyKeys;
  if (keys !== undefined) {
    const problem = checkIdempotencyKeys(keys, argsArray.length);
    if (problem) throw new Error(problem);
  }
  const serialKeys = options.keys;
  if (serialKeys !== undefined) {
    const problem = checkSerializationKeys(serialKeys, argsArray.length, options.key);
    if (problem) throw new Error(problem);
  }
  if (argsArray.length === 0) return [];
  const { item, config } = await commonFields(fnType, fn, options);
  const chunks: EnqueueItem[][] = [[]];
  let bytes = 0;
  // Everything but the args is the same for each item (context included,
  // which the component stores once per job): count it in each item's size.
  const sharedBytes = getConvexSize(item);
  argsArray.forEach((fnArgs, i) => {
    checkValueSize(`args of ${item.fnName} (argsArray[${i}])`, fnArgs);
    const size = getConvexSize(fnArgs as Value) + sharedBytes;
    const current = chunks[chunks.length - 1]!;
    if (
      current.length > 0 &&
      (current.length >= CLIENT_BATCH_MAX_ITEMS || bytes + size > CLIENT_BATCH_MAX_BYTES)
    ) {
      chunks.push([]);
      bytes = 0;
    }
    const key = keys?.[i];
    const serialKey = serialKeys?.[i];
    chunks[chunks.length - 1]!.push({
      ...item,
      fnArgs,
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      ...(serialKey !== undefined ? { key: serialKey } : {}),
    });
    bytes += size;
  });
  const ids: WorkId[] = [];
  for (const items of chunks) {
    const chunkIds = await ctx.runMutation(component.lib.enqueueBatch, { items, config });
    ids.push(...(chunkIds as WorkId[]));
  }
  return ids;
}
