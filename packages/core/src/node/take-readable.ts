import { Readable } from "node:stream";
import type { ResponseBody } from "../types.js";
import { isPipeable, prematureClose, ReadableBody } from "./readable-iterator.js";

/**
 * The Node stream that yields exactly a response body's bytes, for a host that sends streams
 * itself (Fastify's `reply.send(stream)`, Koa's `ctx.body = stream`): the host pipes it as it
 * pipes a native route's stream, with no {@link openBody} reader and no second stream per chunk.
 *
 * - A byte-mode Node `Readable` (a file stream, an upstream `IncomingMessage`) is the stream
 *   itself.
 * - A request body made by {@link fromReadable} (the request's own stream, streamed back) hands
 *   over that stream, unread; the body counts as read from then on (rule 10).
 * - Anything else — an async iterable, a `ReadableStream`, a stream in object mode or decoding to
 *   strings, one already flowing, destroyed or failed — is `undefined`, and the body stays as it was.
 *
 * The taker owns the rest of the body's rules: it sends nothing before the first chunk (the head
 * goes out with it, rule 19), cuts the connection on a failure after that (rule 24) and destroys
 * the stream when the client goes away (rule 21). A declared `content-length` is not enforced on
 * the stream: take only a body whose response declares none.
 *
 * @example
 * ```ts
 * const stream = takeReadable(response.body);
 * if (stream !== undefined) reply.send(stream);
 * ```
 */
export function takeReadable(body: ResponseBody | undefined): Readable | undefined {
  if (body instanceof ReadableBody) return body.takeStream();
  return isPipeable(body) ? body : undefined;
}

/** Whether {@link takeReadable} might take `body` (it is a Node stream or wraps one): a cheap test first. */
export function mayTakeReadable(body: ResponseBody | undefined): boolean {
  return body instanceof ReadableBody || body instanceof Readable;
}

/**
 * Resolves once `stream` holds data or its end, without taking any: a taken stream's commit point
 * (rule 19). Rejects with the stream's error, or `ERR_STREAM_PREMATURE_CLOSE` if it closes first.
 * The 'readable' listener it adds for the wait leaves the stream paused; a `pipe()` resumes it (Node
 * switches a stream from 'readable' to flowing for a pipe). Its 'error' listener stays: a host such
 * as Koa listens only once it pipes, and an error in between would otherwise be thrown as uncaught.
 * Whoever pipes the stream still gets every error.
 *
 * @example
 * ```ts
 * await whenReadable(stream); // rejects: answer the error, nothing was sent
 * ctx.body = stream;
 * ```
 */
export function whenReadable(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      stream.off("readable", onReady).off("end", onReady).off("close", onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReady = () => settle();
    const onClose = () => settle(prematureClose());
    stream.on("error", settle);
    // Already holding data or at its end: 'readable' and 'end' may not come again.
    if (stream.readableLength > 0 || stream.readableEnded) settle();
    else stream.on("readable", onReady).on("end", onReady).on("close", onClose);
  });
}
