import { Readable } from "node:stream";
import { type BodyReader, GatewayError } from "@gangway/core";
import { toHostError } from "./body-limit.js";

/** What a {@link BodyStream} tells its owner. */
export interface BodyStreamEvents {
  /** Just before the first chunk is pushed: the headers are about to go out. */
  onCommit?: () => void;
  /** The body failed before its first chunk: the error handler will answer instead. */
  onAbandon?: () => void;
}

/**
 * A gateway response body as a Node `Readable` for `reply.send()`: it pulls the next chunk only
 * when Fastify's pipe asks for one (backpressure, rule 20), skips empty chunks so headers go out
 * with the first real byte (the commit point, rule 19), refuses to send more or fewer bytes than a
 * declared `content-length` (rule 18), and finishes the body exactly once when it ends, fails or
 * is destroyed because the client went away (rule 21).
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

  override _read(): void {
    this.#pull().catch((error: unknown) => {
      if (!this.#committed) this.#events.onAbandon?.();
      this.destroy(toHostError(error) as Error);
    });
  }

  async #pull(): Promise<void> {
    let chunk = await this.#reader.read();
    while (chunk !== null && chunk.byteLength === 0) chunk = await this.#reader.read();
    if (this.destroyed) return;
    if (chunk === null) {
      if (this.#declared !== -1 && this.#sent !== this.#declared) {
        throw new GatewayError(
          "GW_ERR_CONTENT_LENGTH_MISMATCH",
          `content-length ${this.#declared}, body ${this.#sent} bytes`,
        );
      }
      this.push(null);
      return;
    }
    this.#sent += chunk.byteLength;
    if (this.#declared !== -1 && this.#sent > this.#declared) {
      throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `body longer than content-length ${this.#declared}`);
    }
    if (!this.#committed) {
      this.#committed = true;
      this.#events.onCommit?.();
    }
    this.push(chunk);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#reader.finish().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
