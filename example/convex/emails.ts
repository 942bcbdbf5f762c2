// Sign-up sends a welcome email through the email pool; onComplete records
// how each send ended. The "email provider" is simulated: no network here.
import { v } from "convex/values";
import { NonRetryableError, vOnCompleteArgs, vWorkIdValidator, type WorkId } from "convex-workpool";
import { components, internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { internalAction, internalMutation, mutation, query } from "./_generated/server.js";
import { EMAIL_SLOTS, emailPool } from "./workpools.js";

export const signUp = mutation({
  args: { email: v.string() },
  returns: v.object({ userId: v.id("users"), workId: v.string() }),
  handler: async (ctx, { email }): Promise<{ userId: Id<"users">; workId: WorkId }> => {
    const userId = await ctx.db.insert("users", { email });
    // Part of this transaction: if signUp throws, no email is queued.
    const workId: WorkId = await emailPool.enqueueAction(
      ctx,
      internal.emails.sendWelcome,
      { userId, email },
      { onComplete: internal.emails.handleComplete, context: { email } },
    );
    return { userId, workId };
  },
});

/**
 * Sends the welcome email again, on request. A double click or a retried
 * request gets the job already queued, running, or finished (within the
 * pool's statusTtl) back instead of a second email.
 */
export const resendWelcome = mutation({
  args: { userId: v.id("users") },
  returns: v.string(),
  handler: async (ctx, { userId }): Promise<WorkId> => {
    const user = await ctx.db.get("users", userId);
    if (user === null) throw new Error(`no user ${userId}`);
    return await emailPool.enqueueAction(
      ctx,
      internal.emails.sendWelcome,
      { userId, email: user.email },
      {
        onComplete: internal.emails.handleComplete,
        context: { email: user.email },
        idempotencyKey: `welcome:${userId}`,
      },
    );
  },
});

/** Simulated provider: addresses at "invalid.example" are refused for good. */
export const sendWelcome = internalAction({
  args: { userId: v.id("users"), email: v.string() },
  returns: v.object({ messageId: v.string() }),
  handler: async (ctx, { userId, email }) => {
    if (email.endsWith("@invalid.example")) {
      // Retrying cannot help: fail the job at once.
      throw new NonRetryableError(`address rejected: ${email}`);
    }
    await ctx.runMutation(internal.emails.markWelcomed, { userId });
    return { messageId: `msg-${userId}` };
  },
});

export const markWelcomed = internalMutation({
  args: { userId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, { userId }) => {
    const user = await ctx.db.get("users", userId);
    await ctx.db.patch("users", userId, { welcomed: true });
    if (user) await ctx.db.insert("outbox", { to: user.email, subject: "Welcome" });
    return null;
  },
});

/**
 * A password reset: the user is waiting for it, so it is enqueued with
 * priority "high" and starts ahead of queued welcome emails ("normal") and
 * newsletters ("low"), however many were queued before it.
 */
export const sendPasswordReset = mutation({
  args: { userId: v.id("users") },
  returns: v.string(),
  handler: async (ctx, { userId }): Promise<WorkId> => {
    const user = await ctx.db.get("users", userId);
    if (user === null) throw new Error(`no user ${userId}`);
    return await emailPool.enqueueAction(ctx, internal.emails.deliver, { to: user.email, subject: "Reset your password" }, {
      priority: "high",
      onComplete: internal.emails.handleComplete,
      context: { email: user.email },
    });
  },
});

/**
 * The newsletter, to every user: priority "low", so a big send leaves
 * room for the emails people wait for. It is not starved: a priority with
 * work due still gets at least one start in every 11.
 */
export const sendNewsletter = internalMutation({
  args: { subject: v.string() },
  returns: v.array(v.string()),
  handler: async (ctx, { subject }): Promise<WorkId[]> => {
    const users = await ctx.db.query("users").collect();
    return await emailPool.enqueueActionBatch(ctx, internal.emails.deliver, users.map((u) => ({ to: u.email, subject })), {
      priority: "low",
    });
  },
});

/** Simulated provider for the other emails: the outbox records the order they went out in. */
export const deliver = internalAction({
  args: { to: v.string(), subject: v.string() },
  returns: v.null(),
  handler: async (ctx, email) => {
    await ctx.runMutation(internal.emails.recordSent, email);
    return null;
  },
});

export const recordSent = internalMutation({
  args: { to: v.string(), subject: v.string() },
  returns: v.null(),
  handler: async (ctx, email) => {
    await ctx.db.insert("outbox", email);
    return null;
  },
});

export const handleComplete = internalMutation({
  args: vOnCompleteArgs(v.object({ email: v.string() })),
  returns: v.null(),
  handler: async (ctx, { workId, context, result }) => {
    await ctx.db.insert("emailLog", {
      workId,
      email: context.email,
      outcome: result.kind,
      ...(result.kind === "failed" ? { detail: result.error } : {}),
    });
    return null;
  },
});

export const getStatus = query({
  args: { workId: vWorkIdValidator },
  handler: async (ctx, { workId }) => await emailPool.status(ctx, workId),
  // { state: "pending", previousAttempts }   waiting to start (or to retry)
  // { state: "running", previousAttempts }   an attempt is in flight
  // { state: "finished", outcome, attempts, finishedAt, error?, errorData? }
  //   within statusTtl (default 24 h) of finishing; after it, { state: "finished" }
});

export const cancelWork = mutation({
  args: { workId: vWorkIdValidator },
  returns: v.null(),
  handler: async (ctx, { workId }) => {
    await emailPool.cancel(ctx, workId);
    return null;
  },
});

export const cancelAll = mutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await emailPool.cancelAll(ctx);
    return null;
  },
});

/**
 * Pauses or resumes sending, e.g. while the email provider is down. Run it
 * from the dashboard or `npx convex run emails:setPaused '{"paused": true}'`.
 * Paused, queued emails wait (new ones too); running ones finish.
 */
export const setPaused = internalMutation({
  args: { paused: v.boolean() },
  returns: v.null(),
  handler: async (ctx, { paused }) => {
    const maxParallelism = paused ? 0 : EMAIL_SLOTS;
    await ctx.runMutation(components.emailWorkpool.config.update, { maxParallelism });
    return null;
  },
});
