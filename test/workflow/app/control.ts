// What the tests call, as an app's own functions would: start a workflow
// (with onComplete), cancel or clean it up, read its status and steps.
import { vWorkflowId, type WorkflowId } from "@convex-dev/workflow";
import type { FunctionReference } from "convex/server";
import { v, type Infer } from "convex/values";
import { internal } from "./_generated/api.js";
import { internalMutation, internalQuery } from "./_generated/server.js";
import { workflow } from "./workflows.js";

const vWorkflowName = v.union(
  v.literal("greet"),
  v.literal("greetNested"),
  v.literal("retried"),
  v.literal("refused"),
  v.literal("reserveUncaught"),
  v.literal("reserveCaught"),
  v.literal("rejectInHandler"),
  v.literal("sleepThenMark"),
  v.literal("waitThenMark"),
);
export type WorkflowName = Infer<typeof vWorkflowName>;

/** Starts workflow `name` with `args`; its onComplete gets `{ name }` as context. */
export const start = internalMutation({
  args: { name: vWorkflowName, args: v.any() },
  returns: vWorkflowId,
  handler: async (ctx, { name, args }): Promise<WorkflowId> => {
    const ref = internal.workflows[name] as FunctionReference<"mutation", "internal">;
    return await workflow.start(ctx, ref, args, {
      onComplete: internal.workflows.recordCompletion,
      context: { name },
    });
  },
});

export const cancel = internalMutation({
  args: { workflowId: vWorkflowId },
  returns: v.null(),
  handler: async (ctx, { workflowId }) => {
    await workflow.cancel(ctx, workflowId);
    return null;
  },
});

/** Deletes a finished workflow; nested ones go in a batch of pool jobs. */
export const cleanup = internalMutation({
  args: { workflowId: vWorkflowId },
  returns: v.boolean(),
  handler: async (ctx, { workflowId }) => await workflow.cleanup(ctx, workflowId),
});

export const status = internalQuery({
  args: { workflowId: vWorkflowId },
  returns: v.any(),
  handler: async (ctx, { workflowId }) => await workflow.status(ctx, workflowId),
});

/** The workflow's journal: one entry per step, with its result. */
export const steps = internalQuery({
  args: { workflowId: vWorkflowId },
  returns: v.any(),
  handler: async (ctx, { workflowId }) => (await workflow.listSteps(ctx, workflowId)).page,
});

/** Every workflow, nested ones included. */
export const all = internalQuery({
  args: {},
  returns: v.any(),
  handler: async (ctx) => (await workflow.list(ctx)).page,
});
