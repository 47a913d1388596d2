import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";
import { pass } from "../response.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import { closeConnection } from "./send-response.js";
import { answer } from "./socketless/answer.js";
import { Exchange } from "./socketless/exchange.js";
import { kGatewayRequest } from "./socketless/incoming.js";
import { watchPipedErrors } from "./socketless/piped-errors.js";
import { errorResponse, kGatewayApp, kNodeListener } from "./to-node-listener.js";

/**
 * A Node request listener in Connect's shape: `next()` means "not mine", `next(error)` hands an
 * error on. Express apps, Connect apps and plain `(req, res) => void` listeners all fit.
 */
export type NodeListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void | Promise<void>;

/** Options for {@link fromNodeListener}. */
export interface FromNodeListenerOptions {
  /**
   * Fusion (rule 35), default `true`: hand back the gateway app a `toNodeListener` product serves
   * instead of wrapping its listener, and let `toNodeListener` and `serve()` run the listener on
   * their own `req`/`res`. With `false` every request goes through the socketless pair.
   */
  fuse?: boolean;
}

/** The Node listener a `fromNodeListener` app carries for servers that can hand it the real `req`/`res`. */
export type FusedNodeListener = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * Turns a Node listener into a gateway app, with no socket (spec, "Socketless Node pairs"). Per
 * request the listener gets a real `http.IncomingMessage` and `http.ServerResponse` (subclasses):
 *
 * - `req.url` is `path` (or `/`) plus `?query`, `req.originalUrl` is `basePath + path` plus the
 *   query and `req.baseUrl` is `basePath`, as Express shows a mounted app; `req.headers` is a copy
 *   of the request's (with `transfer-encoding: chunked` added when a body has neither framing
 *   header, so body parsers see it, and `host` set to `authority`); `req.socket` is a stand-in with
 *   `remoteAddress` and `encrypted`. {@link getGatewayRequest} returns the gateway request.
 * - The body streams from `request.body`, pulled as the listener reads.
 * - The gateway response resolves when the head is committed (`writeHead`, `flushHeaders`, the
 *   first `write` or `end`): status, `statusMessage` as `statusText`, every header the listener set
 *   (`set-cookie` a list) minus hop-by-hop ones and the `date` Node adds on its own. A response
 *   ended at once has its body as bytes; any other streams, unframed, with truthful backpressure.
 *   HEAD, 1xx, 204 and 304 have no body.
 * - `next()` before the head resolves `pass()`; `next(error)`, a throw or a rejected promise
 *   rejects with that error. After the head, an error makes the body's iteration reject; a
 *   plain `next()` is ignored.
 * - `request.signal` aborting, or the consumer stopping early, is the client going away: `req`
 *   emits `aborted` and `close`, `res` emits `close` unfinished.
 *
 * Unless `fuse` is false: given a `toNodeListener` product it returns the app that product serves,
 * and the app it returns carries, under `kNodeListener`, a listener that runs `listener` on a
 * server's real `req`/`res` with the same observable results (rule 35); `toNodeListener` and
 * `serve()` use it. Called with a `next` (as `serve()` and host frameworks call it), it hands that
 * `next` every error — one after the head once it has closed the connection — so `serve()`'s
 * `onError` reports it; called without (a bare `http.createServer(toNodeListener(app))`), it
 * answers an error before the head with `errorResponse(error)`, closes the connection on one
 * after, and logs neither.
 *
 * @example
 * ```ts
 * import { fromNodeListener, mount, serve } from "@gangway/core";
 * const legacy = fromNodeListener((req, res) => {
 *   res.setHeader("content-type", "text/plain");
 *   res.end(`legacy saw ${req.url} under ${req.baseUrl}`);
 * });
 * await serve(mount({ "/legacy": legacy }));
 * ```
 */
export function fromNodeListener(listener: NodeListener, options: FromNodeListenerOptions = {}): GatewayApp {
  if (typeof listener !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `got ${typeof listener}`);
  const origin = (listener as { [kGatewayApp]?: GatewayApp })[kGatewayApp];
  if (origin !== undefined && options.fuse !== false) return origin;
  const app = function socketlessApp(request: GatewayRequest): Promise<GatewayResponse> {
    if (request.signal.aborted) return Promise.reject(request.signal.reason);
    return new Exchange(request).run(listener);
  } as GatewayApp & { [kNodeListener]: FusedNodeListener };
  if (options.fuse !== false) {
    const fused = toFusedListener(listener) as FusedNodeListener & { [kGatewayApp]?: GatewayApp };
    // Marked as toNodeListener marks its listeners, so fromNodeListener(toNodeListener(app)) is `app` here too.
    fused[kGatewayApp] = app;
    app[kNodeListener] = fused;
  }
  return app;
}

/**
 * The gateway request a socketless `req` stands for — its `basePath`, `env` and the rest — or
 * `undefined` for any other request (one a server received, or a fused listener's).
 *
 * @example
 * ```ts
 * const app = fromNodeListener((req, res) => {
 *   const request = getGatewayRequest(req);
 *   res.end(`mounted at ${request?.basePath ?? ""}`);
 * });
 * ```
 */
export function getGatewayRequest(req: IncomingMessage): GatewayRequest | undefined {
  return (req as { [kGatewayRequest]?: GatewayRequest })[kGatewayRequest];
}

/**
 * The fused path (rule 35): `listener` on a server's own `req`/`res`, answering what a server would
 * answer for the unfused app's result — a `pass()` 404 for `next()`, `errorResponse(error)` for an
 * error before the head, a closed connection for one after. Given a `next` of its own (a host
 * framework's, or the one `serve()` passes), errors go there instead: before the head, as
 * `toNodeListener` does; after it too, once the connection is closed, so that the server reports
 * it (rules 24, 27) where the socketless path makes the body's iteration fail with it. A failure
 * after the head reaches us as `next(error)` (Express), a rejection, or the error of a stream the
 * framework piped into `res` (Koa, Fastify: see `watchPipedErrors`).
 */
function toFusedListener(listener: NodeListener): FusedNodeListener {
  return function fusedNodeListener(req, res, next) {
    const mounted = req as IncomingMessage & { originalUrl?: string; baseUrl?: string };
    // What the socketless path shows at the root.
    mounted.originalUrl = req.url ?? "/";
    mounted.baseUrl = "";
    let handedBack = false;
    // The response closed before it finished: the client went away, and what fails from now on
    // is a consequence of that, not reported (rule 26).
    let clientGone = false;
    const settle = (failed: boolean, error: unknown) => {
      if (handedBack) return;
      if (res.headersSent) {
        if (!failed) return;
        // A response the listener ended stands; one it left open is cut short (rule 27).
        if (!res.writableEnded) closeConnection(res);
        if (next === undefined || clientGone) return;
        handedBack = true;
        next(error);
        return;
      }
      handedBack = true;
      if (res.destroyed) return;
      if (!failed) answer(res, req.method ?? "GET", pass());
      else if (next !== undefined) next(error);
      else answer(res, req.method ?? "GET", errorResponse(error));
    };
    if (next !== undefined) {
      // Only a `next` hears of a failure after the head; without one there is nobody to tell.
      const stop = watchPipedErrors(res, (error) => settle(true, error));
      res.once("close", () => {
        clientGone = !res.writableFinished;
        stop();
      });
    }
    try {
      const result = listener(req, res, (error) => settle(Boolean(error), error));
      if (typeof (result as PromiseLike<void> | undefined)?.then === "function") {
        (result as PromiseLike<void>).then(undefined, (error: unknown) => settle(true, error));
      }
    } catch (error) {
      settle(true, error);
    }
  };
}
