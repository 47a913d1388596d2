import { Readable } from "node:stream";
import { type BodyReader, GatewayError } from "@gangway/core";

/**
 * A Node stream over a gateway body, so Koa (and middleware such as koa-compress) can pipe it. It
 * pulls one chunk per `_read()`, so Koa's backpressure reaches the app's body; destroying the
 * stream — Koa does when the response finishes or the client goes away — finishes the body
 * exactly once (rule 21). With a declared `content-length` it never emits more bytes than that,
 * and fails rather than end short, so the client sees a truncated response (rule 18). A body
 * longer than declared ends after exactly the declared bytes, and {@link BodyStream.onOverflow}
 * hears of it: whoever sends the stream closes the connection and reports the error.
 *
 * @example
 * ```ts
 * ctx.body = new BodyStream(firstChunk, reader, -1);
 * ```
 */
export class BodyStream extends Readable {
  #first: Uint8Array | null;
  readonly #reader: BodyReader;
  #left: number;
  /**
   * Called once, when the body turned out longer than its `content-length`, with the
   * `GW_ERR_CONTENT_LENGTH_MISMATCH` to report. The stream still ends cleanly after the declared
   * bytes (rule 18): set by whoever sends it, who knows how to close the connection after them.
   */
  onOverflow: ((error: GatewayError) => void) | undefined = undefined;

  /**
   * @param first the chunk already read at the commit point, or `null`
   * @param reader the rest of the body
   * @param declared the response's content-length, or -1
   */
  constructor(first: Uint8Array | null, reader: BodyReader, declared: number) {
    super();
    this.#first = first;
    this.#reader = reader;
    this.#left = declared;
  }

  override _read(): void {
    const first = this.#first;
    if (first !== null) {
      this.#first = null;
      this.#deliver(first);
      return;
    }
    this.#reader.read().then(
      (chunk) => {
        if (this.destroyed) return;
        if (chunk === null) this.#end();
        else if (chunk.byteLength === 0) this._read();
        else this.#deliver(chunk);
      },
      (error: unknown) => this.destroy(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#reader.finish().then(
      () => callback(error),
      () => callback(error),
    );
  }

  #deliver(chunk: Uint8Array): void {
    if (this.#left === -1) {
      this.push(chunk);
      return;
    }
    if (chunk.byteLength <= this.#left) {
      this.#left -= chunk.byteLength;
      this.push(chunk);
      return;
    }
    // Longer than declared: send exactly the declared bytes, then stop the body (rule 18).
    const exact = chunk.subarray(0, this.#left);
    this.#left = 0;
    if (exact.byteLength > 0) this.push(exact);
    this.push(null);
    void this.#reader.finish();
    const error = new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", "body longer than its content-length");
    this.onOverflow?.(error);
  }

  #end(): void {
    if (this.#left > 0) {
      this.destroy(new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `${this.#left} bytes short of content-length`));
    } else this.push(null);
  }
}
