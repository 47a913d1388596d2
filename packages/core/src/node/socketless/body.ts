/** Where a {@link ResponseBody} takes its chunks from: the exchange's outgoing queue. */
export interface BodySource {
  /** The next chunk: at once when one is queued, else when the listener writes or ends. */
  pull(): Promise<IteratorResult<Uint8Array>>;
  /** The consumer stopped early. */
  cancel(): Promise<IteratorResult<Uint8Array>>;
}

/**
 * The body of a streamed socketless response: the bytes the listener writes, chunk by chunk, without
 * framing. Its iterator is itself, as a generator's is; `return()` is the client going away.
 *
 * @example
 * ```ts
 * const response = await app(request);
 * for await (const chunk of response.body as ResponseBody) socket.write(chunk);
 * ```
 */
export class ResponseBody implements AsyncIterableIterator<Uint8Array> {
  readonly #source: BodySource;

  constructor(source: BodySource) {
    this.#source = source;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    return this.#source.pull();
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    return this.#source.cancel();
  }
}

/** A pull waiting for the listener to write. */
export interface Waiting {
  promise: Promise<IteratorResult<Uint8Array>>;
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: unknown): void;
}

/**
 * A pending pull.
 *
 * @example
 * ```ts
 * const waiting = deferred();
 * waiting.resolve(done());
 * ```
 */
export function deferred(): Waiting {
  let resolve!: Waiting["resolve"];
  let reject!: Waiting["reject"];
  const promise = new Promise<IteratorResult<Uint8Array>>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/**
 * The end of a body, as an iterator result.
 *
 * @example
 * ```ts
 * return Promise.resolve(done()); // { done: true, value: undefined }
 * ```
 */
export function done(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}
