/**
 * The workloads' bytes, shared by every app so each scenario sends exactly the same thing.
 */

/** GET /hello answers these 13 bytes as text/plain. */
export const HELLO = "Hello, World!";
export const TEXT_TYPE = "text/plain; charset=utf-8";
export const BYTES_TYPE = "application/octet-stream";

/** Responses stream in chunks of this size. */
export const CHUNK_SIZE = 64 * 1024;
/** GET /stream: 16 × 64 KiB = 1 MiB. */
export const STREAM_CHUNKS = 16;
/** GET /big: 1024 × 64 KiB = 64 MiB, for the slow-reader (backpressure) check. */
export const BIG_CHUNKS = 1024;
/** POST /echo carries this many bytes. */
export const ECHO_SIZE = 64 * 1024;

/**
 * One chunk, sent again and again: every consumer only reads it, and reusing it keeps allocation
 * out of the numbers, so what is measured is the path, not the producer.
 */
export const CHUNK = Buffer.alloc(CHUNK_SIZE, "x");

/** How many chunks a streamed route sends, by path (after any mount prefix). */
export const CHUNKS_BY_PATH = { "/stream": STREAM_CHUNKS, "/big": BIG_CHUNKS };

/** `count` chunks, synchronously: what `Readable.from` turns into a stream for the native apps. */
export function* chunks(count) {
  for (let i = 0; i < count; i++) yield CHUNK;
}

/** `count` chunks as an async iterable: the body kind a gateway app returns. */
export async function* asyncChunks(count) {
  for (let i = 0; i < count; i++) yield CHUNK;
}

/** `count` chunks as a pull-driven `ReadableStream`: what a Fetch handler returns. */
export function streamChunks(count) {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ < count) controller.enqueue(CHUNK);
      else controller.close();
    },
  });
}

/**
 * Writes `count` chunks to a Node response, waiting for `drain` whenever `write()` says the
 * socket is full: the hand-written backpressure loop a raw node:http server would use.
 */
export function writeChunks(res, count) {
  let sent = 0;
  const next = () => {
    while (sent < count) {
      if (res.destroyed) return;
      sent++;
      if (sent === count) {
        res.end(CHUNK);
        return;
      }
      if (!res.write(CHUNK)) {
        res.once("drain", next);
        return;
      }
    }
  };
  next();
}
