import type { IncomingMessage, ServerResponse } from "node:http";
import type { ParameterizedContext } from "koa";

/*
 * What reaches a Koa host's `error` event from a request toKoa answers. Koa calls `ctx.onerror`
 * from three places: the middleware chain's rejection (handleRequest), every error of the socket
 * (on-finished, attached to each response), and the `Stream.pipeline` that sends a stream body
 * (respond()). The last two report the client going away as if the app failed, and an error after
 * the head twice: once from the pipeline, once more from the socket the pipeline destroyed with it.
 */

type Context = ParameterizedContext;
type OnError = (error: unknown) => void;

const kHostOnerror = Symbol("gangway.koa.hostOnerror");
const kReported = Symbol("gangway.koa.reported");

type Guarded = Context & { [kHostOnerror]?: OnError; [kReported]?: true };

// Codes that say only that the client went away (rule 26). HPE_INVALID_EOF_STATE is Node's parser
// meeting the end of the connection in the middle of a request body.
const DISCONNECT_CODES = new Set([
  "GW_ERR_BODY_ABORTED",
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_DESTROYED",
  "HPE_INVALID_EOF_STATE",
  "ABORT_ERR",
]);

/**
 * Whether `error` (or its `cause`) says only that the client went away (rule 26): a reset, a
 * broken pipe, a premature close, an aborted body.
 *
 * @example
 * ```ts
 * isDisconnect(Object.assign(new Error("aborted"), { code: "ECONNRESET" })); // true
 * ```
 */
export function isDisconnect(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 3; depth++) {
    const { code, name, cause } = e as { code?: unknown; name?: unknown; cause?: unknown };
    if ((typeof code === "string" && DISCONNECT_CODES.has(code)) || name === "AbortError") return true;
    e = cause;
  }
  return false;
}

/**
 * Whether the client left before the response completed: the connection is gone, and not because
 * this side destroyed the response with an error. Koa's pipeline destroys the response with the
 * error of a failing body (`res.errored`), and an AbortError or ECONNRESET of the app's own body
 * is then the app's failure; with the premature close it raises when the client left first, it
 * is the client. (So is a body failing with a premature close of its own: indistinguishable.)
 *
 * @example
 * ```ts
 * if (clientLeft(ctx.req, ctx.res) && isDisconnect(error)) return; // not an app fault
 * ```
 */
export function clientLeft(req: IncomingMessage, res: ServerResponse): boolean {
  if (res.writableFinished) return false;
  const errored = res.errored as { code?: unknown } | null;
  if (errored && errored.code !== "ERR_STREAM_PREMATURE_CLOSE") return false;
  return res.destroyed || req.socket?.destroyed === true;
}

/**
 * Puts a filter in front of Koa's `ctx.onerror` for this request, so what reaches the host's
 * `error` event is what the app did, reported once (rules 24, 26):
 *
 * - a disconnect error once the client has left is not reported — the socket's own reset, the
 *   pipeline's premature close, an aborted read — while the same codes from an app whose client is
 *   still there (an upstream reset, say) are;
 * - after the head, only the first error is reported: the socket error that follows the
 *   pipeline's, for the same failure, is its echo.
 *
 * Installed as an own property with one shared function, so it costs no closure per request; the
 * host's own `onerror` (Koa's, or one the host app put on `app.context`) still does the work.
 *
 * @example
 * ```ts
 * guardHostErrors(ctx);
 * ctx.body = stream; // a client leaving mid-stream no longer reaches app.on("error")
 * ```
 */
export function guardHostErrors(ctx: Context): void {
  const guarded = ctx as Guarded;
  if (guarded.onerror === guardedOnerror) return;
  guarded[kHostOnerror] = guarded.onerror as OnError;
  guarded.onerror = guardedOnerror;
}

function guardedOnerror(this: Guarded, error: unknown): void {
  // Koa's own contract: `ctx.onerror` can be handed to node-style callbacks.
  if (error === null || error === undefined) return;
  const { req, res } = this;
  if (clientLeft(req, res) && isDisconnect(error)) return;
  if (res.headersSent && this[kReported] === true) return;
  this[kReported] = true;
  (this[kHostOnerror] as OnError).call(this, error);
}
