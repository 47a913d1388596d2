import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import {
  announceClose,
  type ClientWatch,
  consumedBody,
  defineLazySignal,
  discardBody,
  discardUnread,
  discardUnreadAfter,
  fromParsedBody,
  type GatewayApp,
  GatewayError,
  type GatewayRequest,
  type IncomingHeaders,
  isPass,
  isThenable,
  leavesLargeBodyUnread,
  type RequestBody,
  watchClient,
} from "@gangway/core";
import { errorCodes, type FastifyPluginCallback, type FastifyReply, type FastifyRequest } from "fastify";
import { limitBody, overLimit, toHostError } from "./body-limit.js";
import { fastifyOrigin, nodeListenerOf } from "./fuse.js";
import { canFuse, canFuseListener, fusedHandler } from "./fused-handler.js";
import { lateErrorHook } from "./late-error.js";
import { toMountPoint } from "./mount-point.js";
import { sendReply, sendWholeReply } from "./send-reply.js";
// Types `request.env["fastify.request"]` and `["fastify.reply"]` for every importer (declaration merging).
import "./env.js";

/** Options for {@link toFastify}. */
export interface ToFastifyOptions {
  /**
   * The largest request body the app may read, in bytes: a `content-length` above it is answered
   * 413 before the app runs, and a body that grows past it fails the read that crosses it.
   * @default the route's `bodyLimit` in Fastify: the server's `bodyLimit` option, 1 MiB unless set
   */
  bodyLimit?: number;
  /**
   * Let the host's content-type parsers parse bodies for the app's routes, and hand the app a
   * re-encoding of what they produced (rule 34). By default the plugin replaces every parser in
   * its own encapsulation context with a pass-through one, so the app reads the raw stream.
   * @default false
   */
  hostParsers?: boolean;
  /**
   * Route the real request through the wrapped instance's `routing(req, res)` when the app is the
   * direct product of `fromFastify` (fusion, rule 35).
   * @default true
   */
  fuse?: boolean;
}

/**
 * Makes a gateway app a Fastify plugin. Registered with a prefix, it answers every method on the
 * prefix itself and on every path under it; the app sees `basePath` = the prefix and `path` = the
 * rest. Responses go through the reply, so the host's hooks and plugins apply; `pass()` calls
 * `reply.callNotFound()`, so the host's not-found handler answers; a thrown error reaches the host's
 * error handler (`setErrorHandler`).
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { toFastify } from "@gangway/fastify";
 * const fastify = Fastify();
 * fastify.register(toFastify(legacyApp), { prefix: "/legacy" });
 * await fastify.listen({ port: 3000 });
 * ```
 */
