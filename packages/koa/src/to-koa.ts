import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import {
  type ClientWatch,
  checkResponse,
  defineLazySignal,
  discardBody,
  discardUnread,
  discardUnreadAfter,
  fromReadable,
  type GatewayApp,
  type GatewayEnv,
  GatewayError,
  type GatewayRequest,
  getGatewayRequest,
  hasBody,
  isBodyUsed,
  isPass,
  isThenable,
  leavesLargeBodyUnread,
  watchClient,
} from "@gangway/core";
import type { Middleware, ParameterizedContext } from "koa";
import { koaRunnerOf } from "./fuse.js";
import { fusedMiddleware } from "./fused-middleware.js";
import { fromHostBody, isBodyConsumed } from "./host-body.js";
import { guardHostErrors } from "./host-errors.js";
import { toMountView } from "./host-path.js";
import { applyResponse, readyResponse } from "./host-response.js";
import "./env.js";

/** Options for {@link toKoa}. */
export interface ToKoaOptions {
  /**
   * Run a `fromKoa` product's Koa app directly in this host's chain on the real `req`/`res`
   * instead of through a gateway request and response (fusion, rule 35). Default `true`.
   */
  fuse?: boolean;
}

/**
 * Runs a gateway app as Koa middleware: `koa.use(toKoa(app))`, or under koa-mount or a
 * @koa/router wildcard route, where the app sees the consumed prefix as `basePath`.
 *
 * - `pass()` falls through: the middleware awaits `next()` and the rest of the chain answers.
 * - A throw or rejection travels up Koa's chain (upstream `try`/`catch`, then `app.on("error")`).
 * - The response is set through Koa (`ctx.status`, `ctx.body`, `ctx.set`, `ctx.message`), so
 *   koa-compress, loggers and headers set after `await next()` still apply; a streamed body
 *   becomes a Node stream with backpressure, finished when Koa or the client drops it.
 * - A body a host parser already read reaches the app re-encoded, or fails with
 *   `GW_ERR_BODY_CONSUMED` (rule 34).
 *
 * `env["koa.ctx"]` is the live context; `env["node.req"]`/`env["node.res"]` the Node pair.
 *
 * @example
 * ```ts
 * import Koa from "koa";
 * import { text } from "@gangway/core";
 * import { toKoa } from "@gangway/koa";
 * new Koa().use(toKoa((request) => text(`hello from ${request.path}`))).listen(3000);
 * ```
 */
export function toKoa(app: GatewayApp, options: ToKoaOptions = {}): Middleware {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `got ${typeof app}`);
  const gatewayMiddleware: Middleware = async function gatewayMiddleware(ctx, next) {
    const { req, res } = ctx;
    guardHostErrors(ctx);
    // The client went away before the response completed (rule 11) — not the end of the request
    // body. The watch stays after the middleware returns: Koa sends a stream body after it, and the
    // signal must abort meanwhile.
    const client = watchClient(res);
    let request: GatewayRequest | undefined;
    let passed = false;
    try {
      request = toGatewayRequest(ctx, client);
      const result = app(request);
      // A synchronous app's response needs no extra turn of the microtask queue.
      const response = checkResponse(isThenable(result) ? await result : result);
      // A body the app started reading cannot be offered to the middleware after it (as in
      // cascade, rule 30): then the pass is answered as the 404 it is.
      if (isPass(response) && !isBodyUsed(request.body)) {
        passed = true;
        await discardBody(response.body);
      } else {
        const ready = readyResponse(response, ctx.method, client);
        applyResponse(ctx, isThenable(ready) ? await ready : ready);
      }
    } catch (error) {
      // Once the client has gone, errors are consequences of the disconnect, not app faults (rule 26).
      if (client.gone) return;
      // Koa answers the error (a 413 from readBytes, say); what is left of the upload is dropped
      // within serve()'s bounds, as after an answer, instead of drained without end.
      if (request !== undefined) boundUnread(req, res, request.body);
      throw error;
    }
    if (passed) {
      await next();
      return;
    }
    // An upload the app left unread, or read part of: Node would drain it without bound, or leave
    // it paused and hold the connection (and the server's close) for as long as the client keeps
    // sending. Bounded as serve() bounds it, and a large one announced with `connection: close`.
    if (leavesLargeBodyUnread(req, request.body, false)) ctx.set("connection", "close");
    // Koa sends a streamed body after this returns, and the app may be streaming the upload back:
    // what it left unread is known once the response is out.
    boundUnread(req, res, request.body, true);
  };
  const runner = koaRunnerOf(app);
  if (runner !== undefined && options.fuse !== false) return fusedMiddleware(runner, gatewayMiddleware);
  return gatewayMiddleware;
}

