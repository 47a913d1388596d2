import { GatewayError } from "@gangway/core";
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { routeContext } from "./route-context.js";

// Errors handed to Fastify's error path after the head went out, recognised by the onError hook.
const late = new WeakSet<object>();

/**
 * Hands an error that happened after commit (a body that failed midway, a body shorter or longer
 * than its content-length) to Fastify's error path, as rule 27 asks of `toFastify`: the route's
 * `onError` hooks, then its error handler (`setErrorHandler`, or Fastify's default one, which logs
 * it). Fastify itself never calls the error handler once the head is out — it only logs a stream
 * error at `warn` — so the error would otherwise reach nothing a host configured (rule 24).
 *
 * The response can no longer change: {@link lateErrorHook}, registered on the plugin's routes,
 * hijacks the reply once the `onError` hooks before it ran, so `reply.sent` is `true` in the
 * error handler and a `reply.send()` there goes nowhere (Fastify logs `FST_ERR_REP_ALREADY_SENT`
 * at `warn`) instead of failing on a head already sent. The caller closes the connection.
 *
 * An error that is not an `Error` goes as a `GW_ERR_RESPONSE_ABORTED` with it as the `cause`:
 * Fastify's error path only takes `Error`s.
 *
 * @example
 * ```ts
 * closeConnection(reply.raw);
 * reportLate(reply, error);
 * ```
 */
export function reportLate(reply: FastifyReply, error: unknown): void {
  const reported =
    error instanceof Error ? error : new GatewayError("GW_ERR_RESPONSE_ABORTED", undefined, { cause: error });
  late.add(reported);
  if (!reply.sent) {
    reply.send(reported);
    return;
  }
  // The framework ended the response before it failed (a fused Express whose body ran past its
  // content-length): Fastify drops a send on a reply that is sent, so the route's error handler
  // is called as Fastify calls it, with `reply.sent` already true. onError hooks are skipped here.
  const handler = routeContext(reply.request)?.errorHandler?.func;
  if (typeof handler !== "function") return;
  try {
    const result: unknown = handler.call(reply.server, reported, reply.request, reply);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
      (result as PromiseLike<unknown>).then(undefined, () => {});
    }
  } catch {
    // The handler failed on a response that is already out; nothing more can be done with it.
  }
}

/**
 * The `onError` hook behind {@link reportLate}: it hijacks the reply of an error reported after
 * commit, so the error handler that runs next cannot write a second head. Other errors pass.
 *
 * @example
 * ```ts
 * fastify.addHook("onError", lateErrorHook);
 * ```
 */
export function lateErrorHook(
  _request: FastifyRequest,
  reply: FastifyReply,
  error: Error,
  done: HookHandlerDoneFunction,
): void {
  if (late.has(error)) reply.hijack();
  done();
}