export function toFastify(app: GatewayApp, options: ToFastifyOptions = {}): FastifyPluginCallback {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `toFastify got ${typeof app}`);
  const origin = options.fuse === false ? undefined : fastifyOrigin(app);
  // Any other framework a `fromNodeListener` product wraps (Express, Koa) runs on the real
  // req/res too, through the listener it carries (rule 35), as @fastify/express runs Express.
  const listener = options.fuse === false || origin !== undefined ? undefined : nodeListenerOf(app);
  const nodeListener = listener === undefined ? undefined : { listener };
  const gangway: FastifyPluginCallback = (fastify, _options, done) => {
    const limitOf = (request: FastifyRequest) => options.bodyLimit ?? request.routeOptions.bodyLimit;
    if (!options.hostParsers) {
      // Inside this plugin's encapsulation context only: routes outside it keep their parsers.
      fastify.removeAllContentTypeParsers();
      const passThrough = (request: FastifyRequest, payload: Readable, parsed: (error: Error | null) => void) => {
        if (overLimit(request.headers["content-length"], limitOf(request))) {
          parsed(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
          return;
        }
        // The payload, not request.raw: a preParsing hook may have replaced the stream.
        (request as PayloadCarrier)[kPayload] = payload;
        parsed(null);
      };
      // "*" for a body without a content-type; /^/ for every other. Fastify caches the parser a
      // RegExp matched per content-type, while it parses the type afresh on every request that
      // falls back to "*" (about 2 µs).
      fastify.addContentTypeParser("*", passThrough);
      fastify.addContentTypeParser(/^/, passThrough);
    }
    // Errors after commit reach the error handler with the reply hijacked (rule 27).
    fastify.addHook("onError", lateErrorHook);
    const prefix = fastify.prefix;
    const handler = (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> | undefined => {
      const payload = (request as PayloadCarrier)[kPayload];
      // Fused only when nothing observable changes: no preParsing stream in between, no send hooks.
      if (origin !== undefined && (payload === undefined || payload === request.raw) && canFuse(request, reply)) {
        return fusedHandler(origin, prefix, request, reply);
      }
      if (nodeListener !== undefined && canFuseListener(request, reply, payload, limitOf)) {
        return fusedHandler(nodeListener, prefix, request, reply);
      }
      const raw = request.raw;
      // The client went away before the response completed (rule 11); the signal is made only if the
      // app reads it. The watch stays: Fastify sends a stream body after this handler returns.
      const client = watchClient(reply.raw);
      let body: RequestBody | null = null;
      let result: ReturnType<GatewayApp>;
      try {
        const gatewayRequest = toGatewayRequest(request, reply, prefix, payload, limitOf, client);
        body = gatewayRequest.body;
        result = app(gatewayRequest);
        // An app that answered at once with a whole body is sent in this turn, and the handler
        // returns nothing, as a synchronous Fastify handler that called reply.send() does: the
        // promise of the general path costs Fastify a microtask turn and a then() per request.
        if (!isThenable(result) && !isPass(result)) {
          const beforeHead = body === null ? undefined : () => announceClose(raw, reply.raw, body);
          if (sendWholeReply(reply, request.method, result, beforeHead)) {
            // A request without a body is not complete yet here: there is nothing to discard.
            if (body !== null) discardUnread(raw, reply.raw);
            return undefined;
          }
        }
      } catch (error) {
        result = Promise.reject(error);
      }
      return respond(request, reply, result, body, client);
    };
    /** The general path: an app that answers later, passes, streams, or failed. */
    const respond = async (
      request: FastifyRequest,
      reply: FastifyReply,
      result: ReturnType<GatewayApp>,
      body: RequestBody | null,
      client: ClientWatch,
    ): Promise<FastifyReply> => {
      const raw = request.raw;
      const res = reply.raw;
      try {
        const response = await result;
        if (isPass(response)) {
          await discardBody(response.body);
          reply.callNotFound();
          return reply;
        }
        await sendReply(reply, request.method, response, () => announceClose(raw, res, body));
        // A streamed body goes out after this returns, and the app may be streaming the upload
        // back: what it left unread is known once the response is out.
        discardUnreadAfter(raw, res);
        return reply;
      } catch (error) {
        // The request stream itself broke: an ECONNRESET from an upstream the app called is an
        // app error, one from this client's upload is not.
        if (client.gone || (isDisconnect(error) && raw.destroyed)) {
          // The client left: what failed is a consequence, not an app fault, and nobody is there
          // to answer (rule 26). The reply is done with, so Fastify touches it no more.
          reply.hijack();
          res.destroy();
          return reply;
        }
        const hostError = toHostError(error);
        // As Fastify's own parsers do for an oversized body: the client may still be sending it.
        if (hostError !== error || leavesLargeBodyUnread(raw, body, true)) reply.header("connection", "close");
        discardUnread(raw, res);
        throw hostError;
      }
    };
    try {
      for (const url of ["/", "/*"]) {
        // A method another plugin already claimed here stays its own (@fastify/cors answers
        // OPTIONS on "*"): Fastify refuses a second route for it.
        const full = url === "/" && prefix !== "" ? prefix : prefix + url;
        const method = fastify.supportedMethods.filter((name) => !fastify.hasRoute({ url: full, method: name }));
        if (method.length > 0) fastify.route({ method, url, handler });
      }
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
  // The name Fastify shows for this plugin in printPlugins() and in its errors.
  Object.assign(gangway, { [Symbol.for("fastify.display-name")]: "gangway" });
  return gangway;
}

// The stream the pass-through parser was handed, kept on the request for the handler. Not in a
// WeakMap keyed by request: its entries are ephemerons, which V8's young-generation collector has
// to trace, and a 64 KiB echo spent 7.9 µs per request collecting with one, 3.5 without
// (docs/performance.md).
const kPayload = Symbol("gangway.payload");
type PayloadCarrier = FastifyRequest & { [kPayload]?: Readable };

function toGatewayRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  prefix: string,
  payload: Readable | undefined,
  limitOf: (request: FastifyRequest) => number,
  client: ClientWatch,
): GatewayRequest {
  const raw = request.raw;
  const { basePath, path, query, authority } = toMountPoint(raw, prefix);
  let headers: IncomingHeaders = raw.headers;
  let body: RequestBody | null = null;
  if (hasBody(raw.headers)) {
    // A content-length counts only for the request stream itself: a preParsing stream (inflating,
    // say) may yield more than the client sent.
    const framed = raw.headers["content-length"];
    if (payload !== undefined) body = limitBody(payload, limitOf(request), payload === raw ? framed : undefined);
    else if (request.body !== undefined)
      ({ body, headers } = fromParsedBody(request.body, headers, "a Fastify content-type parser"));
    else if (raw.readableDidRead || raw.readableEnded) {
      body = consumedBody("the request stream was read before the app");
    }
    // GET and HEAD bodies, which Fastify never parses, are still there.
    else body = limitBody(raw, limitOf(request), framed);
  }
  const res = reply.raw;
  const socket = raw.socket as Partial<TLSSocket> | undefined;
  const gatewayRequest: Omit<GatewayRequest, "signal"> = {
    method: request.method,
    // As the app would see them mounted natively: Fastify's view, trustProxy included.
    scheme: request.protocol,
    authority: authority ?? request.host ?? `${socket?.localAddress ?? "localhost"}:${socket?.localPort ?? 80}`,
    basePath,
    path,
    query,
    headers,
    body,
    remoteAddress: request.ip,
    env: {
      "gangway.version": "1.0",
      "node.req": raw,
      "node.res": res,
      "fastify.request": request,
      "fastify.reply": reply,
    },
  };
  // Made on first read, through core's one shared accessor (rule 11): most apps never look.
  return defineLazySignal(gatewayRequest, client);
}

/** Whether an error says only that the client went away (rule 26). */
function isDisconnect(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "GW_ERR_BODY_ABORTED" || code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE";
}

/** Whether a request carries a body (rule 10): a transfer-encoding, or a non-zero content-length. */
function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers["content-length"];
  if (length !== undefined) return length !== "0";
  return headers["transfer-encoding"] !== undefined;
}
