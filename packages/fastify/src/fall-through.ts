import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { routeContext } from "./route-context.js";

/** The gateway's `next` for one request: `next()` = not mine, `next(error)` = unhandled error. */
export type Next = (error?: unknown) => void;

// One key per instance: a request can pass through several wrapped instances (a fused round
// trip routes the same `req` through two), and each must find its own `next`.
const keys = new WeakMap<FastifyInstance, symbol>();

/**
 * Hooks an instance so that a request routed by {@link routeWith} can say "no route matched" and
 * "unhandled error" instead of Fastify answering them. Must run before the instance is ready
 * (Fastify takes no hooks after); returns `undefined` when it is too late, and the instance then
 * answers every request itself.
 *
 * - `onRequest` and `preHandler`: when the request reached Fastify's default not-found handler
 *   (`request.is404`, handler `basic404`) — from the router (`onRequest`, before any body is read,
 *   so `cascade` can offer the body to the next app) or from `reply.callNotFound()`
 *   (`preHandler`) — the reply is hijacked and `next()` runs. A `setNotFoundHandler` of the
 *   user's is a response the app chose.
 * - `onError`: an error headed for Fastify's default error handler with a 5xx status is handed
 *   to `next(error)` (rule 27). 4xx errors (validation, body too large...) keep Fastify's JSON
 *   answer, as do errors a `setErrorHandler` of the user's turns into responses.
 *
 * @example
 * ```ts
 * const key = fallThrough(instance);
 * ```
 */
export function fallThrough(instance: FastifyInstance): symbol | undefined {
  const key = keys.get(instance);
  if (key !== undefined) return key;
  const own = Symbol("gangway.fastify.next");
  const notFound = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const next = nextOf(request.raw, own);
    if (next !== undefined && request.is404 && request.routeOptions.handler?.name === "basic404") {
      // The hook chain stops here: the request is not this instance's to answer.
      give(request.raw, own, undefined);
      reply.hijack();
      next();
      return;
    }
    done();
  };
  const unhandled = (request: FastifyRequest, reply: FastifyReply, error: Error, done: () => void) => {
    const next = nextOf(request.raw, own);
    if (next !== undefined && defaultErrorHandler(request) && errorStatus(error, reply) >= 500) {
      give(request.raw, own, undefined);
      reply.hijack();
      next(error);
      return;
    }
    done();
  };
  try {
    instance.addHook("onRequest", notFound);
    instance.addHook("preHandler", notFound);
    instance.addHook("onError", unhandled);
  } catch (error) {
    // Fastify says "already listening" once started, avvio "root plugin has already booted" while
    // ready() is under way or done: either way too late for hooks.
    const code = (error as { code?: unknown }).code;
    if (code === "FST_ERR_INSTANCE_ALREADY_LISTENING" || code === "AVV_ERR_ROOT_PLG_BOOTED") return undefined;
    throw error;
  }
  keys.set(instance, own);
  return own;
}

/**
 * Routes `req` through a ready instance with `next` as its fall-through.
 *
 * @example
 * ```ts
 * routeWith(instance, key, req, res, next);
 * ```
 */
export function routeWith(
  instance: FastifyInstance,
  key: symbol | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
): void {
  if (key !== undefined) give(req, key, next);
  instance.routing(req, res);
}

function give(req: IncomingMessage, key: symbol, next: Next | undefined): void {
  (req as unknown as Record<symbol, Next | undefined>)[key] = next;
}

function nextOf(req: IncomingMessage, key: symbol): Next | undefined {
  return (req as unknown as Record<symbol, Next | undefined>)[key];
}

/** Whether Fastify's own default error handler, not one of the user's, will answer `request`. */
function defaultErrorHandler(request: FastifyRequest): boolean {
  const name = routeContext(request)?.errorHandler?.func?.name ?? request.server.errorHandler.name;
  return name === "defaultErrorHandler";
}

/** The status Fastify's default error handler gives `error` (its `setErrorHeaders`). */
function errorStatus(error: unknown, reply: FastifyReply): number {
  const current = reply.raw.statusCode;
  let status = current >= 400 && current <= 599 ? current : 500;
  const e = error as { statusCode?: unknown; status?: unknown } | null;
  if (typeof e?.statusCode === "number" && e.statusCode >= 400 && e.statusCode <= 599) status = e.statusCode;
  else if (typeof e?.status === "number" && e.status >= 400 && e.status <= 599) status = e.status;
  return status;
}
