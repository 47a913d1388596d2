import type { ServerResponse } from "node:http";
import { GatewayError } from "../../errors.js";
import { onAbort } from "../../request-signal.js";
import { pass } from "../../response.js";
import { isThenable } from "../../thenable.js";
import type { GatewayRequest, GatewayResponse, OutgoingHeaders } from "../../types.js";
import type { NodeListener } from "../from-node-listener.js";
import type { MessageClasses } from "../node-prototypes.js";
import { errorResponse } from "../to-node-listener.js";
import { answer } from "./answer.js";
import { type BodySource, deferred, done, ResponseBody, type Waiting } from "./body.js";
import { createSocketlessRequest, type SocketlessRequest } from "./incoming.js";
import { PipedErrors, type PipedSource } from "./piped-errors.js";
import {
  createSocketlessResponse,
  type OutgoingInternals,
  type ResponseSink,
  type SocketlessResponse,
} from "./response.js";
import { HIGH_WATER_MARK, type SocketHost, SocketlessSocket } from "./socket.js";

type Callback = () => void;
/**
 * The outgoing queue: body chunks, each followed by the write callbacks that wait for it to be
 * taken. A UTF-8 string is kept as written until it must become bytes.
 */
type Entry = Uint8Array | string | Callback;

/** Queued after `end()`'s `finish` callback: the response is complete once the consumer gets past it. */
function COMPLETE(): void {}

// Where the response stands.
const WAITING = 0; // no head yet
const HEAD = 1; // head committed; resolves as the listener returns a whole response, else in a microtask
const STREAMING = 2; // resolved with a body the consumer pulls
const DISCARDING = 3; // resolved with whole bytes or no body, or handed back: nothing more goes anywhere

interface IncomingInternals {
  _consuming: boolean;
  _readableState: { resumeScheduled: boolean };
  _dump(): void;
}

/**
 * One request through a socketless pair: the stand-in socket, the `IncomingMessage` and
 * `ServerResponse` the listener gets, and the wire between the listener and the gateway caller.
 *
 * The gateway response resolves when the head is committed — one microtask after `writeHead`, so
 * that a response ended in the same call (`res.end(body)`, the common case) hands over its body as
 * bytes, with no stream to pump. Otherwise the body streams: `write()` queues chunks until the
 * consumer pulls them, returns `false` once it is a high-water mark behind, and `drain` follows when
 * it caught up; `finish` fires when the consumer has taken the last byte. The consumer's `return()`
 * or the request's `signal` is the client going away: the socket is destroyed and both messages
 * close, as on a real connection.
 *
 * @example
 * ```ts
 * const response = await new Exchange(request).run((_req, res) => {
 *   res.end("hi");
 * });
 * ```
 */
export class Exchange implements SocketHost, ResponseSink, BodySource {
  readonly request: GatewayRequest;
  readonly socket: SocketlessSocket;
  readonly req: SocketlessRequest;
  readonly res: SocketlessResponse;
  /** The fall-through callback the listener gets: Connect's `next`. A falsy argument is no error. */
  readonly next = (error?: unknown): void => {
    if (error) this.#fail(error);
    else this.#pass();
  };
  #resolve: ((response: GatewayResponse) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #settled = false;
  #mode = WAITING;
  #headers: OutgoingHeaders | undefined;
  #queue: Entry[] = [];
  #buffered = 0;
  #needDrain = false;
  #waiting: Waiting | undefined;
  /** `res.end()` was called. */
  #ended = false;
  /** The listener ended the socket: close it once the consumer took what was written. */
  #closing = false;
  /** The response finished and the consumer took all of it. */
  #completed = false;
  /** The socket was destroyed before completion. */
  #broken = false;
  #consumerGone = false;
  #handedBack = false;
  /** What the body (or, before the head, the gateway promise) fails with. */
  #failure: unknown;
  /**
   * The listener closed the connection without saying why: the failure waits a little for the
   * error it reports (see {@link Exchange.onSocketDestroy}).
   */
  #awaitingCause = false;
  #unwatchSignal: (() => void) | undefined;
  #piped: PipedErrors | undefined;
  /** Inside the listener's own call: a head committed now is settled when the call returns. */
  #running = false;

  /** @param classes what builds `req` and `res` on the prototypes the listener puts under them */
  constructor(request: GatewayRequest, classes?: MessageClasses) {
    this.request = request;
    this.socket = new SocketlessSocket(this);
    this.req = createSocketlessRequest(this.socket, request, classes?.Request);
    this.res = createSocketlessResponse(this.req, this, classes?.Response);
  }

