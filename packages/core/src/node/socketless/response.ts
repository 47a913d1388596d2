import { OutgoingMessage, ServerResponse } from "node:http";
import type { OutgoingHeaders } from "../../types.js";
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

/**
 * The `http.ServerResponse` a socketless listener receives (spec, "Socketless Node pairs"). Node
 * does all the bookkeeping — `setHeader`, validation, `headersSent`, HEAD and 204/304 handling,
 * `writableEnded` — and this class takes over at the two points where bytes would meet a socket:
 * `writeHead` hands the head to the exchange as data, `_send` hands each body chunk on as it is,
 * never framed (chunked encoding is switched off once the head is stored).
 *
 * As for the request, the overrides are pinned as own properties so that Express's prototype swap
 * keeps them.
 *
 * @example
 * ```ts
 * const res = new SocketlessResponse(req, exchange);
 * res.writeHead(200, { "content-type": "text/plain" }).end("hi");
 * ```
 */
export class SocketlessResponse extends ServerResponse {
  readonly #sink: ResponseSink;

  constructor(req: SocketlessRequest, sink: ResponseSink) {
    super(req);
    this.#sink = sink;
    // Linked as node:http's server links them, minus `assignSocket`'s 'socket' event: nobody is listening yet.
    const socket = req.socket as unknown as SocketlessSocket;
    (this as { socket: unknown }).socket = socket;
    socket._httpMessage = this;
    // Pinned: see the class comment.
    const pinned = this as Pick<SocketlessResponse, "writeHead" | "end" | "_send" | "_writeRaw">;
    const own = SocketlessResponse.prototype;
    pinned.writeHead = own.writeHead;
    pinned.end = own.end;
    pinned._send = own._send;
    pinned._writeRaw = own._writeRaw;
    // One shared function, not a closure: most responses are never piped into.
    this.on("pipe", SocketlessResponse.#onPipe);
  }

  /** The `pipe` listener, called with the response as `this`: static so one function serves them all. */
  static #onPipe(this: SocketlessResponse, source: PipedSource): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the response emitting `pipe`, not the class.
    this.#sink.onPipe(source);
  }

  override writeHead(statusCode: number, reason?: unknown, given?: unknown): this {
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
    this.#sink.onHead(headers);
    return this;
  }

  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    (ServerResponse.prototype.end as unknown as Call).call(this, chunk, encoding, callback);
    if (this.writableEnded) this.#sink.onEnd();
    return this;
  }

  /** Where OutgoingMessage hands over the head and body bytes for the socket; the head already went to `writeHead`. */
  _send(
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
    if (callback === NODE_NOOP || callback === null) callback = undefined;
    return this.#sink.write(data, encoding ?? undefined, callback);
  }

  /**
   * Only interim responses reach this (`writeContinue`, `writeProcessing`, `writeEarlyHints`): they
   * are not part of a gateway response (rule 23) and go nowhere.
   */
  _writeRaw(_data: unknown, encoding?: unknown, callback?: unknown): boolean {
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") process.nextTick(done as () => void);
    return true;
  }
}

/**
 * The no-op OutgoingMessage#write() passes down in place of a missing callback, found once by
 * writing to a bare message whose `_send` records it; `undefined` if a Node version does otherwise
 * (then every write just schedules a harmless no-op).
 */
const NODE_NOOP = ((): unknown => {
  let found: unknown;
  try {
    const probe = new OutgoingMessage() as unknown as OutgoingInternals & { _header: string; _send: unknown };
    probe._header = "probe";
    probe._send = (_data: unknown, _encoding: unknown, callback: unknown) => {
      found = callback;
      return true;
    };
    (probe as unknown as OutgoingMessage).write("probe");
  } catch {
    return undefined;
  }
  return typeof found === "function" ? found : undefined;
})();
