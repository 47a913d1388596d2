import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";
import { pass } from "../response.js";
import { isThenable } from "../thenable.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import { type ClientWatch, watchClient } from "./client-watch.js";
import { announceClose, DRAIN_BYTES, DRAIN_MS, discardUnread, endConnection, leavesLargeBodyUnread } from "./drain.js";
import { toHeadError } from "./head-error.js";
import { closeConnection, sendResponse, sendStreamed, sendWhole } from "./send-response.js";
import { hasBody, toGatewayRequest } from "./to-gateway-request.js";

/** Options for {@link toNodeListener} and `serve()`. */
export interface NodeListenerOptions {
  /**
   * Observes every error of the app (rule 24), before or after commit. Return a response to
   * answer with it instead of the default 500 (only honoured before commit). Default: log the
   * error with `console.error`, except client disconnects (rule 26).
   */
  onError?: (
    error: unknown,
    request: GatewayRequest | undefined,
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only logs returns nothing, and that is the common case.
  ) => void | GatewayResponse | Promise<void | GatewayResponse>;
  /**
   * Hand a `fromNodeListener` product's own listener back instead of wrapping it (fusion,
   * rule 35). Default `true`.
   */
  fuse?: boolean;
}

/** A fused listener as `fromNodeListener` makes it (see `FusedNodeListener` there). */
type FusedListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
  fresh?: boolean,
) => void;

/** Marks a listener made by toNodeListener with the app it serves. */
export const kGatewayApp = Symbol.for("gangway.app");
/** Marks an app made by fromNodeListener with the listener it runs. */
export const kNodeListener = Symbol.for("gangway.nodeListener");

/**
 * A Node listener made from a gateway app; `[kGatewayApp]` is that app. Called Connect-style with
 * a `next`, it hands errors from before commit to it instead of answering 500.
 */
export type GatewayNodeListener = ((
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void) & { [kGatewayApp]?: GatewayApp };

/**
 * Serves a gateway app from Node's `http` server: `http.createServer(toNodeListener(app))`. It
 * keeps every rule of the spec — commit point, backpressure, abort, HEAD/204/304, and errors
 * answered 500 before commit (no stack when `NODE_ENV=production`) or by destroying the
 * connection after.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { text, toNodeListener } from "@gangway/core";
 * createServer(toNodeListener(() => text("hello"))).listen(3000);
 * ```
 */
export function toNodeListener(app: GatewayApp, options: NodeListenerOptions = {}): GatewayNodeListener {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `got ${typeof app}`);
  const fused = (app as { [kNodeListener]?: RequestListener })[kNodeListener];
  if (fused !== undefined && options.fuse !== false) return fused;
  const onError = options.onError ?? logError;
  const listener: GatewayNodeListener = function gatewayListener(req, res, next?: (error?: unknown) => void) {
    // handle() never throws, and settles every promise it starts.
    handle(app, req, res, onError, next);
  };
  listener[kGatewayApp] = app;
  return listener;
}

/**
 * The listener `serve()` runs: `toNodeListener(app, options)`, except that a fused listener (the
 * Node listener a `fromNodeListener` product carries, rule 35) is handed a `next`. A fused
 * listener answers an error before commit itself when it has none, and `onError` would never hear
 * of it; with this `next` the error is reported and answered as on the unfused path, so fusion
 * changes nothing an operator observes (rule 24). A `next()` without an error is "not mine": 404.
 *
 * @example
 * ```ts
 * createServer(toServerListener(fromExpress(legacy), { onError: report })).listen(3000);
 * ```
 */
export function toServerListener(app: GatewayApp, options: NodeListenerOptions = {}): RequestListener {
  const listener = toNodeListener(app, options);
  if ((app as { [kNodeListener]?: unknown })[kNodeListener] !== listener) return listener;
  const onError = options.onError ?? logError;
  return function fusedServerListener(req, res) {
    // The fused listener never reaches handle(): bound what is drained of an unread body here.
    // Node has started discarding it by now without a count, so decide by the declared length.
    // A request without a body has nothing to drain, and no listener is spent on it.
    if (hasBody(req)) {
      res.once("finish", () => {
        if (req.complete || req.destroyed) return;
        // A declared length past the bound is not worth draining; a chunked body gets DRAIN_MS.
        if (Number(req.headers["content-length"]) > DRAIN_BYTES) return endConnection(req.socket);
        const timer = setTimeout(() => endConnection(req.socket), DRAIN_MS);
        const stop = () => clearTimeout(timer);
        req.once("end", stop).once("close", stop);
      });
    }
    const next = (error?: unknown) => {
      const method = req.method ?? "GET";
      const answered =
        error === undefined || error === null
          ? sendResponse(res, method, pass())
          : answerError(res, toHeadError(error, res), undefined, onError, method);
      answered.catch(() => res.destroy());
    };
    // `fresh`: this is a server's own response, with nothing of a host's to set aside.
    (listener as FusedListener)(req, res, next, true);
  };
}

