import type { IncomingMessage, ServerResponse } from "node:http";
import { type FusedNodeListener, type GatewayApp, kNodeListener } from "@gangway/core";
import type { FastifyInstance } from "fastify";

/**
 * Marks an app made by `fromFastify` with the instance it wraps, so `toFastify` can route the real
 * request through `instance.routing(req, res)` instead of a socketless pair (fusion, rule 35).
 * Registered, so a second copy of this package recognises the mark.
 *
 * @example
 * ```ts
 * const origin = (app as { [kFastifyOrigin]?: FastifyOrigin })[kFastifyOrigin];
 * ```
 */
export const kFastifyOrigin = Symbol.for("gangway.fastify.origin");

/** What a `fromFastify` product carries under {@link kFastifyOrigin}. */
export interface FastifyOrigin {
  /** The wrapped instance. */
  readonly instance: FastifyInstance;
  /** Resolves once the instance is ready (the same boot every request waits on). */
  readonly ready: () => Promise<void>;
  /**
   * Routes a Node request through the instance once it is ready. `next()` means no route matched
   * (Fastify's default not-found handler would have answered); `next(error)` is an error left to
   * Fastify's default error handler.
   */
  readonly listener: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
}

/**
 * The origin a `fromFastify` product carries, or `undefined` for any other app.
 *
 * @example
 * ```ts
 * const origin = fastifyOrigin(app);
 * if (origin !== undefined) origin.listener(req, res, next);
 * ```
 */
export function fastifyOrigin(app: GatewayApp): FastifyOrigin | undefined {
  return (app as { [kFastifyOrigin]?: FastifyOrigin })[kFastifyOrigin];
}

/**
 * The Node listener a `fromNodeListener` product carries for hosts that can hand it their real
 * `req`/`res` (core's `kNodeListener`: `fromExpress` and `fromKoa` products, say), or `undefined`
 * for any other app — including such a product wrapped in middleware, which is never fused.
 *
 * @example
 * ```ts
 * const listener = nodeListenerOf(fromExpress(expressApp));
 * if (listener !== undefined) return fusedHandler({ listener }, prefix, request, reply);
 * ```
 */
export function nodeListenerOf(app: GatewayApp): FusedNodeListener | undefined {
  const listener = (app as { [kNodeListener]?: FusedNodeListener })[kNodeListener];
  return typeof listener === "function" ? listener : undefined;
}
