import type { Readable } from "node:stream";
import { fromReadable, GatewayError, OnceBody, toReadableIterator } from "@gangway/core";
import { errorCodes } from "fastify";

/**
 * A request stream as a read-once gateway body that enforces `limit` while the app reads: the read
 * that crosses it rejects with `GW_ERR_BODY_TOO_LARGE` (the app's own vocabulary). The same error
 * object, should it escape the app, is what {@link toHostError} turns into Fastify's
 * `FST_ERR_CTP_BODY_TOO_LARGE`, so the client gets the 413 Fastify itself would answer.
 *
 * `framedLength` is the `content-length` of a stream Node's parser framed (the request itself, not
 * a stream a `preParsing` hook put in its place): the parser delivers exactly that many bytes, so
 * within the limit there is nothing to count and the stream is iterated as is.
 *
 * @example
 * ```ts
 * const body = limitBody(request.raw, 1024 * 1024, request.raw.headers["content-length"]);
 * ```
 */
export function limitBody(stream: Readable, limit: number, framedLength?: string): OnceBody {
  if (framedLength !== undefined && Number(framedLength) <= limit) {
    return fromReadable(stream);
  }
  return new OnceBody(() => limited(toReadableIterator(stream), limit), stream);
}

const tooLarge = new WeakSet<object>();

/**
 * Counts what `chunks` yields and rejects the read that crosses `limit`. A wrapper around `next()`
 * rather than an async generator: a generator costs a promise and a resumption per chunk more.
 * Core's iterator leaves the stream as it is on `return()`: an app that stops reading early must not
 * tear down the socket the response still has to go out on.
 */
function limited(chunks: AsyncIterator<Uint8Array, undefined>, limit: number): AsyncIterator<Uint8Array, undefined> {
  let seen = 0;
  const count = (step: IteratorResult<Uint8Array, undefined>): IteratorResult<Uint8Array, undefined> => {
    if (step.done) return step;
    seen += step.value.byteLength;
    if (seen > limit) {
      const error = new GatewayError("GW_ERR_BODY_TOO_LARGE", `limit ${limit} bytes`);
      tooLarge.add(error);
      // The rest is left unread, as a generator that threw would leave it: the server bounds it.
      void chunks.return?.();
      throw error;
    }
    return step;
  };
  return {
    next: () => chunks.next().then(count),
    return: () => chunks.return?.() ?? Promise.resolve({ done: true, value: undefined }),
  };
}

/**
 * The error to hand Fastify's error handler for an app error: the app's own error, except that a
 * body-limit error this plugin raised becomes Fastify's `FST_ERR_CTP_BODY_TOO_LARGE` (413), as
 * though Fastify's own parser had hit the limit.
 *
 * @example
 * ```ts
 * reply.send(toHostError(error));
 * ```
 */
export function toHostError(error: unknown): unknown {
  if (typeof error === "object" && error !== null && tooLarge.has(error)) {
    return new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
  }
  return error;
}

/**
 * Whether a `content-length` already exceeds `limit`: then Fastify answers 413 before the app runs,
 * as its own parsers do.
 *
 * @example
 * ```ts
 * if (overLimit(request.headers["content-length"], limit)) done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
 * ```
 */
export function overLimit(contentLength: string | undefined, limit: number): boolean {
  return contentLength !== undefined && Number(contentLength) > limit;
}
