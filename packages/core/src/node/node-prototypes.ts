import { IncomingMessage, type ServerOptions, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { GatewayError } from "../errors.js";

/**
 * The prototypes a Node listener gives the `req` and `res` it is handed — Express's `app.request`
 * and `app.response`, which its `Object.setPrototypeOf` puts under every request and response.
 *
 * Why they matter: V8 keeps an `IncomingMessage` or `ServerResponse` whose prototype was changed
 * after it was built, and everything it reaches, alive through young-generation collections until
 * the next full one, and the code that touches it runs slower. `node bench/prototype-swap.mjs`
 * (docs/performance.md, seventh round), 60,000 hellos: raw node:http 16.3 µs of CPU each with 3 MiB
 * surviving the scavenges, 35.5 µs and 120 MiB with both prototypes swapped per request; native
 * Express 78.8 µs and 494 MiB, `serve(fromExpress(app))` 30.8 µs and 5 MiB. A message built with
 * them makes the listener's swap a no-op.
 */
export interface NodePrototypes {
  /** Put under every `req`: must inherit from `http.IncomingMessage.prototype`. */
  readonly request?: object;
  /** Put under every `res`: must inherit from `http.ServerResponse.prototype`. */
  readonly response?: object;
}

export type RequestClass = new (socket: Socket) => IncomingMessage;
export type ResponseClass = new (req: IncomingMessage, options?: object) => ServerResponse;

// One constructor per prototype, made once: V8 caches the instance map on the constructor.
const requestClasses = new WeakMap<object, RequestClass>();
const responseClasses = new WeakMap<object, ResponseClass>();

/** The constructors that build on checked {@link NodePrototypes}, made once per listener. */
export interface MessageClasses {
  readonly Request: RequestClass | undefined;
  readonly Response: ResponseClass | undefined;
}

/**
 * Checks `prototypes` the way {@link fromNodeListener} takes them — each one given must inherit
 * from the class it stands for, or the messages built with it would lack node:http's methods — and
 * makes the constructors that build on them, so no request looks them up.
 *
 * @example
 * ```ts
 * toMessageClasses({ request: app.request, response: app.response }); // Express's: fine
 * toMessageClasses({ request: {} }); // throws GW_ERR_INVALID_APP
 * ```
 */
export function toMessageClasses(prototypes: NodePrototypes | undefined): MessageClasses | undefined {
  if (prototypes === undefined) return undefined;
  const { request, response } = prototypes;
  if (request !== undefined && !Object.prototype.isPrototypeOf.call(IncomingMessage.prototype, request)) {
    throw new GatewayError("GW_ERR_INVALID_APP", "prototypes.request must inherit from http.IncomingMessage.prototype");
  }
  if (response !== undefined && !Object.prototype.isPrototypeOf.call(ServerResponse.prototype, response)) {
    throw new GatewayError("GW_ERR_INVALID_APP", "prototypes.response must inherit from http.ServerResponse.prototype");
  }
  if (request === undefined && response === undefined) return undefined;
  return {
    Request: request === undefined ? undefined : requestClass(request),
    Response: response === undefined ? undefined : responseClass(response),
  };
}

/**
 * An `http.IncomingMessage`, built by `Request` (see {@link MessageClasses}) when given.
 *
 * @example
 * ```ts
 * const req = newRequest(socket, toMessageClasses({ request: app.request })?.Request);
 * Object.getPrototypeOf(req) === app.request; // true
 * ```
 */
export function newRequest(socket: Socket, Request: RequestClass | undefined): IncomingMessage {
  return Request === undefined ? new IncomingMessage(socket) : new Request(socket);
}

/**
 * An `http.ServerResponse` for `req`, built by `Response` (see {@link MessageClasses}) when given.
 *
 * @example
 * ```ts
 * const res = newResponse(req, classes?.Response);
 * ```
 */
export function newResponse(req: IncomingMessage, Response: ResponseClass | undefined): ServerResponse {
  return Response === undefined ? new ServerResponse(req) : new Response(req);
}

/**
 * The `http.createServer()` options that make the server build its messages with `classes`.
 *
 * @example
 * ```ts
 * const server = createServer(classOptions(toMessageClasses({ request: app.request })), listener);
 * ```
 */
export function classOptions(classes: MessageClasses | undefined): ServerOptions {
  const options: ServerOptions = {};
  if (classes?.Request !== undefined) options.IncomingMessage = classes.Request as unknown as typeof IncomingMessage;
  if (classes?.Response !== undefined) options.ServerResponse = classes.Response as unknown as typeof ServerResponse;
  return options;
}

// node:http's message classes are plain constructor functions, which may run on an object made
// elsewhere: the instance gets `prototype` when it is made, and no swap happens after.
function requestClass(prototype: object): RequestClass {
  let made = requestClasses.get(prototype);
  if (made === undefined) {
    // Named after node:http's class through the key — what stack traces show for a swapped message
    // too — without a name binding that would shadow the class inside.
    const Built = {
      IncomingMessage: function (this: IncomingMessage, socket: Socket) {
        (IncomingMessage as unknown as (this: IncomingMessage, socket: Socket) => void).call(this, socket);
      },
    }.IncomingMessage as unknown as RequestClass;
    Built.prototype = prototype as IncomingMessage;
    requestClasses.set(prototype, Built);
    made = Built;
  }
  return made;
}

function responseClass(prototype: object): ResponseClass {
  let made = responseClasses.get(prototype);
  if (made === undefined) {
    const Built = {
      ServerResponse: function (this: ServerResponse, req: IncomingMessage, options?: object) {
        (ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options?: object) => void).call(
          this,
          req,
          options,
        );
      },
    }.ServerResponse as unknown as ResponseClass;
    Built.prototype = prototype as ServerResponse;
    responseClasses.set(prototype, Built);
    made = Built;
  }
  return made;
}
