import type { IncomingMessage, ServerResponse } from "node:http";
import {
  announceClose,
  type ClientWatch,
  discardBody,
  discardUnread,
  type GatewayApp,
  GatewayError,
  type GatewayRequest,
  type GatewayResponse,
  isBodyUsed,
  isPass,
  isThenable,
  type OutgoingHeaders,
  sendResponse,
  toGatewayRequest,
  watchClient,
} from "@gangway/core";
import { expressHandlerOf, markGatewayApp, nodeListenerOf } from "./fuse.js";
import { fusedListenerMiddleware } from "./fused-listener.js";
import { fusedMiddleware, respondError } from "./fused-middleware.js";
import { fromHostBody, isBodyConsumed } from "./host-body.js";
// Types `request.env["express.req"]` and `["express.res"]` for every importer (declaration merging).
import "./env.js";

/** The `next` an Express or Connect middleware receives. */
export type ExpressNext = (error?: unknown) => void;

/**
 * A middleware in the shape Express, Connect and every Node framework that borrowed it call:
 * `(req, res, next)`. Express adds `baseUrl` and `originalUrl` to `req`; Connect adds `originalUrl`.
 */
export type ExpressHandler = (
  req: IncomingMessage & { baseUrl?: string; originalUrl?: string },
  res: ServerResponse,
  next: ExpressNext,
) => void;

/** Options for {@link toExpress}. */
export interface ToExpressOptions {
  /**
   * What happens to an error the app throws or rejects with, or that its response raises.
   * `"next"` (default): `next(error)`, so the host's error middleware sees the very error object
   * (rule 27). `"respond"`: the middleware answers it like `serve()` does (500, no stack in
   * production) and logs what it cannot answer to standard error.
   */
  errors?: "next" | "respond";
  /**
   * Run an Express handler wrapped by `fromExpress` on the host's own `req`/`res` instead of
   * building a gateway request around them (fusion, rule 35). Default `true`.
   */
  fuse?: boolean;
}

type HostRequest = Parameters<ExpressHandler>[0];

/**
 * Mounts a gateway app in Express (or Connect): `expressApp.use("/legacy", toExpress(app))`. The
 * app sees `basePath` = `req.baseUrl` and `path`/`query` from `req.url`, the method, the
 * headers, the body stream (or the body a host parser already read, rebuilt: rule 34) and a
 * signal that aborts when the client goes away; `env` holds `"express.req"`/`"express.res"` and
 * `"node.req"`/`"node.res"`.
 *
 * `pass()` calls `next()`, so the routes after it still run. An error calls `next(error)`, so the
 * host's error handlers see it (see {@link ToExpressOptions.errors}). Headers the host set before
 * (helmet, CORS, `res.cookie`) are kept, with `set-cookie` appended to, never replaced; the body
 * goes through `res.write`/`res.end`, so host middleware that wraps them (compression) applies.
 *
 * `toExpress(fromExpress(expressApp))` runs `expressApp` directly, as a native mount would, and
 * `toExpress(fromKoa(koaApp))`, `toExpress(fromFastify(instance))` run the framework on Express's
 * own `req`/`res` as a Connect middleware would, whenever that changes nothing observable.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { text } from "@gangway/core";
 * import { toExpress } from "@gangway/express";
 * const app = express();
 * app.use("/gw", toExpress((request) => text(`hello from ${request.basePath}${request.path}`)));
 * app.listen(3000);
 * ```
 */
export function toExpress(app: GatewayApp, options: ToExpressOptions = {}): ExpressHandler {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `got ${typeof app}`);
  const errors = options.errors ?? "next";
  const middleware: ExpressHandler = function gatewayMiddleware(req, res, next) {
    // Express ignores a middleware's return value; run() never rejects.
    void run(app, req, res, next, errors);
  };
  if (options.fuse !== false) {
    // Fusion (rule 35): an Express app runs as a native mount would; any other framework a
    // `fromNodeListener` product wraps (Koa, Fastify) as a Connect middleware would.
    const handler = expressHandlerOf(app);
    if (handler !== undefined) return fusedMiddleware(handler, errors, middleware);
    const listener = nodeListenerOf(app);
    if (listener !== undefined) return fusedListenerMiddleware(listener, errors, middleware);
  }
  return markGatewayApp(middleware, app);
}

