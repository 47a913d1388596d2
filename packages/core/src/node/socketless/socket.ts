import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { AddressInfo, Socket, SocketReadyState } from "node:net";
import type { GatewayRequest } from "../../types.js";

/** What a {@link SocketlessSocket} reports to: the exchange it carries. */
export interface SocketHost {
  readonly request: GatewayRequest;
  /** The socket was destroyed: by the listener (`res.destroy()`), the consumer, or the request's signal. */
  onSocketDestroy(error: Error | undefined): void;
  /** The listener ended the socket (`destroySoon()`, `end()`): close it once what was written is taken. */
  onSocketEnd(): void;
}

/** The high-water mark of both directions: Node's socket default on recent versions. */
export const HIGH_WATER_MARK = 64 * 1024;

// OutgoingMessage#end() uncorks its socket through `_writableState.corked`; nothing else reads it,
// so every socket can share this one.
const corkState = { corked: 0 };

/**
 * The stand-in for `req.socket` / `res.socket` of a socketless pair (spec, "Socketless Node pairs"):
 * an EventEmitter with the `net.Socket` surface that listeners and frameworks read — addresses,
 * `encrypted`, `readable`/`writable`/`destroyed`, no-op timeouts — but no stream of its own: the
 * request body and the response bytes bypass it. A `Duplex` costs five times as much to build and
 * would only sit idle.
 *
 * Destroying it is the connection going away: the exchange closes both messages.
 *
 * It inherits EventEmitter's methods without running its constructor: EventEmitter's methods make
 * the listener table on the first `on()`, and most sockets of a pair are never listened to, so the
 * table (a null-prototype object, ~0.15 µs per request) is not made up front.
 *
 * @example
 * ```ts
 * const socket = new SocketlessSocket(exchange);
 * socket.remoteAddress; // request.remoteAddress
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: EventEmitter's methods come through the prototype (below the class).
export class SocketlessSocket {
  readonly remoteAddress: string | undefined;
  /** `true` when the gateway request's scheme is https, as on a `tls.TLSSocket`. */
  readonly encrypted: boolean;
  readable = true;
  writable = true;
  destroyed = false;
  readyState: SocketReadyState = "open";
  readonly connecting = false;
  readonly pending = false;
  bytesRead = 0;
  readonly bytesWritten = 0;
  /** The response on this socket, as node:http links them; cleared when the response finishes. */
  _httpMessage: unknown = null;
  readonly readableHighWaterMark = HIGH_WATER_MARK;
  readonly writableHighWaterMark = HIGH_WATER_MARK;
  /** Nothing is ever buffered here: the response queues its bytes for the gateway consumer itself. */
  readonly writableLength = 0;
  /**
   * Reported as corked so that `OutgoingMessage#write()` skips its cork-and-uncork-next-tick dance,
   * a `process.nextTick` per write that would buy nothing here.
   */
  readonly writableCorked = 1;
  readonly _writableState = corkState;
  readonly #host: SocketHost;

  constructor(host: SocketHost) {
    this.#host = host;
    this.remoteAddress = host.request.remoteAddress;
    this.encrypted = host.request.scheme === "https";
  }

  get remoteFamily(): string | undefined {
    const address = this.remoteAddress;
    if (address === undefined) return undefined;
    return address.includes(":") ? "IPv6" : "IPv4";
  }

  /** The peer port of the connection the gateway request arrived on, when a Node server received it. */
  get remotePort(): number | undefined {
    return this.#origin()?.remotePort;
  }

  get localAddress(): string | undefined {
    return this.#origin()?.localAddress;
  }

  /** The local port of the originating connection, else the port of the request's authority. */
  get localPort(): number | undefined {
    const port = this.#origin()?.localPort;
    if (port !== undefined) return port;
    const { authority, scheme } = this.#host.request;
    const match = /:(\d+)$/.exec(authority);
    return match ? Number(match[1]) : scheme === "https" ? 443 : 80;
  }

  address(): AddressInfo {
    const address = this.localAddress ?? "";
    return { address, family: address.includes(":") ? "IPv6" : "IPv4", port: this.localPort ?? 0 };
  }

  // A socketless exchange has no idle connection to time out, no Nagle and no keep-alive probes.
  setTimeout(_ms?: number, _callback?: () => void): this {
    return this;
  }
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }
  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}

  /**
   * The connection goes away now: unsent bytes are lost, the request and response close.
   * `close` (and `error`, only if someone listens, as node:http's server always does) follow on
   * the next tick, as on a `net.Socket`.
   */
  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.readable = false;
    this.writable = false;
    this.readyState = "closed";
    this.#host.onSocketDestroy(error);
    process.nextTick(emitClose, this, error);
    return this;
  }

  /** Closes the connection once what was written has been taken, as `net.Socket#destroySoon()`. */
  destroySoon(): void {
    if (this.destroyed || !this.writable) return;
    this.writable = false;
    this.readyState = "readOnly";
    this.#host.onSocketEnd();
  }

  end(): this {
    this.destroySoon();
    return this;
  }

  resetAndDestroy(): this {
    return this.destroy();
  }

  #origin(): Socket | undefined {
    const req = this.#host.request.env["node.req"] as IncomingMessage | undefined;
    return req?.socket ?? undefined;
  }
}

/** What the prototype below gives the class: EventEmitter's methods. */
export interface SocketlessSocket extends EventEmitter {}
Object.setPrototypeOf(SocketlessSocket.prototype, EventEmitter.prototype);

function emitClose(socket: SocketlessSocket, error: Error | undefined): void {
  if (error !== undefined && socket.listenerCount("error") > 0) socket.emit("error", error);
  socket.emit("close", error !== undefined);
}
