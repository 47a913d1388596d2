import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { GatewayError } from "../../errors.js";
import type { GatewayRequest, RequestBody } from "../../types.js";
import { newRequest, type RequestClass } from "../node-prototypes.js";
import { toRawHeaders } from "./headers.js";
import type { SocketlessSocket } from "./socket.js";

/** Where a socketless request keeps the gateway request it stands for. */
export const kGatewayRequest = Symbol.for("gangway.request");

/** The node:http internals a socketless request takes part in, as node:http's own parser does. */
interface IncomingInternals {
  _consuming: boolean;
  _dumped: boolean;
  _readableState: { readingMore: boolean; resumeScheduled: boolean };
}

// Errors that say the client went away (rule 26): the request is aborted, not failed.
const DISCONNECT_CODES = new Set(["ECONNRESET", "ECONNABORTED", "EPIPE", "ERR_STREAM_PREMATURE_CLOSE", "ABORT_ERR"]);

/**
 * The `http.IncomingMessage` a socketless listener receives (spec, "Socketless Node pairs"): a
 * plain IncomingMessage with the fields below and its body source attached.
 */
export type SocketlessRequest = IncomingMessage & {
  /** `basePath + path` and the query: what Connect and Express call the original URL. */
  originalUrl: string;
  /** The mount prefix the gateway request already consumed, as Express's `req.baseUrl`. */
  baseUrl: string;
  [kGatewayRequest]: GatewayRequest;
  [kBody]: BodyPuller;
};

const kBody = Symbol("gangway.socketlessBody");

/**
 * Makes the `http.IncomingMessage` a socketless listener receives (spec, "Socketless Node pairs").
 * It is fed from `request.body` by pulling: a chunk is requested only when the stream's consumer
 * reads, so a slow reader holds back the producer and a large body is never buffered whole.
 *
 * Not a subclass: V8 builds a subclass instance through a derived constructor and gives it maps of
 * its own, which makes node:http's constructors and EventEmitter's polymorphic for the server's
 * own requests too (~0.3 µs per request between the two). `_read` and `_destroy` are own
 * properties, as Express's prototype swap (`Object.setPrototypeOf(req, app.request)`) would drop
 * them from a prototype; their state lives in a {@link BodyPuller}, which survives the swap. Given
 * the `Request` class of the prototype the listener puts under its requests, the request is built
 * on it, and that swap changes nothing (see `NodePrototypes`).
 *
 * @example
 * ```ts
 * const req = createSocketlessRequest(socket, request);
 * req.url; // request.path + "?" + request.query
 * ```
 */
export function createSocketlessRequest(
  socket: SocketlessSocket,
  request: GatewayRequest,
  Request?: RequestClass,
): SocketlessRequest {
  const req = newRequest(socket as unknown as Socket, Request) as SocketlessRequest;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = "1.1";
  req.method = request.method;
  const { basePath, path, query, body } = request;
  const search = query === "" ? "" : `?${query}`;
  req.url = (path === "" ? "/" : path) + search;
  const full = basePath + path;
  req.originalUrl = (full === "" ? "/" : full) + search;
  req.baseUrl = basePath;
  // A copy: the listener owns its headers and may change them; the gateway request is immutable (rule 13).
  // Object.assign, not a spread: a spread clone turns into a slow dictionary once a field is added.
  const headers: IncomingHttpHeaders = Object.assign({}, request.headers);
  let derived = false;
  if (body !== null && headers["content-length"] === undefined && headers["transfer-encoding"] === undefined) {
    // Body parsers (type-is, raw-body) see no body without one of the two.
    headers["transfer-encoding"] = "chunked";
    derived = true;
  }
  if (headers.host !== request.authority) {
    // An absolute-form target or proxy-trust middleware decided the authority (rule 7).
    headers.host = request.authority;
    derived = true;
  }
  req.headers = headers;
  const raw = request.env["node.rawHeaders"];
  req.rawHeaders = !derived && Array.isArray(raw) ? (raw as string[]) : toRawHeaders(headers);
  req[kGatewayRequest] = request;
  req[kBody] = new BodyPuller(req, body);
  req._read = readBody;
  req._destroy = destroyRequest;
  if (body === null) {
    // As node:http's parser does for a message without content: complete at once.
    req.complete = true;
    req.push(null);
  }
  return req;
}

