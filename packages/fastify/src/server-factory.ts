import { createServer as createHttpServer, type RequestListener, type Server, type ServerOptions } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from "node:https";
import { type GatewayApp, GatewayError, toServerOptions } from "@gangway/core";

/** The settings of Fastify's own that it builds its HTTP/1 server from, as it hands them to a `serverFactory`. */
interface FastifyServerSettings {
  http?: ServerOptions | null;
  https?: HttpsServerOptions | boolean | null;
  http2?: boolean;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

/**
 * A Fastify `serverFactory`: Fastify calls it with its request handler and its options.
 *
 * @example
 * ```ts
 * const factory: GatewayServerFactory = toServerFactory(fromExpress(expressApp));
 * const fastify = Fastify({ serverFactory: factory });
 * ```
 */
export type GatewayServerFactory = (handler: RequestListener, settings: Record<string, unknown>) => Server;

/**
 * A Fastify `serverFactory` that builds the server Fastify would build — HTTP/1 or HTTPS, with
 * Fastify's `http`/`https` options, `keepAliveTimeout`, `requestTimeout`, `connectionTimeout` and
 * `maxRequestsPerSocket` — with its `req`/`res` made on the prototypes `toServerOptions(app)` gives
 * (for `fromExpress(app)`: `app.request`/`app.response`). Fused under `toFastify`, Express runs on
 * Fastify's own messages, and its per-request `Object.setPrototypeOf` then finds its prototypes in
 * place: V8 makes that swap cost more than the rest of Express's hello (docs/performance.md). For
 * an app without prototypes of its own, or with `fuse: false` (when Express runs on the socketless
 * pair, not on Fastify's messages), the server is Fastify's usual one. Every route of the
 * instance sees `request.raw`/`reply.raw` on those prototypes, as every route after
 * @fastify/express's hook does. HTTP/2 messages are not node:http's: with `http2` it throws
 * `GW_ERR_INVALID_APP`.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { fromExpress } from "@gangway/express";
 * import { toFastify, toServerFactory } from "@gangway/fastify";
 * const legacy = fromExpress(expressApp);
 * const fastify = Fastify({ serverFactory: toServerFactory(legacy) });
 * await fastify.register(toFastify(legacy), { prefix: "/legacy" });
 * ```
 */
export function toServerFactory(app: GatewayApp, options: { fuse?: boolean } = {}): GatewayServerFactory {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `got ${typeof app}`);
  const classes = toServerOptions(app, options);
  return function gatewayServerFactory(handler, given) {
    const settings = given as FastifyServerSettings;
    if (settings.http2) {
      throw new GatewayError("GW_ERR_INVALID_APP", "toServerFactory builds HTTP/1 servers; drop it with http2");
    }
    const https = settings.https === true ? {} : settings.https;
    // The same server Fastify's getServerInstance builds when there is no factory, but for the classes.
    const server = https
      ? createHttpsServer({ ...https, ...classes }, handler)
      : createHttpServer({ ...settings.http, ...classes }, handler);
    if (settings.keepAliveTimeout !== undefined) server.keepAliveTimeout = settings.keepAliveTimeout;
    if (settings.requestTimeout !== undefined) server.requestTimeout = settings.requestTimeout;
    if (settings.connectionTimeout !== undefined) server.setTimeout(settings.connectionTimeout);
    // Fastify reads zero as "Node's default" here.
    if (settings.maxRequestsPerSocket !== undefined && settings.maxRequestsPerSocket > 0) {
      server.maxRequestsPerSocket = settings.maxRequestsPerSocket;
    }
    return server;
  };
}
