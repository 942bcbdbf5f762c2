// Workflows defined with @convex-dev/workflow 0.5.0, whose steps run in the
// workflow component's own pool: this package, installed as
// @convex-dev/workpool. Each workflow exercises one thing a pool does for it.
import { WorkflowManager, vResultValidator, vWorkflowId } from "@convex-dev/workflow";
import { ConvexError, v } from "convex/values";
import { components, internal } from "./_generated/api.js";
import { internalMutation } from "./_generated/server.js";

export const workflow = new WorkflowManager(components.workflow);

/** Retries for action steps that ask for them: three runs, 100 ms, then 200 ms apart. */
const THREE_ATTEMPTS = { maxAttempts: 3, initialBackoffMs: 100, base: 2 };

const vGreeting = v.object({ shouted: v.string(), notes: v.array(v.string()) });
type Greeting = { shouted: string; notes: string[] };

/** One step of each kind; returns what the action and the query produced. */
export const greet = workflow.define({
  args: { name: v.string() },
  returns: vGreeting,
  handler: async (step, { name }): Promise<Greeting> => {
    const shouted = await step.runAction(internal.steps.shout, { text: name });
    await step.runMutation(internal.steps.addNote, { text: `greeted ${name}` });
    const notes = await step.runQuery(internal.steps.noteTexts, {});
    return { shouted, notes };
  },
});

/** Runs `greet` as a nested workflow, then a step of its own. */
export const greetNested = workflow.define({
  args: { name: v.string() },
  returns: v.object({ child: vGreeting, notesAfter: v.array(v.string()) }),
  // Annotated: this module's own references (internal.workflows) are typed
  // from its exports, so the handler's types must not be inferred from them.
  handler: async (step, { name }): Promise<{ child: Greeting; notesAfter: string[] }> => {
    const child: Greeting = await step.runWorkflow(internal.workflows.greet, { name });
    await step.runMutation(internal.steps.addNote, { text: "parent done" });
    const notesAfter: string[] = await step.runQuery(internal.steps.noteTexts, {});
    return { child, notesAfter };
  },
});

/** An action step that fails `failures` times, with three attempts allowed. */
export const retried = workflow.define({
  args: { key: v.string(), failures: v.number() },
  returns: v.number(),
  handler: async (step, { key, failures }): Promise<number> =>
    await step.runAction(internal.steps.flaky, { key, failures }, { retry: THREE_ATTEMPTS }),
});

/** An action step that throws NonRetryableError, with retries allowed. */
export const refused = workflow.define({
  args: { key: v.string() },
  handler: async (step, { key }) => {
    await step.runAction(internal.steps.charge, { key }, { retry: THREE_ATTEMPTS });
  },
});

/** An action step that throws a ConvexError; the workflow does not catch it. */
export const reserveUncaught = workflow.define({
  args: { key: v.string(), sku: v.string() },
  handler: async (step, { key, sku }) => {
    await step.runAction(internal.steps.reserve, { key, sku });
  },
});

/**
 * The same step, caught: the workflow returns what it caught, the data of a
 * ConvexError or else the message of an Error.
 */
export const reserveCaught = workflow.define({
  args: { key: v.string(), sku: v.string() },
  returns: v.any(),
  handler: async (step, { key, sku }) => {
    try {
      await step.runAction(internal.steps.reserve, { key, sku });
      return { reserved: sku };
    } catch (error) {
      if (error instanceof ConvexError) return { caughtData: error.data as unknown };
      return { caughtMessage: error instanceof Error ? error.message : String(error) };
    }
  },
});

/** The handler itself throws a ConvexError after a step. */
export const rejectInHandler = workflow.define({
  args: { sku: v.string() },
  handler: async (step, { sku }) => {
    await step.runMutation(internal.steps.addNote, { text: `checked ${sku}` });
    throw new ConvexError({ code: "DISCONTINUED", message: `${sku} is discontinued`, sku });
  },
});

/** A sleep (a delayed job in the pool), then a mutation step. */
export const sleepThenMark = workflow.define({
  args: { ms: v.number() },
  handler: async (step, { ms }) => {
    await step.sleep(ms);
    await step.runMutation(internal.steps.markReached, { label: "after sleep" });
  },
});

/** A long action step, then a mutation step: canceled while the first runs. */
export const waitThenMark = workflow.define({
  args: { ms: v.number() },
  handler: async (step, { ms }) => {
    await step.runAction(internal.steps.wait, { ms });
    await step.runMutation(internal.steps.markReached, { label: "after wait" });
  },
});

/** The onComplete every started workflow gets: records its arguments. */
export const recordCompletion = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, { workflowId, result, context }) => {
    await ctx.db.insert("completions", { workflowId, result, context });
    return null;
  },
});