async function run(
  app: GatewayApp,
  req: HostRequest,
  res: ServerResponse,
  next: ExpressNext,
  errors: "next" | "respond",
): Promise<void> {
  // The client went away before the response completed (rule 11) — not the end of the request body.
  // Nothing here reads `request.signal`, which is made only if the app does.
  const client = watchClient(res);
  let request: GatewayRequest | undefined;
  let failure: { error: unknown } | undefined;
  let passed = false;
  try {
    request = toRequest(req, res, client);
    // The request stream itself, not a body rebuilt from what a host parser left in req.body.
    const live = request.body !== null && !isBodyConsumed(req);
    const result = app(request);
    // A synchronous app's response needs no extra turn of the microtask queue.
    const response = isThenable(result) ? await result : result;
    // A stream the app started reading cannot be offered to the routes after it (as in cascade,
    // rule 30): then the pass is answered as the 404 it is.
    if (isPass(response) && !(live && isBodyUsed(request.body))) {
      passed = true;
      await discardBody(response.body);
    } else {
      // An upload too large to drain after the response: say so, so a keep-alive client does not
      // queue its next request on a connection about to close (as serve() does). Decided at the
      // commit point, when an app streaming the request back has started reading it.
      const body = live ? request.body : null;
      await sendResponse(res, req.method ?? "GET", withHostHeaders(res, response), () => announceClose(req, res, body));
    }
  } catch (error) {
    failure = { error };
  } finally {
    client.stop();
  }
  if (passed) {
    next();
    return;
  }
  // An app that answered without reading all of the upload: the rest is read and dropped within
  // serve()'s bounds (64 KiB / 500 ms), then the connection ends; Node alone would drain it without
  // bound. An error left to Express's handler is not bounded here: its finalhandler answers only
  // once the whole upload has arrived, as natively.
  const answered = failure === undefined || errors === "respond";
  if (answered && request?.body !== null && !req.complete && !req.destroyed) discardUnread(req, res);
  if (failure === undefined) return;
  // Once the client has gone, errors are consequences of the disconnect, not app faults (rule 26).
  if (client.gone) return;
  if (errors === "next") next(failure.error);
  else await respondError(res, request?.method ?? req.method ?? "GET", failure.error);
}

/** A gateway request while it is being built, before the app sees it. */
type Building = { -readonly [K in keyof GatewayRequest]: GatewayRequest[K] };

/**
 * The gateway request for an Express request (rules 3–13): the mount prefix from `req.baseUrl`
 * (or, under Connect, what `req.originalUrl` has in front of `req.url`), the rest from `req.url`,
 * and the body as the host left it (rule 34).
 *
 * The object core builds is completed in place, not spread into a new one: a spread would read
 * `signal` and so build the AbortController the lazy accessor exists to spare.
 */
function toRequest(req: HostRequest, res: ServerResponse, client: ClientWatch): GatewayRequest {
  const request: Building = toGatewayRequest(req, client, {
    "gangway.version": "1.0",
    "node.req": req,
    "node.res": res,
    // Express's own req/res are these same objects, their prototypes swapped by Express.
    "express.req": req as never,
    "express.res": res as never,
  });
  const urlPath = request.path;
  const originalPath = typeof req.originalUrl === "string" ? pathOf(req.originalUrl) : urlPath;
  const basePath = mountBase(req, urlPath, originalPath);
  if (basePath !== "") {
    request.basePath = basePath;
    // Under a prefix Express turns `/gw` into `req.url` `/`: `req.originalUrl` tells that case
    // (`path` `""`) from `/gw/` (`path` `/`).
    if (urlPath === "/" && originalPath === basePath) request.path = "";
  }
  // A request without content keeps `body: null` whatever the host did (rule 10).
  if (request.body !== null && isBodyConsumed(req)) {
    const { body, headers } = fromHostBody(req);
    request.body = body;
    request.headers = headers;
  }
  return request;
}

/**
 * The prefix the host mounted the middleware at (rule 4), without a trailing slash. Express strips
 * it from `req.url` and keeps it in `req.baseUrl`; Connect keeps only `req.originalUrl`.
 */
function mountBase(req: HostRequest, urlPath: string, originalPath: string): string {
  let basePath: string;
  if (typeof req.baseUrl === "string") basePath = req.baseUrl;
  else if (originalPath.endsWith(urlPath)) basePath = originalPath.slice(0, originalPath.length - urlPath.length);
  else basePath = urlPath === "/" ? originalPath : "";
  return basePath.endsWith("/") ? basePath.slice(0, -1) : basePath;
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Headers the host set before the app ran stay: Node's `writeHead` keeps every header set with
 * `setHeader` and lets the app's value win for a name both set. `set-cookie` is the exception:
 * the host's cookies (a session, `res.cookie`) must survive the app's, so the app's are appended
 * here and left out of what `sendResponse` writes.
 */
function withHostHeaders(res: ServerResponse, response: GatewayResponse): GatewayResponse {
  const headers = (response as GatewayResponse | null)?.headers;
  if (typeof headers !== "object" || headers === null || !res.hasHeader("set-cookie")) return response;
  let rest: OutgoingHeaders | undefined;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() !== "set-cookie") continue;
    const value = headers[name];
    if (value !== undefined) {
      try {
        res.appendHeader("set-cookie", typeof value === "number" ? String(value) : value);
      } catch (error) {
        throw new GatewayError("GW_ERR_INVALID_HEADER", (error as Error).message, { cause: error });
      }
    }
    rest ??= { ...headers };
    delete rest[name];
  }
  return rest === undefined ? response : { ...response, headers: rest };
}