function handle(
  app: GatewayApp,
  req: IncomingMessage,
  res: ServerResponse,
  onError: NonNullable<NodeListenerOptions["onError"]>,
  next: ((error?: unknown) => void) | undefined,
): void {
  // The client went away before the response completed (rule 11) — not the end of the request body.
  const client = watchClient(res);
  const method = req.method ?? "GET";
  let request: GatewayRequest | undefined;
  let sending: Promise<void>;
  try {
    request = toGatewayRequest(req, client, { "gangway.version": "1.0", "node.req": req, "node.res": res });
    const body = request.body;
    // Nothing to announce for a request without a body: no closure per request then.
    const beforeHead = body === null ? undefined : () => announceClose(req, res, body);
    const result = app(request);
    if (isThenable<GatewayResponse>(result)) sending = sendLater(res, method, result, beforeHead);
    else {
      // A synchronous app with a whole body is answered in this turn: the awaits of the general
      // path cost about 1.8 µs of a 20 µs hello (docs/performance.md).
      if (sendWhole(res, method, result, beforeHead)) {
        finish(req, res, client);
        return;
      }
      sending = sendStreamed(res, method, result, beforeHead);
    }
  } catch (thrown) {
    sending = Promise.reject(thrown);
  }
  const done = () => finish(req, res, client);
  void sending.then(done, (thrown: unknown) => answerFailure(thrown, req, res, request, onError, next).then(done));
}

/**
 * Sends the response of an asynchronous app once it settles. Callbacks, not an async function: a
 * whole body goes out in the same microtask the app's promise settles in, where an `await` on
 * `sendResponse` would cost two more.
 */
function sendLater(
  res: ServerResponse,
  method: string,
  result: PromiseLike<GatewayResponse>,
  beforeHead: (() => void) | undefined,
): Promise<void> {
  return Promise.resolve(result).then((response) => {
    if (!sendWhole(res, method, response, beforeHead)) return sendStreamed(res, method, response, beforeHead);
  });
}

async function answerFailure(
  thrown: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  request: GatewayRequest | undefined,
  onError: NonNullable<NodeListenerOptions["onError"]>,
  next: ((error?: unknown) => void) | undefined,
): Promise<void> {
  const error = toHeadError(thrown, res);
  // Called Connect-style with a `next` (fromNodeListener passes one), an error before commit
  // goes to the host's error path (rule 27), as the fused listener's would.
  if (next !== undefined && !res.headersSent && !res.destroyed) next(error);
  else {
    if (!res.headersSent && leavesLargeBodyUnread(req, request?.body, true)) res.setHeader("connection", "close");
    await answerError(res, error, request, onError);
  }
}

function finish(req: IncomingMessage, res: ServerResponse, client: ClientWatch): void {
  client.stop();
  // A request without a body is not complete yet when a synchronous app has answered (the parser
  // marks it so after this listener returns): there is nothing to discard, and no timer to set.
  if (!req.complete && !req.destroyed && hasBody(req)) discardUnread(req, res);
}

async function answerError(
  res: ServerResponse,
  error: unknown,
  request: GatewayRequest | undefined,
  onError: NonNullable<NodeListenerOptions["onError"]>,
  method = request?.method ?? "GET",
): Promise<void> {
  let replacement: GatewayResponse | undefined;
  // A body that failed because the client left (a Fetch body aborting with the signal) comes
  // wrapped as GW_ERR_RESPONSE_ABORTED: the disconnect is its cause, and it is not reported (rule 26).
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (!(request?.signal.aborted && (isDisconnect(error) || isDisconnect(cause)))) {
    try {
      replacement = (await onError(error, request)) || undefined;
    } catch (hookError) {
      logError(hookError);
    }
  }
  if (res.headersSent || res.destroyed) {
    closeConnection(res);
    return;
  }
  try {
    await sendResponse(res, method, replacement ?? errorResponse(error));
  } catch (sendError) {
    logError(sendError);
    try {
      if (res.headersSent) closeConnection(res);
      else {
        res.statusMessage = "";
        res
          .writeHead(500, { "content-type": "text/plain; charset=utf-8", "content-length": 21 })
          .end("Internal Server Error");
      }
    } catch {
      // Nothing sensible can go out any more; never let it become an unhandled rejection.
      res.destroy();
    }
  }
}

/**
 * The response a server sends for an error before commit (rule 24): the status of a
 * `GatewayError` under 500 with its message, else 500 — with the stack trace unless
 * `NODE_ENV=production`, as Express's final handler does.
 *
 * @example
 * ```ts
 * const response = errorResponse(new Error("boom")); // 500
 * ```
 */
export function errorResponse(error: unknown): GatewayResponse {
  const status = GatewayError.is(error) ? error.status : 500;
  let body: string;
  if (status < 500) body = (error as Error).message;
  else if (process.env.NODE_ENV === "production") body = "Internal Server Error";
  else body = error instanceof Error && error.stack ? error.stack : String(error);
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    body,
  };
}

function isDisconnect(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === "GW_ERR_BODY_ABORTED" ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    code === "ERR_STREAM_PREMATURE_CLOSE" ||
    code === "ABORT_ERR" ||
    (error as Error)?.name === "AbortError"
  );
}

function logError(error: unknown): void {
  // Client disconnects (rule 26) and the client's own mistakes (4xx GatewayErrors) are not app faults.
  if (isDisconnect(error) || (GatewayError.is(error) && error.status < 500)) return;
  console.error(error);
}
