import { Readable } from "node:stream";
import { GatewayError } from "./errors.js";
import { toReadableIterator } from "./node/readable-iterator.js";
import { isReadableStream, streamIterator } from "./request-body.js";
import type { ResponseBody } from "./types.js";

/**
 * A response body opened for the pull protocol (rule 20): `read()` yields the next chunk or
 * `null` at the end, and `finish()` runs the source's cleanup exactly once (rule 21) — it does
 * nothing when the source already ended or failed by itself.
 */
export interface BodyReader {
  read(): Promise<Uint8Array | null>;
  finish(): Promise<void>;
  readonly finished: boolean;
}

class IteratorReader implements BodyReader {
  #iterator: AsyncIterator<unknown>;
  /** A Node stream read through core's iterator, which finishing destroys. */
  readonly #stream: Readable | undefined;
  finished = false;

  constructor(iterator: AsyncIterator<unknown>, stream?: Readable) {
    this.#iterator = iterator;
    this.#stream = stream;
  }

  // A `then()` on the source's own promise rather than an async method: one promise and one turn
  // less per chunk, for every streamed body on every path.
  read(): Promise<Uint8Array | null> {
    if (this.finished) return Promise.resolve(null);
    let step: Promise<IteratorResult<unknown>>;
    try {
      // Promise.resolve: a hand-written iterator may answer with a plain result.
      step = Promise.resolve(this.#iterator.next());
    } catch (error) {
      this.finished = true;
      return Promise.reject(error);
    }
    return step.then(this.#onStep, this.#onError);
  }

  readonly #onStep = (result: IteratorResult<unknown>): Uint8Array | null | Promise<never> => {
    if (result.done) {
      this.finished = true;
      return null;
    }
    const chunk = result.value;
    if (chunk instanceof Uint8Array) return chunk;
    const kind = typeof chunk === "string" ? "a string" : typeof chunk;
    return this.finish().then(() => {
      throw new GatewayError("GW_ERR_INVALID_BODY", `a body chunk was ${kind}, not a Uint8Array`);
    });
  };

  readonly #onError = (error: unknown): never => {
    // A source that threw has ended itself: nothing left to clean up.
    this.finished = true;
    throw error;
  };

  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    // At once, even with a read pending: Node's own iterator, an async generator, would queue its
    // return() behind a read that may never settle (a stream with nothing to send yet).
    this.#stream?.destroy();
    try {
      await this.#iterator.return?.();
    } catch {
      // Cleanup errors are the source's own; the response is already over.
    }
  }
}

/**
 * Opens a response body: bytes come back as one `Uint8Array` (or `null` for no body), streams as
 * a {@link BodyReader}. A body of the wrong kind is `GW_ERR_INVALID_BODY`.
 *
 * @example
 * ```ts
 * const opened = openBody(response.body);
 * if (opened === null || opened instanceof Uint8Array) res.end(opened ?? undefined);
 * else for (let chunk; (chunk = await opened.read()) !== null; ) res.write(chunk);
 * ```
 */
export function openBody(body: ResponseBody | undefined): Uint8Array | BodyReader | null {
  if (body === null || body === undefined) return null;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return body;
  if (isReadableStream(body)) return new IteratorReader(streamIterator(body));
  // A Node stream through core's iterator (no async generator per body), finished by destroy().
  if (body instanceof Readable) return new IteratorReader(toReadableIterator(body), body);
  if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
    return new IteratorReader((body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]());
  }
  throw new GatewayError("GW_ERR_INVALID_BODY", `got ${describe(body)}`);
}

/**
 * Finishes a body that will not be sent (HEAD, 204/304, a skipped `cascade` response) without
 * reading it (rule 21).
 *
 * @example
 * ```ts
 * await discardBody(response.body);
 * ```
 */
export async function discardBody(body: ResponseBody | undefined): Promise<void> {
  if (body === null || body === undefined || typeof body === "string" || body instanceof Uint8Array) return;
  if (isReadableStream(body)) {
    await body.cancel().catch(() => {});
    return;
  }
  // Destroyed directly: Node's own iterator is an async generator, and return() on one never started
  // ends it without running the cleanup that would destroy the stream.
  if (body instanceof Readable) {
    body.destroy();
    return;
  }
  const iterable = body as Partial<AsyncIterable<unknown>>;
  if (typeof iterable[Symbol.asyncIterator] === "function") {
    try {
      await (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
    } catch {
      // As above: a failing cleanup cannot change a response that is not being sent.
    }
  }
}

/** A short description of a value for error messages: "a number", "an object (Map)". */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name && name !== "Object" ? `an object (${name})` : "a plain object";
  }
  return `a ${typeof value}`;
}
