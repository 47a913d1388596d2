import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";
import { isAborted } from "../request-signal.js";
import { pass } from "../response.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import { hasClientLeft } from "./client-watch.js";
import { type MessageClasses, type NodePrototypes, toMessageClasses } from "./node-prototypes.js";
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
  /**
   * The prototypes the listener puts under `req` and `res` (`{ request: app.request, response:
   * app.response }` for an Express app, as `fromExpress` passes them). The socketless pair is built
   * on them, and so are the messages of a server `serve()` makes for the fused app, so that the
   * listener's own `Object.setPrototypeOf` changes nothing: V8 keeps a message whose prototype
   * changed alive through young-generation collections (see `NodePrototypes`). Each must inherit
   * from its node:http class (`GW_ERR_INVALID_APP`).
   */
  prototypes?: NodePrototypes;
}

/** The Node listener a `fromNodeListener` app carries for servers that can hand it the real `req`/`res`. */
export type FusedNodeListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
  /** The caller is a server and `res` its own fresh response: there is no host state to set aside. */
  fresh?: boolean,
) => void;

/** Where a fused listener keeps the message classes of its {@link NodePrototypes}, for `serve()`. */
export const kMessageClasses = Symbol.for("gangway.messageClasses");

/**
 * Turns a Node listener into a gateway app, with no socket (spec, "Socketless Node pairs"). Per
 * request the listener gets a real `http.IncomingMessage` and `http.ServerResponse` (instances of
 * those classes):
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
 *   ended at once has its body whole: the string itself when it was one UTF-8 string, else bytes;
 *   any other streams, unframed, with truthful backpressure.
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
 * `serve()` use it, and so do the `to*` adapters of host frameworks. Called with a `next` (as
 * `serve()` and host frameworks call it), it hands that `next` a pass (`next()`, with the host's
 * `req`/`res` as they were) and every error — one after the head once it has closed the
 * connection — so the host's routes after it run and `serve()`'s `onError` reports errors; called
 * without (a bare `http.createServer(toNodeListener(app))`), it answers a pass with the 404 of
 * `pass()`, an error before the head with `errorResponse(error)`, closes the connection on one
 * after, and logs neither. It keeps `req.baseUrl` and `req.originalUrl` when the host set them.
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
  const classes = toMessageClasses(options.prototypes);
  const origin = (listener as { [kGatewayApp]?: GatewayApp })[kGatewayApp];
  if (origin !== undefined && options.fuse !== false) return origin;
  const app = function socketlessApp(request: GatewayRequest): Promise<GatewayResponse> {
    if (isAborted(request)) return Promise.reject(request.signal.reason);
    return new Exchange(request, classes).run(listener);
  } as GatewayApp & { [kNodeListener]: FusedNodeListener };
  if (options.fuse !== false) {
    const fused = toFusedListener(listener) as FusedNodeListener & {
      [kGatewayApp]?: GatewayApp;
      [kMessageClasses]?: MessageClasses;
    };
    // Marked as toNodeListener marks its listeners, so fromNodeListener(toNodeListener(app)) is `app` here too.
    fused[kGatewayApp] = app;
    if (classes !== undefined) fused[kMessageClasses] = classes;
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
 * framework's, or the one `serve()` passes), the request is handed back to it instead: `next()`
 * for a pass, so the host's routes after it run (rule 30; `serve()`'s `next` answers the 404),
 * and `next(error)` for an error before the head, as `toNodeListener` does; after the head too,
 * once the connection is closed, so that the server reports it (rules 24, 27) where the
 * socketless path makes the body's iteration fail with it. A failure after the head reaches us as
 * `next(error)` (Express), a rejection, or the error of a stream the framework piped into `res`
 * (Koa, Fastify: see `watchPipedErrors`).
 *
 * The mount fields are the host's when it set them: Express sets `req.baseUrl` and
 * `req.originalUrl` as the unfused path shows them, and the adapters of other hosts set them
 * before the call (Koa under koa-mount, a Fastify prefix). Only a bare server's request gets the
 * root's: `req.baseUrl` "" and `req.originalUrl` = `req.url`.
 */