/** A socketless request's `_read`: the stream's consumer wants a chunk. */
function readBody(this: SocketlessRequest): void {
  this[kBody].read();
}

/** A socketless request's `_destroy`. */
function destroyRequest(this: SocketlessRequest, error: Error | null, callback: (error?: Error | null) => void): void {
  this[kBody].destroy(error, callback);
}

/**
 * Where a socketless request's body comes from, and how far it got: pulls `request.body` one chunk
 * per `_read`, and finishes it when the request is destroyed before its end.
 *
 * @example
 * ```ts
 * req[kBody].read(); // what Readable#read() calls _read for
 * ```
 */
class BodyPuller {
  readonly #req: SocketlessRequest;
  readonly #body: RequestBody | null;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #pulling = false;
  /** No more chunks will be pushed: the body ended, was dumped, or the request was destroyed. */
  #stopped: boolean;
  /** Destroyed for a body error that is not a disconnect: no `aborted`, the exchange lives on. */
  #failed = false;

  constructor(req: SocketlessRequest, body: RequestBody | null) {
    this.#req = req;
    this.#body = body;
    this.#stopped = body === null;
  }

  read(): void {
    const req = this.#req;
    const self = req as unknown as IncomingInternals;
    if (!self._consuming) {
      self._readableState.readingMore = false;
      self._consuming = true;
    }
    if (this.#pulling || this.#stopped) return;
    if (self._dumped) {
      // The response finished and nobody read the request: end it without pulling the body; the
      // server that owns `request.body` discards the rest.
      this.#stopped = true;
      req.push(null);
      return;
    }
    this.#pulling = true;
    void this.#pull();
  }

  async #pull(): Promise<void> {
    const req = this.#req;
    let chunk: Uint8Array | undefined;
    try {
      const iterator = (this.#iterator ??= (this.#body as RequestBody)[Symbol.asyncIterator]());
      let result = await iterator.next();
      // Zero-length chunks are legal (rule 10) but would not wake a Readable's consumer.
      while (!result.done && result.value.byteLength === 0 && !this.#stopped) result = await iterator.next();
      this.#pulling = false;
      if (this.#stopped) return;
      if (result.done) {
        this.#stopped = true;
        this.#iterator = undefined;
        req.complete = true;
        req.push(null);
        return;
      }
      chunk = result.value;
    } catch (error) {
      this.#pulling = false;
      if (this.#stopped) return;
      // A body that threw has finished itself: nothing to return().
      this.#iterator = undefined;
      this.#failed = !this.#isDisconnect(error);
      req.destroy(error as Error);
      return;
    }
    (req.socket as unknown as SocketlessSocket).bytesRead += chunk.byteLength;
    req.push(chunk);
  }

  destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const req = this.#req;
    this.#stopped = true;
    const iterator = this.#iterator;
    if (iterator !== undefined) {
      // Finish the body we stopped reading (rule 21), even with a pull pending.
      this.#iterator = undefined;
      void finish(iterator);
    }
    // As IncomingMessage#_destroy: a message that did not end is aborted — unless it was dumped
    // after the response, or a body error (not a disconnect) ended it and the listener can still answer.
    if ((!req.readableEnded || !req.complete) && !(req as unknown as IncomingInternals)._dumped && !this.#failed) {
      req.aborted = true;
      req.emit("aborted");
      // A listener that destroys its request ends the exchange, as on a real socket.
      const socket = req.socket as unknown as SocketlessSocket;
      if (!socket.destroyed) socket.destroy(error ?? undefined);
    }
    // Node emits `error` on a request only when someone listens for it.
    callback(error !== null && req.listenerCount("error") > 0 ? error : null);
  }

  #isDisconnect(error: unknown): boolean {
    if (this.#req[kGatewayRequest].signal.aborted || GatewayError.is(error, "GW_ERR_BODY_ABORTED")) return true;
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === "string" && DISCONNECT_CODES.has(code);
  }
}

async function finish(iterator: AsyncIterator<Uint8Array>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The body's own cleanup failed; the request is over either way.
  }
}
