import { type FusedNodeListener, type GatewayApp, kNodeListener } from "@gangway/core";
import type { ExpressHandler } from "./to-express.js";

/**
 * Fusion markers (rule 35). Registered symbols, so a product of one copy of `@gangway/express` is
 * recognised by another in the same process.
 */

/**
 * Marks an app made by `fromExpress` with the Express handler it runs, already wrapped in the
 * final-callback logic `fromExpress` chose: it calls its `next` with no argument when nothing
 * matched, and with the error when one reached the end (unless it rendered the error itself).
 */
export const kExpressHandler = Symbol.for("gangway.express.handler");

/** Marks a middleware made by `toExpress` with the gateway app it runs. */
export const kGatewayApp = Symbol.for("gangway.express.app");

/**
 * The Express handler behind an app made by `fromExpress`, or `undefined` for any other function —
 * including a `fromExpress` product wrapped in middleware, which must stay observable and so is
 * never fused.
 *
 * @example
 * ```ts
 * const handler = expressHandlerOf(app);
 * if (handler !== undefined) console.log("an Express app inside");
 * ```
 */
export function expressHandlerOf(app: GatewayApp): ExpressHandler | undefined {
  return (app as { [kExpressHandler]?: ExpressHandler })[kExpressHandler];
}

/**
 * Marks `app` as the direct product of `fromExpress` around `handler`.
 *
 * @example
 * ```ts
 * return markExpressHandler(fromNodeListener(handler), handler);
 * ```
 */
export function markExpressHandler(app: GatewayApp, handler: ExpressHandler): GatewayApp {
  Object.defineProperty(app, kExpressHandler, { value: handler });
  return app;
}

/**
 * The gateway app behind a middleware made by `toExpress`, or `undefined` for any other function.
 *
 * @example
 * ```ts
 * const app = gatewayAppOf(middleware); // fromExpress hands it back instead of wrapping it
 * ```
 */
export function gatewayAppOf(handler: unknown): GatewayApp | undefined {
  return typeof handler === "function" ? (handler as { [kGatewayApp]?: GatewayApp })[kGatewayApp] : undefined;
}

/**
 * Marks `middleware` as the direct product of `toExpress` around `app`.
 *
 * @example
 * ```ts
 * return markGatewayApp(middleware, app);
 * ```
 */
export function markGatewayApp(middleware: ExpressHandler, app: GatewayApp): ExpressHandler {
  Object.defineProperty(middleware, kGatewayApp, { value: app });
  return middleware;
}

/**
 * The Node listener a `fromNodeListener` product carries for hosts that can hand it their real
 * `req`/`res` (core's `kNodeListener`: `fromKoa` and `fromFastify` products, say), or `undefined`
 * for any other app — including such a product wrapped in middleware, which is never fused.
 *
 * @example
 * ```ts
 * const listener = nodeListenerOf(fromKoa(koa));
 * if (listener !== undefined) return fusedListenerMiddleware(listener, "next", unfusedMiddleware);
 * ```
 */
export function nodeListenerOf(app: GatewayApp): FusedNodeListener | undefined {
  const listener = (app as { [kNodeListener]?: FusedNodeListener })[kNodeListener];
  return typeof listener === "function" ? listener : undefined;
}