function toFusedListener(listener: NodeListener): FusedNodeListener {
  return function fusedNodeListener(req, res, next, fresh) {
    const mounted = req as IncomingMessage & { originalUrl?: string; baseUrl?: string };
    if (typeof mounted.baseUrl !== "string") {
      // What the socketless path shows at the root.
      mounted.originalUrl = req.url ?? "/";
      mounted.baseUrl = "";
    }
    // Only a `next` is handed the request back, and its host must find it as it left it.
    const host = next === undefined || fresh === true ? undefined : setAside(req, res);
    let handedBack = false;
    // The response closed before it finished: the client went away, and what fails from now on
    // is a consequence of that, not reported (rule 26): read off `res` when needed, rather than
    // by a `close` listener per request.
    const settle = (failed: boolean, error: unknown) => {
      if (handedBack) return;
      if (res.headersSent) {
        if (!failed) return;
        // A response the listener ended stands; one it left open is cut short (rule 27).
        if (!res.writableEnded) closeConnection(res);
        if (next === undefined || hasClientLeft(res)) return;
        handedBack = true;
        next(error);
        return;
      }
      handedBack = true;
      if (res.destroyed) return;
      if (next === undefined) answer(res, req.method ?? "GET", failed ? errorResponse(error) : pass());
      else {
        if (host !== undefined) putBack(req, res, host);
        // A server's own response goes back as fresh as it came: what the listener prepared on it
        // is not part of the pass() or the error the server answers with.
        else if (fresh === true) clearResponse(res);
        if (failed) next(error);
        else next();
      }
    };
    // Only a `next` hears of a failure after the head; without one there is nobody to tell.
    if (next !== undefined) watchPipedErrors(res, (error) => settle(true, error));
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

/** The methods a framework may wrap on `res` as own properties (on-headers, compression). */
const WRAPPED = ["writeHead", "write", "end"] as const;
type Wrapped = (typeof WRAPPED)[number];

/** What a host had on its `req`/`res` before a fused listener ran, put back when it is handed the request back. */
interface HostState {
  readonly requestPrototype: object | null;
  readonly responsePrototype: object | null;
  readonly status: number;
  readonly message: string;
  /** The headers the host set, taken off `res` while the listener runs; `undefined` for none. */
  readonly headers: OutgoingHttpHeaders | undefined;
  /** The host's own wrappers of `res` methods, `undefined` where `res` had none. */
  readonly own: Record<Wrapped, unknown>;
}

/**
 * Shows the listener the fresh response the socketless path gives it — status 200, no reason, no
 * headers — and keeps what the host had, so that:
 * - handed back (a pass, an error before the head), the host finds its `req`/`res` as it left
 *   them: Koa sets `res.statusCode = 404` up front, Express sets `x-powered-by` and swaps the
 *   prototypes of `req`/`res` for its own (restoring them only for apps it mounted itself),
 *   compression wraps `res.write`/`res.end`;
 * - answered, the host's headers go out under the listener's, as a server writes a gateway
 *   response over headers a host set (the listener's value wins for a name both set). Adapters
 *   do not fuse over a host `set-cookie`, which the unfused path appends to.
 */
function setAside(req: IncomingMessage, res: ServerResponse): HostState {
  const names = res.getHeaderNames();
  let headers: OutgoingHttpHeaders | undefined;
  if (names.length > 0) {
    headers = res.getHeaders();
    for (const name of names) res.removeHeader(name);
  }
  const own = {} as Record<Wrapped, unknown>;
  for (const name of WRAPPED) own[name] = Object.hasOwn(res, name) ? res[name] : undefined;
  const host: HostState = {
    requestPrototype: Object.getPrototypeOf(req) as object | null,
    responsePrototype: Object.getPrototypeOf(res) as object | null,
    status: res.statusCode,
    message: res.statusMessage,
    headers,
    own,
  };
  res.statusCode = 200;
  res.statusMessage = undefined as unknown as string;
  if (headers !== undefined) {
    const hostHeaders = headers;
    // Every commit goes through writeHead: write(), end() and flushHeaders() call it for an
    // implicit head.
    const writeHeadUnder = function writeHeadUnder(this: ServerResponse, ...args: unknown[]) {
      if (res.writeHead === writeHeadUnder) restoreOwn(res, "writeHead", own.writeHead);
      for (const name in hostHeaders) {
        const value = hostHeaders[name];
        if (value !== undefined && !res.hasHeader(name)) res.setHeader(name, value);
      }
      const writeHead = (own.writeHead ?? Object.getPrototypeOf(res).writeHead) as (...args: unknown[]) => unknown;
      return writeHead.apply(this, args);
    };
    res.writeHead = writeHeadUnder as ServerResponse["writeHead"];
  }
  return host;
}

/** Drops what a listener prepared on a server's fresh response before handing it back. */
function clearResponse(res: ServerResponse): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = 200;
  res.statusMessage = undefined as unknown as string;
}

/** Puts back what {@link setAside} kept, dropping what the listener prepared on `res`. */
function putBack(req: IncomingMessage, res: ServerResponse, host: HostState): void {
  if (Object.getPrototypeOf(req) !== host.requestPrototype) Object.setPrototypeOf(req, host.requestPrototype);
  if (Object.getPrototypeOf(res) !== host.responsePrototype) Object.setPrototypeOf(res, host.responsePrototype);
  for (const name of WRAPPED) restoreOwn(res, name, host.own[name]);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  if (host.headers !== undefined) {
    for (const name in host.headers) {
      const value = host.headers[name];
      if (value !== undefined) res.setHeader(name, value);
    }
  }
  res.statusCode = host.status;
  res.statusMessage = host.message;
}

function restoreOwn(res: ServerResponse, name: Wrapped, value: unknown): void {
  const target = res as unknown as Record<Wrapped, unknown>;
  if (value !== undefined) target[name] = value;
  else if (Object.hasOwn(res, name)) delete target[name];
}
