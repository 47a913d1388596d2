/**
 * Faults the adapter paths are known to fail, each with the bug behind it and where it lives. A
 * path's test file passes its entries to `runReliability(path, { known })`, which runs them as
 * `it.fails`: when a bug is fixed its tests start passing, fail as "expected to fail", and the
 * entry goes. docs/reliability.md lists the same bugs.
 */

/** Test names, as the fault modules register them. */
export const tests = {
  afterCommit: [
    "an async generator that throws after the first chunk truncates the response, never ending it cleanly, reported once",
    "a ReadableStream whose pull throws after the first chunk truncates the response, never ending it cleanly, reported once",
    "a Node Readable that emits 'error' after the first chunk truncates the response, never ending it cleanly, reported once",
    "a response body that throws midway reaches the client truncated and is reported once",
  ],
  shortBody: "a streamed body shorter than its content-length is truncated and reported once",
  longBody: "a streamed body longer than its content-length sends exactly the declared bytes and is reported once",
  badHead: [
    "CR LF in a header value is GW_ERR_INVALID_HEADER: reported once, answered 500, nothing injected on the wire",
    "a bare LF in a header value is GW_ERR_INVALID_HEADER: reported once, answered 500, nothing injected on the wire",
    "NUL in a header value is GW_ERR_INVALID_HEADER: reported once, answered 500, nothing injected on the wire",
    "CR LF in a header name is GW_ERR_INVALID_HEADER: reported once, answered 500, nothing injected on the wire",
    "a space in a header name is GW_ERR_INVALID_HEADER: reported once, answered 500, nothing injected on the wire",
    "CR LF in one set-cookie of several is GW_ERR_INVALID_HEADER: reported once, answered 500, nothing injected on the wire",
    "CR LF in the reason phrase is GW_ERR_INVALID_STATUS: reported once, answered 500, nothing injected on the wire",
  ],
  badLength:
    "a content-length that is not a number is GW_ERR_INVALID_HEADER: reported once, answered 500, nothing injected on the wire",
  wire413: "an oversized upload on the wire gets the whole 413 before the connection closes",
  chunked413: "an oversized upload (chunked) is answered 413 by the app's readBytes limit",
  endless: "an unread upload that never ends gets its response, then a closed connection within a bounded time",
  uploadStall: "an app that stops reading an upload for seconds stalls the client's producer instead of buffering",
  downloadStall: "a client that stops reading for seconds stalls the app's producer instead of buffering",
  leaveMidUpload:
    "a client leaving mid-upload aborts request.signal and the app's read rejects with GW_ERR_BODY_ABORTED",
  leaveMidResponse: [
    "a client leaving mid-response aborts request.signal and finishes an async generator exactly once",
    "a client leaving mid-response aborts request.signal and finishes a hand-written async iterator exactly once",
    "a client leaving mid-response aborts request.signal and finishes a ReadableStream exactly once",
    "a client leaving mid-response aborts request.signal and finishes a Node Readable exactly once",
  ],
  breaksOff: "an upload the client breaks off midway rejects the app's read, never hangs it",
} as const;

/** The bugs, by where they live. */
export const bugs = {
  writeHeadCodes:
    "core send-response.ts: Node's writeHead refusal (ERR_INVALID_CHAR, ERR_INVALID_HTTP_TOKEN) escapes as is, " +
    "not as GW_ERR_INVALID_HEADER / GW_ERR_INVALID_STATUS; toNodeListener maps it for serve() only",
  fusedAfterCommit:
    "core from-node-listener.ts toFusedListener: an error after the head closes the connection but is never " +
    "handed to the server's next/onError, so serve() reports nothing",
  socketlessCause:
    "socketless pair (core from-node-listener.ts / exchange): after commit the body iteration fails with a " +
    "truncation, not the app's error, so serve() reports GW_ERR_RESPONSE_ABORTED without the code or cause",
  expressFinalHandler:
    "host behaviour: Express's finalhandler reads the whole unread body before it answers, and keeps the " +
    "connection (a native Express app does the same)",
  hostDrain:
    "host behaviour: Node drains an unread body without bound when the host answers without reading it " +
    "(a native app does the same); serve() bounds it at 64 KiB / 500 ms",
  toFastifyAfterCommit:
    "fastify to-fastify.ts/send-reply.ts: an error after the head reaches neither Fastify's error handler nor any log",
  toFastifyLengthCode:
    "fastify send-reply.ts: a non-numeric content-length is reported as GW_ERR_CONTENT_LENGTH_MISMATCH, not " +
    "GW_ERR_INVALID_HEADER",
  toFastifyOverlong:
    "fastify send-reply.ts: a streamed body longer than its content-length is cut before the declared bytes " +
    "(7 of 10 sent), where rule 18 sends exactly the declared bytes",
  toFastifyReason:
    "fastify send-reply.ts: a reason phrase with CR LF becomes an unhandled rejection and the connection hangs",
  toFastifyDisconnect:
    "fastify to-fastify.ts: a client disconnect (GW_ERR_BODY_ABORTED) reaches Fastify's error handler (rule 26)",
  toFastifyHang:
    "fastify to-fastify.ts: after an oversized chunked upload or a paused upload the server never closes (the " +
    "connection is held) and the chunked 413 never arrives",
  toKoaDisconnect:
    "koa to-koa.ts: client disconnects (ERR_STREAM_PREMATURE_CLOSE, HPE_INVALID_EOF_STATE, ECONNRESET) reach " +
    "Koa's 'error' event as app errors (rule 26)",
  toKoaTwice: "koa to-koa.ts: an error after the head reaches Koa's 'error' event twice",
  toKoaOverlong: "koa to-koa.ts: a streamed body longer than its content-length is never reported",
  toKoaHang: "koa to-koa.ts: after a paused upload the server never closes (the connection is held)",
} as const;

/** Entries for `runReliability(path, { known })`: every named test of `names` failing for `bug`. */
export function known(...entries: Array<[names: string | readonly string[], bug: string]>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [names, bug] of entries) for (const name of [names].flat()) result[name] = bug;
  return result;
}
