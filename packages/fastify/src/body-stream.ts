import { Readable } from "node:stream";
import { type BodyReader, GatewayError } from "@gangway/core";
import { toHostError } from "./body-limit.js";

/** What a {@link BodyStream} tells its owner. */
export interface BodyStreamEvents {
  /** Just before the first chunk is pushed: the headers are about to go out. */
  onCommit?: () => void;
  /** The body failed before its first chunk: the error handler will answer instead. */
  onAbandon?: () => void;
  /**
   * The body failed after commit (rule 24). `complete`: it ran past its content-length, and every
   * declared byte is out, so the response ends once they are flushed and the connection must
   * close after it (rule 18); otherwise the stream stays open, unended, and the owner must cut
   * the connection so the client sees the truncation.
   */
  onFail?: (error: unknown, complete: boolean) => void;
}

/**
 * A gateway response body as a Node `Readable` for `reply.send()`: it pulls the next chunk only
 * when Fastify's pipe asks for one (backpressure, rule 20), skips empty chunks so headers go out
 * with the first real byte (the commit point, rule 19), sends exactly a declared `content-length`
 * and never more (rule 18), and finishes the body exactly once when it ends, fails or is destroyed
 * because the client went away (rule 21). A failure before the first chunk destroys the stream
 * with the error, so Fastify's error handler answers it; one after goes to `onFail`.
 *
 * @example
 * ```ts
 * reply.send(new BodyStream(reader, -1));
 * ```
 */
export class BodyStream extends Readable {
  readonly #reader: BodyReader;
  readonly #declared: number;
  readonly #events: BodyStreamEvents;
  #committed = false;
  #sent = 0;

  /** @param declared the `content-length` the response declared, or -1. */
  constructor(reader: BodyReader, declared: number, events: BodyStreamEvents = {}) {
    super();
    this.#reader = reader;
    this.#declared = declared;
    this.#events = events;
  }

  // then() callbacks made once per stream rather than an async method per chunk: one promise and
  // one turn less for every chunk of every streamed response.
  override _read(): void {
    this.#reader.read().then(this.#onChunk, this.#onError);
  }

  readonly #onChunk = (chunk: Uint8Array | null): void => {
    try {
      this.#deliver(chunk);
    } catch (error) {
      this.#onError(error);
    }
  };

  readonly #onError = (error: unknown): void => {
    // Destroyed: the client went away (Fastify destroys the payload then), and what the body
    // raises now is a consequence of that, not an app fault (rule 26).
    if (this.destroyed) return;
    if (this.#committed) {
      // Left unended: ending it would let Fastify end the response cleanly (rule 24).
      this.#events.onFail?.(error, false);
      return;
    }
    this.#events.onAbandon?.();
    this.destroy(toHostError(error) as Error);
  };

  #deliver(chunk: Uint8Array | null): void {
    if (this.destroyed) return;
    if (chunk !== null && chunk.byteLength === 0) {
      // Empty chunks are skipped: the head goes out with the first real byte (rule 19).
      this._read();
      return;
    }
    const declared = this.#declared;
    if (chunk === null) {
      if (declared !== -1 && this.#sent !== declared) {
        throw new GatewayError(
          "GW_ERR_CONTENT_LENGTH_MISMATCH",
          `content-length ${declared}, body ${this.#sent} bytes`,
        );
      }
      this.push(null);
      return;
    }
    if (declared !== -1 && this.#sent + chunk.byteLength > declared) {
      // Never more than declared (rule 18): the declared bytes, then the end — the owner closes the
      // connection once they are out, and nothing the body adds reaches the wire.
      this.#commit();
      const rest = declared - this.#sent;
      this.#sent = declared;
      if (rest > 0) this.push(chunk.subarray(0, rest));
      this.#events.onFail?.(
        new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `body longer than content-length ${declared}`),
        true,
      );
      // Ending destroys the stream, and that finishes the body (rule 21).
      this.push(null);
      return;
    }
    this.#sent += chunk.byteLength;
    this.#commit();
    this.push(chunk);
  }

  #commit(): void {
    if (this.#committed) return;
    this.#committed = true;
    this.#events.onCommit?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#reader.finish().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
