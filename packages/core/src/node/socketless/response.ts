import { ServerResponse } from "node:http";
import type { OutgoingHeaders } from "../../types.js";
import { newResponse, type ResponseClass } from "../node-prototypes.js";
import { captureHeaders } from "./headers.js";
import type { SocketlessRequest } from "./incoming.js";
import type { PipedSource } from "./piped-errors.js";
import type { SocketlessSocket } from "./socket.js";

/** Where a socketless response delivers its head and its bytes: the exchange. */
export interface ResponseSink {
  /** The head is committed (`writeHead`, explicit or implied): status and headers are final. */
  onHead(headers: OutgoingHeaders): void;
  /**
   * Bytes of the body, without framing. `callback` runs once the consumer has taken them (the last
   * one, from `end()`, emits `finish`). Returns `false` when the consumer is behind by the
   * high-water mark, as `socket.write()` would.
   */
  write(data: string | Uint8Array, encoding: BufferEncoding | undefined, callback?: () => void): boolean;
  /** `end()` was called: its `finish` callback is the last one `write` received, or Node queued it for the next tick. */
  onEnd(): void;
  /** A stream was piped into the response (Node's `pipe` event). */
  onPipe(source: PipedSource): void;
}

/** The OutgoingMessage internals a socketless response takes part in, as node:http's server does. */
export interface OutgoingInternals {
  _hasBody: boolean;
  _headerSent: boolean;
  _contentLength: number | null;
  _closed: boolean;
  chunkedEncoding: boolean;
  outputSize: number;
}

type Call = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

const kSink = Symbol("gangway.responseSink");

/** The `http.ServerResponse` a socketless listener receives: a plain ServerResponse with its sink attached. */
export type SocketlessResponse = ServerResponse & { [kSink]: ResponseSink };

/**
 * Makes the `http.ServerResponse` a socketless listener receives (spec, "Socketless Node pairs").
 * Node does all the bookkeeping — `setHeader`, validation, `headersSent`, HEAD and 204/304
 * handling, `writableEnded` — and this response takes over at the two points where bytes would meet
 * a socket: `writeHead` hands the head to the sink as data, `_send` hands each body chunk on as it
 * is, never framed (chunked encoding is switched off once the head is stored).
 *
 * As for the request (see `createSocketlessRequest`), not a subclass, and the overrides are own
 * properties, so that Express's prototype swap keeps them; built by `Response` when given.
 *
 * @example
 * ```ts
 * const res = createSocketlessResponse(req, exchange);
 * res.writeHead(200, { "content-type": "text/plain" }).end("hi");
 * ```
 */
export function createSocketlessResponse(
  req: SocketlessRequest,
  sink: ResponseSink,
  Response?: ResponseClass,
): SocketlessResponse {
  const res = newResponse(req, Response) as SocketlessResponse;
  res[kSink] = sink;
  // Linked as node:http's server links them, minus `assignSocket`'s 'socket' event: nobody is listening yet.
  const socket = req.socket as unknown as SocketlessSocket;
  (res as { socket: unknown }).socket = socket;
  socket._httpMessage = res;
  const own = res as unknown as Overrides;
  own.writeHead = writeHead;
  own.end = end;
  own._send = send;
  own._writeRaw = writeRaw;
  // One shared function, not a closure: most responses are never piped into.
  res.on("pipe", onPipe);
  return res;
}

interface Overrides {
  writeHead: typeof writeHead;
  end: typeof end;
  _send: typeof send;
  _writeRaw: typeof writeRaw;
}

/** The `pipe` listener, called with the response as `this`. */
function onPipe(this: SocketlessResponse, source: PipedSource): void {
  this[kSink].onPipe(source);
}

function writeHead(
  this: SocketlessResponse,
  statusCode: number,
  reason?: unknown,
  given?: unknown,
): SocketlessResponse {
  (ServerResponse.prototype.writeHead as unknown as Call).call(this, statusCode, reason, given);
  const self = this as unknown as OutgoingInternals;
  // Framing belongs to whoever serves the gateway response — also when the listener set
  // transfer-encoding itself (srvx#248 passed the chunk sizes on as body bytes).
  self.chunkedEncoding = false;
  const headers = captureHeaders(this, typeof reason === "string" ? given : (given ?? reason));
  if (this.req.method === "HEAD" && headers["content-length"] === undefined && self._contentLength !== null) {
    // `res.end(body)` to a HEAD: Node sends no length, but it knows the one GET would send (rule 17).
    headers["content-length"] = self._contentLength;
  }
  this[kSink].onHead(headers);
  return this;
}

function end(this: SocketlessResponse, chunk?: unknown, encoding?: unknown, callback?: unknown): SocketlessResponse {
  (ServerResponse.prototype.end as unknown as Call).call(this, chunk, encoding, callback);
  if (this.writableEnded) this[kSink].onEnd();
  return this;
}

/** Where OutgoingMessage hands over the head and body bytes for the socket; the head already went to `writeHead`. */
function send(
  this: SocketlessResponse,
  data: string | Uint8Array,
  encoding?: BufferEncoding | null | (() => void),
  callback?: (() => void) | null,
): boolean {
  (this as unknown as OutgoingInternals)._headerSent = true;
  if (typeof encoding === "function") {
    callback = encoding;
    encoding = undefined;
  }
  // Node passes its no-op for every write without a callback; there is nothing to wait for.
  if (callback === null || isNodeNoop(callback)) callback = undefined;
  return this[kSink].write(data, encoding ?? undefined, callback);
}

/**
 * Only interim responses reach this (`writeContinue`, `writeProcessing`, `writeEarlyHints`): they
 * are not part of a gateway response (rule 23) and go nowhere.
 */
function writeRaw(_data: unknown, encoding?: unknown, callback?: unknown): boolean {
  const done = typeof encoding === "function" ? encoding : callback;
  if (typeof done === "function") process.nextTick(done as () => void);
  return true;
}

/**
 * Whether `callback` is the no-op OutgoingMessage#write() passes down in place of a missing one
 * (`const nop = () => {}` in node:http). Recognised by its name and empty source the first time it
 * comes by, then by identity. An empty function does nothing when called, so taking one of the
 * user's for Node's changes no behaviour; Node's own is then scheduled like any callback, a cost
 * and no more. Not found by writing to a probe message at load: a bare
 * `OutgoingMessage` with an own `_send` gives node:http's constructors and `write()` a shape they
 * never see otherwise, and every response the process builds after costs more (~50 ns).
 */
function isNodeNoop(callback: unknown): boolean {
  if (nodeNoop !== undefined) return callback === nodeNoop;
  if (typeof callback !== "function" || callback.name !== "nop") return false;
  if (!EMPTY_FUNCTION.test(Function.prototype.toString.call(callback))) return false;
  nodeNoop = callback;
  return true;
}

let nodeNoop: unknown;
const EMPTY_FUNCTION = /^(?:function\s*nop\s*)?\(\)\s*(?:=>\s*)?\{\s*\}$/;
