import type { ServerResponse } from "node:http";
import { errorResponse, sendResponse } from "@gangway/core";
import { isBodyConsumed } from "./host-body.js";
import type { ExpressHandler } from "./to-express.js";

/**
 * `toExpress(fromExpress(handler))` fused (rule 35): the wrapped Express handler runs on the host's
 * own `req`/`res`, as a native mount would, with what the host can observe kept identical to the
 * unfused path:
 *
 * - the handler sees the host's `req.baseUrl`, `req.url` and `req.originalUrl`, which are what
 *   `fromExpress` would have shown it;
 * - nothing matched: the host's `next()` runs; an error: `next(error)` with the same object, or
 *   the `"respond"` answer;
 * - Express swaps the prototypes of `req`/`res` for its own and restores them only for apps it
 *   mounted itself, so they are restored here before the host's next handler runs (else the
 *   host's later routes would see the inner app as `req.app`).
 *
 * A body the host already parsed takes the unfused path, which re-encodes it for the inner app's
 * own parsers (rule 34): a native mount would let them skip it and see the host's `req.body`.
 *
 * @example
 * ```ts
 * const handler = expressHandlerOf(app);
 * if (handler !== undefined) return fusedMiddleware(handler, "next", unfusedMiddleware);
 * ```
 */
export function fusedMiddleware(
  handler: ExpressHandler,
  errors: "next" | "respond",
  unfused: ExpressHandler,
): ExpressHandler {
  return function fusedExpressMiddleware(req, res, next) {
    if (hasContent(req) && isBodyConsumed(req)) {
      unfused(req, res, next);
      return;
    }
    const requestPrototype = Object.getPrototypeOf(req) as object;
    const responsePrototype = Object.getPrototypeOf(res) as object;
    handler(req, res, (error) => {
      Object.setPrototypeOf(req, requestPrototype);
      Object.setPrototypeOf(res, responsePrototype);
      if (error === undefined || errors === "next") next(error);
      else void respondError(res, req.method ?? "GET", error);
    });
  };
}

/**
 * Whether a Node request carries content (rule 10): a transfer-encoding, or a non-zero content-length.
 *
 * @example
 * ```ts
 * if (hasContent(req) && isBodyConsumed(req)) rebuild(req);
 * ```
 */
export function hasContent(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * The `errors: "respond"` path: a clean error response before commit (rule 24), a log line after it.
 *
 * @example
 * ```ts
 * await respondError(res, req.method ?? "GET", error); // 500, no stack in production
 * ```
 */
export async function respondError(res: ServerResponse, method: string, error: unknown): Promise<void> {
  if (res.headersSent || res.destroyed) {
    // The connection was closed under the committed response (rule 24); all that is left is to report.
    console.error(error);
    return;
  }
  try {
    await sendResponse(res, method, errorResponse(error));
  } catch (sendError) {
    console.error(sendError);
    res.destroy();
  }
}
