import type { ServerResponse } from "node:http";
import { closeConnection, type FusedNodeListener, pass, sendResponse } from "@gangway/core";
import { hasContent, respondError } from "./fused-middleware.js";
import { isBodyConsumed } from "./host-body.js";
import type { ExpressHandler } from "./to-express.js";

type HostRequest = Parameters<ExpressHandler>[0];

/**
 * Whether `toExpress` may hand a `fromNodeListener` product (a Koa or Fastify app, say) Express's
 * own `req`/`res` (fusion, rule 35) with nothing observable changing:
 *
 * - Express set `req.baseUrl` without a trailing slash: then `req.baseUrl`, `req.url` and
 *   `req.originalUrl` are what the unfused path shows the wrapped framework, and core's fused
 *   listener keeps them. Under Connect (no `req.baseUrl`) the unfused path derives the prefix from
 *   `req.originalUrl`, which the fused listener would not;
 * - no `set-cookie` on the response yet: the unfused path appends the app's cookies to the host's,
 *   where a framework writing its own would replace them;
 * - the body untouched: one a host parser read takes the unfused path, which re-encodes it (rule 34).
 *
 * @example
 * ```ts
 * if (!canFuseListener(req, res)) return unfused(req, res, next);
 * ```
 */
export function canFuseListener(req: HostRequest, res: ServerResponse): boolean {
  const { baseUrl } = req;
  if (typeof baseUrl !== "string" || baseUrl.endsWith("/")) return false;
  if (res.hasHeader("set-cookie")) return false;
  return !(hasContent(req) && isBodyConsumed(req));
}

/**
 * `toExpress(app)` fused for any `fromNodeListener` product other than `fromExpress`'s (which
 * {@link fusedMiddleware} runs): its listener runs on Express's own `req`/`res`, as a Connect
 * middleware would (koa-connect and @fastify/express the other way round), with what the host can
 * observe kept identical to the unfused path (rule 35):
 *
 * - the wrapped framework sees the mount as Express shows it (see {@link canFuseListener}), and a
 *   fresh response: core's fused listener sets the host's headers and status aside and sends the
 *   headers under the framework's;
 * - nothing matched: the host's `next()` runs, with `req`/`res` as Express left them — unless the
 *   framework started reading the upload, which the routes after it cannot have: then the 404 of
 *   `pass()` answers, as unfused;
 * - an error before the head: `next(error)` with the same object, or the `"respond"` answer; one
 *   after it: the connection is cut, then the same (Express's final handler, or a log line).
 *
 * @example
 * ```ts
 * const listener = nodeListenerOf(app);
 * if (listener !== undefined) return fusedListenerMiddleware(listener, "next", unfusedMiddleware);
 * ```
 */
export function fusedListenerMiddleware(
  listener: FusedNodeListener,
  errors: "next" | "respond",
  unfused: ExpressHandler,
): ExpressHandler {
  return function fusedListenerMiddleware(req, res, next) {
    if (!canFuseListener(req, res)) {
      unfused(req, res, next);
      return;
    }
    listener(req, res, (error) => {
      const method = req.method ?? "GET";
      if (error !== undefined && error !== null) {
        if (errors === "next") next(error);
        else void respondError(res, method, error);
      } else if (hasContent(req) && req.readableDidRead) {
        // As the unfused path answers a pass after the app read from the live body (rule 30).
        sendResponse(res, method, pass()).catch(() => closeConnection(res));
      } else {
        next();
      }
    });
  };
}
