import type { TLSSocket } from "node:tls";
import {
  checkResponse,
  discardBody,
  type GatewayApp,
  GatewayError,
  type GatewayRequest,
  getGatewayRequest,
  hasBody,
  isBodyUsed,
  isPass,
  OnceBody,
} from "@gangway/core";
import type { Middleware, ParameterizedContext } from "koa";
import { koaRunnerOf } from "./fuse.js";
import { fusedMiddleware } from "./fused-middleware.js";
import { fromHostBody, isBodyConsumed } from "./host-body.js";
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
  const gatewayMiddleware: Middleware = async (ctx, next) => {
    const res = ctx.res;
    const controller = new AbortController();
    // The client went away before the response completed (rule 11): not the end of the request body.
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    const request = toGatewayRequest(ctx, controller.signal);
    const response = checkResponse(await app(request));
    // A body the app started reading cannot be offered to the middleware after it (as in cascade,
    // rule 30): then the pass is answered as the 404 it is.
    if (isPass(response) && !isBodyUsed(request.body)) {
      await discardBody(response.body);
      await next();
      return;
    }
    applyResponse(ctx, await readyResponse(response, ctx.method));
  };
  const runner = koaRunnerOf(app);
  if (runner !== undefined && options.fuse !== false) return fusedMiddleware(runner, gatewayMiddleware);
  return gatewayMiddleware;
}

/**
 * The gateway request for a Koa context. Scheme, authority and remote address follow Koa's own
 * `ctx.protocol`, `ctx.host` and `ctx.ip`, so they honour forwarded headers only when the host
 * app opted in with `app.proxy = true` (rule 7).
 */
function toGatewayRequest(ctx: ParameterizedContext, signal: AbortSignal): GatewayRequest {
  const { req, res } = ctx;
  const view = toMountView(ctx);
  const { body, headers } = toRequestBody(ctx);
  const socket = req.socket as TLSSocket | undefined;
  return {
    method: ctx.method,
    scheme: ctx.protocol === "https" ? "https" : "http",
    authority: view.authority ?? (ctx.host || localAuthority(socket)),
    basePath: view.basePath,
    path: view.path,
    query: view.query,
    headers,
    body,
    signal,
    remoteAddress: ctx.ip || undefined,
    // A Koa app inside fromKoa runs on a socketless request: the env of the gateway request behind
    // it (what middleware outside added) carries on, as mount and compose carry it on.
    env: { ...getGatewayRequest(req)?.env, "gangway.version": "1.0", "node.req": req, "node.res": res, "koa.ctx": ctx },
  };
}

/** The body as the host left it: the stream when unread, else rebuilt from what a parser kept (rule 34). */
function toRequestBody(ctx: ParameterizedContext): {
  body: GatewayRequest["body"];
  headers: GatewayRequest["headers"];
} {
  const req = ctx.req;
  // A request without content keeps `body: null` whatever the host did (rule 10).
  if (!hasBody(req)) return { body: null, headers: req.headers };
  if (isBodyConsumed(req)) return fromHostBody(ctx);
  // destroyOnReturn: false — an app that stops reading early must not tear down the socket the
  // response still has to go out on.
  return { body: new OnceBody(() => req.iterator({ destroyOnReturn: false }), req), headers: req.headers };
}

/** HTTP/1.0 without a host header: the server's own address (rule 7). */
function localAuthority(socket: TLSSocket | undefined): string {
  const address = socket?.localAddress ?? "localhost";
  return `${address.includes(":") ? `[${address}]` : address}:${socket?.localPort ?? 80}`;
}
