import { GatewayError } from "./errors.js";
import type { RequestBody } from "./types.js";

const kSource = Symbol("gangway.body.source");

/**
 * A request body that can be read once (rule 10): a second iteration throws
 * `GW_ERR_BODY_USED` instead of silently yielding nothing, as a drained stream would.
 */
export class OnceBody implements RequestBody {
  #open: () => AsyncIterator<Uint8Array>;
  #used = false;
  /** The wrapped source, for adapters that can hand it on unread (fusion, re-wrapping). */
  readonly [kSource]: unknown;

  constructor(open: () => AsyncIterator<Uint8Array>, source?: unknown) {
    this.#open = open;
    this[kSource] = source;
  }

  /** Whether iteration has started. */
  get used(): boolean {
    return this.#used;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#used) throw new GatewayError("GW_ERR_BODY_USED");
    this.#used = true;
    return this.#open();
  }

  /**
   * Marks the body read without opening it, for a subclass that hands its source over whole; `false`
   * (and nothing changes) when it was read already.
   */
  protected claim(): boolean {
    if (this.#used) return false;
    this.#used = true;
    return true;
  }
}

/**
 * Wraps any byte source (an async iterable, a `ReadableStream`, a string or bytes) as a read-once
 * request body.
 *
 * @example
 * ```ts
 * const request = { ...original, body: toRequestBody(JSON.stringify({ a: 1 })) };
 * ```
 */
export function toRequestBody(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | string | Uint8Array,
): OnceBody {
  if (typeof source === "string") source = Buffer.from(source);
  if (source instanceof Uint8Array) {
    const bytes = source;
    return new OnceBody(() => singleChunk(bytes), bytes);
  }
  if (isReadableStream(source)) {
    const stream = source;
    return new OnceBody(() => streamIterator(stream), stream);
  }
  const iterable = source;
  return new OnceBody(() => iterable[Symbol.asyncIterator](), iterable);
}

/**
 * Whether the request body `body` was already read (iteration started). Bodies that do not track
 * it answer `false`.
 *
 * @example
 * ```ts
 * if (isBodyUsed(request.body)) return response; // too late to try another app
 * ```
 */
export function isBodyUsed(body: RequestBody | null | undefined): boolean {
  return body instanceof OnceBody ? body.used : false;
}

/**
 * The source a read-once body wraps (a Node `IncomingMessage`, a `ReadableStream`, bytes), or
 * `undefined` when `body` is not one of ours or was already read.
 *
 * @example
 * ```ts
 * const source = unwrapBody(request.body); // the IncomingMessage on a Node server
 * ```
 */
export function unwrapBody(body: RequestBody | null | undefined): unknown {
  return body instanceof OnceBody && !body.used ? body[kSource] : undefined;
}

function singleChunk(bytes: Uint8Array): AsyncIterator<Uint8Array> {
  let done = false;
  return {
    next: async () => {
      if (done || bytes.byteLength === 0) return { done: true, value: undefined };
      done = true;
      return { done: false, value: bytes };
    },
    return: async () => {
      done = true;
      return { done: true, value: undefined };
    },
  };
}

/** Iterates a `ReadableStream`; `return()` cancels it. */
export function streamIterator(stream: ReadableStream<Uint8Array>): AsyncIterator<Uint8Array> {
  const reader = stream.getReader();
  return {
    next: async () => {
      const { done, value } = await reader.read();
      if (done) {
        reader.releaseLock();
        return { done: true, value: undefined };
      }
      return { done: false, value };
    },
    return: async () => {
      await reader.cancel().catch(() => {});
      return { done: true, value: undefined };
    },
  };
}

/** Whether `value` is a WHATWG `ReadableStream` (checked by shape, so any realm's stream counts). */
export function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof value === "object" && value !== null && typeof (value as ReadableStream).getReader === "function";
}