/**
 * Drops what the app left of the upload within serve()'s bounds, on a real socket only: at once,
 * or (`answered`) once the response is out.
 */
function boundUnread(req: IncomingMessage, res: ServerResponse, body: GatewayRequest["body"], answered = false): void {
  // Under fromKoa the socketless pair finishes the body itself.
  if (body !== null && !req.complete && !req.destroyed && getGatewayRequest(req) === undefined) {
    if (answered) discardUnreadAfter(req, res);
    else discardUnread(req, res);
  }
}

/**
 * The gateway request for a Koa context. Scheme, authority and remote address follow Koa's own
 * `ctx.protocol`, `ctx.host` and `ctx.ip`, so they honour forwarded headers only when the host
 * app opted in with `app.proxy = true` (rule 7).
 */
function toGatewayRequest(ctx: ParameterizedContext, client: ClientWatch): GatewayRequest {
  const { req, res } = ctx;
  const view = toMountView(ctx);
  const socket = req.socket as TLSSocket | undefined;
  // A Koa app inside fromKoa runs on a socketless request: the env of the gateway request behind
  // it (what middleware outside added) carries on, as mount and compose carry it on.
  const outer = getGatewayRequest(req);
  const env: GatewayEnv =
    outer === undefined
      ? { "gangway.version": "1.0", "node.req": req, "node.res": res, "koa.ctx": ctx }
      : { ...outer.env, "gangway.version": "1.0", "node.req": req, "node.res": res, "koa.ctx": ctx };
  let body: GatewayRequest["body"] = null;
  let headers: GatewayRequest["headers"] = req.headers;
  // A request without content keeps `body: null` whatever the host did (rule 10).
  if (hasBody(req)) {
    if (isBodyConsumed(req)) ({ body, headers } = fromHostBody(ctx));
    // Core's reader, not req.iterator(): no async generator per request.
    else body = fromReadable(req);
  }
  return defineLazySignal(
    {
      method: ctx.method,
      scheme: ctx.protocol === "https" ? "https" : "http",
      authority: view.authority ?? (hostOf(ctx) || localAuthority(socket)),
      basePath: view.basePath,
      path: view.path,
      query: view.query,
      headers,
      body,
      remoteAddress: ctx.ip || undefined,
      env,
    },
    client,
  );
}

// Per request prototype (`app.request`): whether `host` there is Koa's own getter, not one the
// host app defined over it.
const koaHost = new WeakMap<object, boolean>();

/**
 * Koa's `ctx.host`, read straight from the `host` header when Koa's getter would return it as it
 * is — no proxy trust, HTTP/1, a single value without userinfo — which spares the split Koa makes
 * per request. Anything else, or a host app that redefined `request.host`, asks Koa.
 */
function hostOf(ctx: ParameterizedContext): string {
  const { req } = ctx;
  const host = req.headers.host;
  if (
    host !== undefined &&
    !ctx.app.proxy &&
    req.httpVersionMajor < 2 &&
    !host.includes(",") &&
    !host.includes("@") &&
    isKoaHost(ctx.request)
  ) {
    return host;
  }
  return ctx.host;
}

function isKoaHost(request: object): boolean {
  if (Object.hasOwn(request, "host")) return false;
  const proto = Object.getPrototypeOf(request) as object;
  let koas = koaHost.get(proto);
  if (koas === undefined) {
    // Koa's request object is the last prototype before Object.prototype: the getter must be its.
    let holder: object | null = proto;
    while (holder !== null && !Object.hasOwn(holder, "host")) holder = Object.getPrototypeOf(holder);
    koas = holder !== null && Object.getPrototypeOf(holder) === Object.prototype;
    koaHost.set(proto, koas);
  }
  return koas;
}

/** HTTP/1.0 without a host header: the server's own address (rule 7). */
function localAuthority(socket: TLSSocket | undefined): string {
  const address = socket?.localAddress ?? "localhost";
  return `${address.includes(":") ? `[${address}]` : address}:${socket?.localPort ?? 80}`;
}
