import { IncomingMessage, ServerResponse } from "node:http";
import { fromNodeListener, type GatewayApp, GatewayError, type NodePrototypes } from "@gangway/core";
import { gatewayAppOf, markExpressHandler } from "./fuse.js";
import type { ExpressHandler, ExpressNext } from "./to-express.js";

/** Options for {@link fromExpress}. */
export interface FromExpressOptions {
  /**
   * Where an error that reaches the end of the Express app goes (one no error middleware of the
   * app answered). `"reject"` (default): the gateway call rejects with it before the response
   * started (the body's iteration fails after), so the gateway caller's error path sees the very
   * error object (rule 27). `"express"`: Express's own final handler renders it, as it would for
   * the app served natively (its HTML error page; no stack when the app's `env` is production).
   *
   * Client errors — a 4xx `status` or `statusCode`, as http-errors makes them: body-parser's 400
   * and 413, `res.format`'s 406 — are rendered by Express in both modes: they are answers the app
   * meant, not failures.
   */
  errors?: "reject" | "express";
  /**
   * Hand the app inside a `toExpress` product back instead of wrapping it, and let `toExpress` and
   * `serve()` run the Express app on their own `req`/`res` (fusion, rule 35). Default `true`.
   */
  fuse?: boolean;
}

/** An Express app, a Router, or any `(req, res, next)` middleware. */
export type ExpressLike = ((req: IncomingMessage, res: ServerResponse, next: ExpressNext) => unknown) & {
  get?: (setting: string) => unknown;
};

/**
 * Makes an Express app (or a Router, or any Connect-style middleware) a gateway app. Express sees
 * what it would see mounted natively at `request.basePath`: `req.baseUrl` is the base path,
 * `req.url` the path and query, `req.originalUrl` both; `req.ip`, `req.protocol` and
 * `req.hostname` follow the app's own `trust proxy` setting. The response streams as Express
 * writes it — `res.write()` reaches the caller chunk by chunk, server-sent events work — with
 * every header, cookie and status Express set.
 *
 * A request no route matched (Express's final handler reached without an error) answers
 * `pass()`, so `cascade` and the `to*` adapters can try elsewhere; a 404 the app sends itself is an
 * ordinary response. An error that reaches the final handler rejects the gateway call, unless it
 * is a client error such as body-parser's 400 (see {@link FromExpressOptions.errors}).
 *
 * `serve(fromExpress(app))` and `toExpress(fromExpress(app))` run `app` on the real `req`/`res`
 * (fusion); `fromExpress(toExpress(gatewayApp))` is `gatewayApp` itself.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { cascade, serve } from "@gangway/core";
 * import { fromExpress } from "@gangway/express";
 * const legacy = express().get("/users/:id", (req, res) => res.json({ id: req.params.id }));
 * await serve(cascade(newApp, fromExpress(legacy)), { port: 3000 });
 * ```
 */
export function fromExpress(app: ExpressLike, options: FromExpressOptions = {}): GatewayApp {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `fromExpress got ${typeof app}`);
  const fuse = options.fuse !== false;
  const inner = fuse ? gatewayAppOf(app) : undefined;
  if (inner !== undefined) return inner;
  const render = options.errors === "express";
  const handler: ExpressHandler = function expressHandler(req, res, next) {
    app(req, res, (error?: unknown) => {
      // Express calls its final callback with undefined or null when nothing matched, and Router
      // with "route"/"router" from a handler that skipped the rest; none of them is an error.
      if (error === undefined || error === null || error === "route" || error === "router") next();
      // A client error (body-parser's 400 and 413, res.format's 406) is an answer the app meant,
      // as in Koa: Express renders it, in both modes.
      else if (render || isClientError(error)) void renderError(app, req, res, error);
      else next(error);
    });
  };
  const gatewayApp = fromNodeListener(handler, { fuse, prototypes: expressPrototypes(app) });
  return fuse ? markExpressHandler(gatewayApp, handler) : gatewayApp;
}

/**
 * The prototypes an Express app puts under every `req` and `res` (`app.request`, `app.response`),
 * for the socketless pair and `serve()` to build them on: Express's per-request
 * `Object.setPrototypeOf` then changes nothing, and V8 lets the messages die young (see core's
 * `NodePrototypes`). `undefined` for a Router or Connect middleware, which swaps nothing.
 */
function expressPrototypes(app: ExpressLike): NodePrototypes | undefined {
  const { request, response } = app as { request?: unknown; response?: unknown };
  if (!inherits(request, IncomingMessage.prototype) || !inherits(response, ServerResponse.prototype)) return undefined;
  return { request, response };
}

function inherits(value: unknown, prototype: object): value is object {
  return typeof value === "object" && value !== null && Object.prototype.isPrototypeOf.call(prototype, value);
}

/** Whether `error` carries a 4xx status the way http-errors (and Express's final handler) read it. */
function isClientError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const code = typeof status === "number" ? status : statusCode;
  return typeof code === "number" && code >= 400 && code < 500;
}

/**
 * Lets Express's own final handler answer `error` for `app`, as it would have without a callback:
 * an empty Express app whose one middleware forwards the error, in the wrapped app's `env`.
 * Express is a peer dependency, loaded only for this.
 */
async function renderError(app: ExpressLike, req: IncomingMessage, res: ServerResponse, error: unknown) {
  const { default: express } = await import("express");
  const renderer = express();
  renderer.set("env", app.get?.("env") ?? process.env.NODE_ENV ?? "development");
  // The wrapped app already set (or chose not to set) x-powered-by.
  renderer.disable("x-powered-by");
  renderer.use((_req, _res, next) => next(error));
  renderer(req as never, res as never);
}
