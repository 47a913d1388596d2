import type { IncomingMessage, ServerResponse } from "node:http";
import { finished } from "node:stream";
import { closeConnection, DRAIN_BYTES, discardUnread } from "@gangway/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { reportLate } from "./late-error.js";
import { toMountPoint } from "./mount-point.js";
import { routeContext } from "./route-context.js";

/**
 * What a fused route runs the real request through: a `fromFastify` product's origin (which waits
 * for its instance to be ready) or the Node listener a `fromNodeListener` product carries.
 * `next()` means nothing matched, `next(error)` an error the wrapped app left to its host.
 */
export interface FusedTarget {
  /** Resolves once the target can route; absent when it always can. */
  readonly ready?: () => Promise<void>;
  readonly listener: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
}

/**
 * Whether `toFastify` may hand this request's real `req`/`res` to a wrapped instance (fusion,
 * rule 35) with nothing observable changing. Not when the route has `onSend` or `preSerialization`
 * hooks (cookies, compression...): they act on `reply.send()`, which a fused response never calls.
 * Not when it has `onResponse` hooks: they would read the instance's `req.url`, which is put back
 * only once the response finished. Not when the reply already holds a `set-cookie`: the
 * instance's own would replace it. Fastify keeps its hooks on the route context, which it does
 * not expose (see `routeContext`); without it, fusion is off.
 *
 * @example
 * ```ts
 * if (canFuse(request, reply)) return fusedHandler(origin, prefix, request, reply);
 * ```
 */
export function canFuse(request: FastifyRequest, reply: FastifyReply): boolean {
  const context = routeContext(request);
  if (context === undefined || context.onSend !== null || context.preSerialization !== null) return false;
  if (context.onResponse !== null) return false;
  return reply.getHeader("set-cookie") === undefined;
}

/**
 * Whether a `fromNodeListener` product (an app made by `fromExpress` or `fromKoa`, say) may run on
 * this request's real `req`/`res` with nothing observable changing, beyond {@link canFuse}: the
 * target in origin-form, and the upload untouched and bounded by its framing — a body no `preParsing` stream replaced and no host
 * parser read, with no body or a `content-length` within the body limit (the content-type parser
 * has refused a larger one with 413) and within the 64 KiB a server drains of an unread upload. A chunked upload stays unfused: there the unfused path
 * enforces Fastify's `bodyLimit` as the app reads, which the framework would not. Any prefix
 * fuses: {@link fusedHandler} shows the framework the mount fields the unfused path shows, and
 * core's fused listener keeps them.
 *
 * @example
 * ```ts
 * if (canFuseListener(request, reply, payload, limitOf)) return fusedHandler(target, prefix, request, reply);
 * ```
 */
export function canFuseListener(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  limitOf: (request: FastifyRequest) => number,
): boolean {
  const req = request.raw;
  // An absolute-form target (rule 5): unfused, its authority wins over the host header, which the
  // framework reads as it is.
  if (req.url?.charCodeAt(0) !== 0x2f) return false;
  const { headers } = req;
  const length = headers["content-length"];
  if (length === undefined ? headers["transfer-encoding"] !== undefined : length !== "0") {
    const untouched = payload === req || (payload === undefined && request.body === undefined && !req.readableDidRead);
    if (!untouched || length === undefined || !(Number(length) <= limitOf(request))) return false;
    // An upload past the drain bound that the framework might leave unread: the unfused path
    // answers it with `connection: close`; a framework on the real socket would keep the
    // connection and drain it without bound (Node's default under Koa, Express's finalhandler).
    if (Number(length) > DRAIN_BYTES) return false;
  }
  return canFuse(request, reply);
}

type MountedRequest = IncomingMessage & { originalUrl?: string; baseUrl?: string };

/**
 * Routes the real request through a wrapped app (a `fromFastify` instance, or the framework behind
 * a `fromNodeListener` product), mounted as the unfused path would mount it: it sees `req.url` =
 * path + query, `req.originalUrl` the whole target and `req.baseUrl` the mount prefix, as a
 * socketless pair shows them; they are put back once it is done. Headers the host's hooks set on
 * the reply go out with its response (as @fastify/express copies them). No route matched →
 * `reply.callNotFound()`; an error before the head → this handler rejects, so the host's error handler sees it; one after → the connection
 * is cut and the error goes to the host's error path as the unfused path's failing body does
 * (`reportLate`, rules 24, 27). Once the response is out, an upload left unread is drained within
 * bounds, as on the unfused path.
 *
 * @example
 * ```ts
 * fastify.all("/*", (request, reply) => fusedHandler(origin, fastify.prefix, request, reply));
 * ```
 */
export function fusedHandler(
  target: FusedTarget,
  prefix: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const req = request.raw as MountedRequest;
  const res = reply.raw;
  const { basePath, path, query } = toMountPoint(req, prefix);
  const saved = { url: req.url, originalUrl: req.originalUrl, baseUrl: req.baseUrl };
  const search = query === "" ? "" : `?${query}`;
  req.url = (path === "" ? "/" : path) + search;
  req.originalUrl = basePath + path + search;
  req.baseUrl = basePath;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    req.url = saved.url;
    put(req, "originalUrl", saved.originalUrl);
    put(req, "baseUrl", saved.baseUrl);
  };
  const headers = reply.getHeaders();
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  return new Promise((resolve, reject) => {
    // Resolving with the reply tells Fastify the response is handled; it settles once it is sent.
    finished(res, () => {
      restore();
      discardUnread(req, res);
      resolve(reply);
    });
    const route = () => {
      target.listener(req, res, (error) => {
        restore();
        if (error === undefined || error === null) {
          reply.callNotFound();
          resolve(reply);
        } else if (res.headersSent) {
          // After commit: cut short unless the app ended it, and reported, never a second head.
          if (!res.writableEnded) closeConnection(res);
          reportLate(reply, error);
          resolve(reply);
        } else {
          reject(error);
        }
      });
      // Put back once the response is complete: after the instance's own response listeners,
      // which routing (synchronous once the instance is ready) has just added, and before the
      // host's close listeners.
      res.once("finish", restore);
    };
    if (target.ready === undefined) route();
    else
      target.ready().then(route, (error: unknown) => {
        restore();
        reject(error);
      });
  });
}

function put(req: MountedRequest, name: "originalUrl" | "baseUrl", value: string | undefined): void {
  if (value === undefined) delete req[name];
  else req[name] = value;
}