  /** Calls the listener and resolves with the gateway response once its head is committed. */
  run(listener: NodeListener): Promise<GatewayResponse> {
    const promise = new Promise<GatewayResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#running = true;
    try {
      const result = listener(this.req, this.res, this.next);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
    }
    this.#running = false;
    if (this.#mode === HEAD) {
      // A response the listener also ended in the call is whole: nothing to wait a microtask for.
      if (this.#ended) this.#commit();
      else this.#commitLater();
    }
    // A response that ended during the call has nothing left for the signal to stop, and
    // subscribing costs more than the rest of the exchange; the others must hear the client leave.
    // Through onAbort: a signal nobody made stays unmade, as the watch behind it can be heard directly.
    if (!this.res.writableEnded && !this.#broken) this.#unwatchSignal = onAbort(this.request, () => this.#onAbort());
    return promise;
  }

  /** The request's signal aborted: the client went away (rule 11). */
  #onAbort(): void {
    if (this.#completed || this.#broken) return;
    this.#failure = this.request.signal.reason;
    this.socket.destroy();
  }

  onHead(headers: OutgoingHeaders): void {
    if (this.#mode !== WAITING || this.#settled) return;
    this.#mode = HEAD;
    this.#headers = headers;
    if (!this.#running) this.#commitLater();
  }

  /** Commits in a microtask, so that an `end()` right after the head still makes the body whole. */
  #commitLater(): void {
    // A promise reaction, not queueMicrotask: that one wraps every callback in an AsyncResource (~50 ns).
    RESOLVED.then(() => this.#commit());
  }

  write(data: string | Uint8Array, encoding: BufferEncoding | undefined, callback?: Callback): boolean {
    if (this.#broken) return false;
    if (this.#mode !== DISCARDING) this.#take(data, encoding);
    if (callback !== undefined) {
      // Behind its chunk; when everything before it was taken already, on the next tick.
      if (this.#queue.length > 0) this.#queue.push(callback);
      else process.nextTick(callback);
    }
    if (this.#buffered < HIGH_WATER_MARK) return true;
    this.#needDrain = true;
    return false;
  }

  onEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#broken) return;
    // `finish` is the last callback queued, or — nothing being queued — it runs on the next tick:
    // complete after it either way. A pull waiting for more hears of the end only then, from
    // #complete: a listener that fails right after ending (a length mismatch found at the end)
    // must still reach the consumer (rule 27).
    if (this.#queue.length > 0) this.#queue.push(COMPLETE);
    else process.nextTick(() => this.#complete());
  }

  onPipe(source: PipedSource): void {
    if (this.#completed || this.#broken) return;
    (this.#piped ??= new PipedErrors(this.res, (error) => this.#fail(error))).add(source);
  }

  /**
   * The connection is gone. Destroyed with an error (`res.destroy(error)`), or by the client
   * leaving, the failure is known. Destroyed without one, the listener usually says why right
   * after — Express's `next(error)` follows the closed connection, Fastify destroys the response
   * before its stream's error reaches anyone — so the failure waits two turns of the event loop
   * for that cause, and is a bare GW_ERR_RESPONSE_ABORTED only if none came (rule 27: the body
   * fails with the app's error).
   */
  onSocketDestroy(error: Error | undefined): void {
    if (this.#completed || this.#broken) return;
    this.#broken = true;
    this.#unwatch();
    this.#piped?.stop();
    if (!this.#consumerGone) {
      if (error !== undefined) this.#failure ??= error;
      else if (this.#failure === undefined) {
        this.#awaitingCause = true;
        setImmediate(awaitCause, this);
      }
    }
    // What the consumer never took is lost, as on a socket; `outputSize` still counts it, so
    // `res.writableFinished` stays false.
    this.#queue = [];
    const { req, res } = this;
    res.destroyed = true;
    process.nextTick(closeResponse, res);
    if (!req.destroyed) req.destroy(new GatewayError("GW_ERR_BODY_ABORTED"));
    if (!this.#awaitingCause) this.#deliverFailure();
  }

  /** No cause came for a connection the listener closed: the failure is the truncation itself. */
  causeless(): void {
    if (!this.#awaitingCause) return;
    this.#awaitingCause = false;
    this.#failure = new GatewayError("GW_ERR_RESPONSE_ABORTED", "the listener closed the connection");
    this.#deliverFailure();
  }

  onSocketEnd(): void {
    this.#closing = true;
    // Nothing left to flush: the socket closes — on the event loop's next turn, as a net.Socket
    // closes only after its flush, so that a listener that closes the connection and then says
    // why (Express's `next(error)` after a failed body) fails the body with its error.
    if (this.#completed || (this.#queue.length === 0 && !this.#ended)) setImmediate(destroySocket, this.socket);
  }

  pull(): Promise<IteratorResult<Uint8Array>> {
    const queue = this.#queue;
    if (queue.length > 0) {
      const chunk = toBytes(queue.shift() as Uint8Array | string);
      this.#setBuffered(this.#buffered - chunk.byteLength);
      while (queue.length > 0 && typeof queue[0] === "function") this.#run(queue.shift() as Callback);
      if (queue.length === 0) this.#drained();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#consumerGone) return Promise.resolve(done());
    if (this.#broken) {
      if (!this.#awaitingCause) return Promise.reject(this.#failure);
    } else if (this.#ended) {
      // Ended, then failed (rule 27): the failure takes the place of the end.
      if (this.#failure !== undefined) return Promise.reject(this.#failure);
      if (this.#completed) return Promise.resolve(done());
    }
    // Two pulls outstanding break the pull protocol (rule 20); serve them in order anyway.
    if (this.#waiting !== undefined) return this.#waiting.promise.then(() => this.pull());
    const waiting = deferred();
    this.#waiting = waiting;
    return waiting.promise;
  }

  /** The consumer stopped before the end: the client went away (rule 11). */
  cancel(): Promise<IteratorResult<Uint8Array>> {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve(done());
    const tookAll = this.#ended && this.#queue.length === 0;
    this.#consumerGone = true;
    if (!tookAll) this.socket.destroy();
    return Promise.resolve(done());
  }

  #commit(): void {
    if (this.#mode !== HEAD || this.#settled) return;
    const { res } = this;
    let body: Uint8Array | string | ResponseBody | null = null;
    if (!(res as unknown as OutgoingInternals)._hasBody) this.#discard();
    else if (this.#ended) body = this.#discard();
    else {
      body = new ResponseBody(this);
      this.#mode = STREAMING;
    }
    this.#settled = true;
    this.#resolve?.({ status: res.statusCode, statusText: res.statusMessage, headers: this.#headers, body });
  }

  #rejectWith(error: unknown): void {
    this.#settled = true;
    this.#reject?.(error);
  }

  /** Hands the failure to whoever waits: the gateway promise before the head, a pull after. */
  #deliverFailure(): void {
    const failure = this.#consumerGone ? undefined : this.#failure;
    if (!this.#settled) this.#rejectWith(failure);
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#waiting = undefined;
    if (failure === undefined) waiting.resolve(done());
    else waiting.reject(failure);
  }

  #pass(): void {
    if (this.#mode !== WAITING || this.#settled) return;
    this.#settled = true;
    this.#resolve?.(pass());
    this.#retire(pass());
  }

  #fail(error: unknown): void {
    if (this.#awaitingCause) {
      // The reason for the connection the listener closed (see onSocketDestroy).
      this.#awaitingCause = false;
      this.#failure = error;
      this.#deliverFailure();
      return;
    }
    if (this.#mode === WAITING) {
      if (this.#settled) return;
      this.#rejectWith(error);
      this.#retire(errorResponse(error));
      return;
    }
    // After the head the body fails, as Express's final handler destroys the socket (rule 27).
    if (this.#broken || this.#handedBack || this.#completed) return;
    if (!this.#ended) {
      this.#failure = error;
      this.socket.destroy(error as Error);
      return;
    }
    // A response the listener already ended keeps every byte, but what the consumer has not
    // finished taking ends in the failure instead of the end, so that it is reported (rule 24).
    this.#failure = error;
    if (this.#mode === STREAMING && this.#queue.length === 0) this.#deliverFailure();
  }

  /**
   * The listener handed the request back before responding: the gateway caller has its answer
   * already; answer the same on the Node side, where nobody takes it, so `finish` and `close` fire
   * as they do for a fused listener.
   */
  #retire(response: GatewayResponse): void {
    this.#handedBack = true;
    this.#discard();
    const { req, res } = this;
    if (!this.#broken && !res.headersSent) answer(res, req.method ?? "GET", response);
  }

  /** A chunk of the body, as the listener wrote it; empty ones are dropped. */
  #take(data: string | Uint8Array, encoding: BufferEncoding | undefined): void {
    if (typeof data !== "string") {
      if (data.byteLength > 0) this.#deliver(data);
      return;
    }
    if (data.length === 0) return;
    if (this.#mode !== STREAMING && (encoding === undefined || encoding === "utf8" || encoding === "utf-8")) {
      // Before the gateway response resolves, a UTF-8 string waits as it is: a response ended with
      // one string is handed over as that string, which the server writes with its head in one piece.
      this.#queue.push(data);
      this.#setBuffered(this.#buffered + Buffer.byteLength(data));
      return;
    }
    this.#deliver(Buffer.from(data, encoding));
  }

  #deliver(chunk: Uint8Array): void {
    const waiting = this.#waiting;
    if (waiting !== undefined && this.#queue.length === 0) {
      this.#waiting = undefined;
      waiting.resolve({ done: false, value: chunk });
      return;
    }
    this.#queue.push(chunk);
    this.#setBuffered(this.#buffered + chunk.byteLength);
  }

  /**
   * Takes every queued chunk at once — one as it was written, several joined as bytes, or `null` for
   * none — and runs the callbacks behind them.
   */
  #discard(): Uint8Array | string | null {
    this.#mode = DISCARDING;
    const queue = this.#queue;
    if (queue.length === 0) return null;
    this.#queue = [];
    this.#setBuffered(0);
    let first: Uint8Array | string | null = null;
    let chunks: Uint8Array[] | undefined;
    for (const entry of queue) {
      if (typeof entry === "function") this.#run(entry);
      else if (first === null) first = entry;
      else (chunks ??= [toBytes(first)]).push(toBytes(entry));
    }
    return chunks === undefined ? first : Buffer.concat(chunks);
  }

  #run(callback: Callback): void {
    if (callback === COMPLETE) this.#complete();
    else callback();
  }

  /** The consumer took everything queued. */
  #drained(): void {
    if (this.#closing && !this.#ended) {
      this.socket.destroy();
      return;
    }
    if (this.#needDrain && !this.#ended && !this.#broken) {
      this.#needDrain = false;
      clearNeedDrain(this.res);
      this.res.emit("drain");
    }
  }

  /** After `finish`: what node:http's server does once a response finished. */
  #complete(): void {
    if (this.#completed || this.#broken) return;
    this.#completed = true;
    this.#unwatch();
    this.#piped?.stop();
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      if (this.#failure === undefined) waiting.resolve(done());
      else waiting.reject(this.#failure);
    }
    const { req, res, socket } = this;
    socket._httpMessage = null;
    (res as { socket: unknown }).socket = null;
    closeResponse(res);
    // A request nobody started reading is dumped, so it ends and closes (node:http's resOnFinish).
    // That takes three ticks of stream machinery; skip it when no one could observe it.
    const incoming = req as unknown as IncomingInternals;
    if (!incoming._consuming && !incoming._readableState.resumeScheduled && isObserved(req)) incoming._dump();
    if (this.#closing) socket.destroy();
  }

  #setBuffered(size: number): void {
    this.#buffered = size;
    // Node's `writableLength` and `writableFinished` read it: they stay truthful.
    (this.res as unknown as OutgoingInternals).outputSize = size;
  }

  #unwatch(): void {
    const unwatch = this.#unwatchSignal;
    if (unwatch === undefined) return;
    this.#unwatchSignal = undefined;
    unwatch();
  }
}

const RESOLVED = Promise.resolve();

function toBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

function destroySocket(socket: SocketlessSocket): void {
  socket.destroy();
}

// Two turns of the event loop: Express's router hands an error past its last layer to the final
// callback on a setImmediate of its own, which may be queued after ours.
function awaitCause(exchange: Exchange): void {
  setImmediate(noCause, exchange);
}

function noCause(exchange: Exchange): void {
  exchange.causeless();
}

/** Whether anyone listens for the events dumping a request would emit. */
function isObserved(req: SocketlessRequest): boolean {
  return req.listenerCount("end") > 0 || req.listenerCount("close") > 0 || req.listenerCount("data") > 0;
}

function closeResponse(res: ServerResponse): void {
  const internals = res as unknown as OutgoingInternals;
  if (internals._closed) return;
  internals._closed = true;
  res.destroyed = true;
  res.emit("close");
}

// OutgoingMessage#write() sets this private flag when it returns false and clears it where
// node:http's server emits `drain`; `res.writableNeedDrain` reads it. Found by its description.
let kNeedDrain: symbol | null | undefined;
function clearNeedDrain(res: ServerResponse): void {
  kNeedDrain ??= Object.getOwnPropertySymbols(res).find((symbol) => symbol.description === "kNeedDrain") ?? null;
  if (kNeedDrain !== null) (res as unknown as Record<symbol, boolean>)[kNeedDrain] = false;
}
