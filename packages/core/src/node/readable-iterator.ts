import { Readable } from "node:stream";
import { OnceBody } from "../request-body.js";

type Step = IteratorResult<Uint8Array, undefined>;

const DONE: Step = Object.freeze({ done: true, value: undefined });

/**
 * Iterates a Node `Readable` the way `readable.iterator({ destroyOnReturn: false })` does —
 * `read()` on `'readable'`, the stream's error as the rejection, a close before the end as
 * `ERR_STREAM_PREMATURE_CLOSE` — without the async generator and end-of-stream bookkeeping Node
 * sets up per stream (about 3 µs of a 64 KiB echo, docs/performance.md). `return()` stops
 * listening and leaves the stream as it is: the response may still have to go out on its socket,
 * and the server decides what happens to the unread rest. One `next()` at a time, as `for await`
 * calls it.
 *
 * @example
 * ```ts
 * for await (const chunk of { [Symbol.asyncIterator]: () => toReadableIterator(req) }) {
 *   size += chunk.byteLength;
 * }
 * ```
 */
export function toReadableIterator(stream: Readable): AsyncIterator<Uint8Array, undefined> {
  let listening = false;
  let finished = false;
  let waiting: { resolve: (step: Step) => void; reject: (error: unknown) => void } | undefined;

  // Every event means "look again": read() answers for data and the end, `errored` and
  // `destroyed` for the rest.
  const wake = () => {
    const pending = waiting;
    if (pending === undefined) return;
    waiting = undefined;
    step(pending.resolve, pending.reject);
  };
  const stop = () => {
    finished = true;
    if (!listening) return;
    listening = false;
    stream.off("readable", wake).off("end", wake).off("error", wake).off("close", wake);
  };
  const step = (resolve: (step: Step) => void, reject: (error: unknown) => void) => {
    const chunk: Uint8Array | null = stream.destroyed ? null : stream.read();
    if (chunk !== null) return resolve({ done: false, value: chunk });
    if (stream.readableEnded) {
      stop();
      return resolve(DONE);
    }
    const error = stream.errored;
    if (error !== null || stream.destroyed) {
      stop();
      return reject(error ?? prematureClose());
    }
    if (!listening) {
      listening = true;
      // The 'error' listener also keeps an error from being thrown as uncaught.
      stream.on("readable", wake).on("end", wake).on("error", wake).on("close", wake);
    }
    waiting = { resolve, reject };
  };

  return {
    next: () => (finished ? Promise.resolve(DONE) : new Promise<Step>(step)),
    return: () => {
      stop();
      waiting?.resolve(DONE);
      waiting = undefined;
      return Promise.resolve(DONE);
    },
  };
}

/** What Node's own iterator rejects with when a stream closes before its end. */
export function prematureClose(): Error {
  return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}

/**
 * A Node stream as a read-once gateway body, read through {@link toReadableIterator}: what `serve()`,
 * `toExpress`, `toKoa` and `toFastify` hand an app for the request's own stream. An app that stops
 * reading early leaves the stream as it is, so the response can still go out on its socket.
 *
 * @example
 * ```ts
 * const body = hasBody(req) ? fromReadable(req) : null;
 * ```
 */
export function fromReadable(stream: Readable): OnceBody {
  return new ReadableBody(stream);
}

/**
 * {@link fromReadable}'s body: the stream yields exactly the body's bytes, so a host that pipes
 * streams itself may take the stream over whole ({@link takeReadable}).
 */
export class ReadableBody extends OnceBody {
  readonly #stream: Readable;

  constructor(stream: Readable) {
    super(() => toReadableIterator(stream), stream);
    this.#stream = stream;
  }

  /** The stream, unread and from now on the taker's, or `undefined` if it was read or cannot be piped. */
  takeStream(): Readable | undefined {
    return isPipeable(this.#stream) && this.claim() ? this.#stream : undefined;
  }
}

/**
 * Whether `value` is a Node stream a host may pipe as a body as it is: bytes (no object mode, no
 * decoding to strings), not destroyed or failed, and nobody else reading it as it flows.
 */
export function isPipeable(value: unknown): value is Readable {
  return (
    value instanceof Readable &&
    !value.readableObjectMode &&
    value.readableEncoding === null &&
    !value.destroyed &&
    value.errored === null &&
    value.readableFlowing !== true
  );
}
