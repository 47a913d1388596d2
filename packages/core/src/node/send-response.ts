// Imported, not the global: Node's global `Buffer` is a property of the global object, which
// optimized code loads through an inline cache on every response (~150 instructions per hello).
import { Buffer } from "node:buffer";
import { type OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { type BodyReader, openBody } from "../body-reader.js";
import { checkResponse, isBodiless } from "../check-response.js";
import { GatewayError } from "../errors.js";
import { HOP_BY_HOP_HEADERS } from "../hop-by-hop.js";
import type { GatewayResponse, OutgoingHeaders } from "../types.js";
import { toHeadError } from "./head-error.js";
import { prematureClose, ReadableBody } from "./readable-iterator.js";
import { mayTakeReadable, takeReadable, whenReadable } from "./take-readable.js";

/**
 * Writes a gateway response to a Node `ServerResponse` by the rules of the spec: the commit point
 * (19), the pull protocol with `drain` (20), cleanup exactly once (21), HEAD/1xx/204/205/304 (17),
 * content-length (18) and hop-by-hop headers (16). Resolves once the response ended or the client
 * went away; rejects with an error that happened before commit (the caller may still answer 500)
 * and, for one after commit, destroys the connection first. `beforeHead`, when given, runs just
 * before the head is written, at the commit point: for a streamed body that is after its first
 * chunk was read, so an app that streams the request back has started reading it by then.
 *
 * @example
 * ```ts
 * await sendResponse(res, "GET", await app(request));
 * ```
 */
export async function sendResponse(
  res: ServerResponse,
  method: string,
  response: GatewayResponse,
  beforeHead?: () => void,
): Promise<void> {
  if (sendWhole(res, method, response, beforeHead)) return;
  await sendStreamed(res, method, response, beforeHead);
}

/**
 * What `sendResponse` does once {@link sendWhole} declined the body: streams it by the pull
 * protocol or, for HEAD and the bodiless statuses, sends the head and finishes it unread. For a
 * caller that tried `sendWhole` itself, so the response is not checked twice.
 *
 * @example
 * ```ts
 * if (!sendWhole(res, method, response)) await sendStreamed(res, method, response);
 * ```
 */
export async function sendStreamed(
  res: ServerResponse,
  method: string,
  response: GatewayResponse,
  beforeHead?: () => void,
): Promise<void> {
  const { status } = response;
  if (mayTakeReadable(response.body) && !isBodiless(status, method)) {
    // A Node stream that is the body byte for byte is piped, as a native handler pipes one: no
    // reader and no promise per chunk. Not with a declared length, which the loop holds it to,
    // nor an unusable one, which the loop refuses, finishing the body.
    const headers = toNodeHeaders(response.headers, -1);
    if (!declaresLength(headers)) {
      // The request's own stream stays the server's when the client leaves, as the reader leaves it.
      const own = !(response.body instanceof ReadableBody);
      const stream = takeReadable(response.body);
      if (stream !== undefined) return pipeBody(res, response, headers, stream, own, beforeHead);
    }
  }
  // sendWhole took every whole body; what is left is a stream (or not a body at all).
  const opened = openBody(response.body) as BodyReader;
  if (isBodiless(status, method)) {
    // HEAD and bodiless statuses: the headers go out and the body is finished unread (rule 17).
    try {
      beforeHead?.();
      writeHead(res, status, response.statusText, toNodeHeaders(response.headers, status === 205 ? 0 : -1));
      res.end();
    } finally {
      await opened.finish();
    }
    return;
  }
  await sendStream(res, response, opened, beforeHead);
}

/**
 * Sends a response whose body is whole — a string, bytes or none — synchronously, and returns
 * `true`; returns `false`, having sent nothing, for a streamed body. Throws what `sendResponse`
 * would reject with. `serve()` calls it directly for a synchronous app, sparing the awaits of the
 * general path (rules 17 and 18 as in `sendResponse`; `beforeHead` as there).
 *
 * @example
 * ```ts
 * if (!sendWhole(res, "GET", response)) await sendResponse(res, "GET", response);
 * ```
 */
export function sendWhole(
  res: ServerResponse,
  method: string,
  response: GatewayResponse,
  beforeHead?: () => void,
): boolean {
  checkResponse(response);
  const { status, body } = response;
  // A string goes to `end()` as a string: Node then sends head and body in one write, where a
  // Buffer body would cost a second buffer and a writev.
  let length: number;
  if (body === null || body === undefined) length = 0;
  else if (typeof body === "string") length = Buffer.byteLength(body);
  else if (body instanceof Uint8Array) length = body.byteLength;
  else return false;
  const noContent = status < 200 || status === 204 || status === 205 || status === 304;
  const implied = !noContent && method !== "HEAD" && takesImpliedLength(res);
  // 1xx/204/304 carry no content-length; 205 says "0" (RFC 9110 §15.3.6); HEAD carries GET's.
  // Otherwise Node writes it, when it can (`implied`).
  const headers = toNodeHeaders(
    response.headers,
    noContent && status !== 205 ? -1 : status === 205 ? 0 : implied ? -1 : length,
  );
  const declared = declaredLength(headers);
  if (declared !== -1 && !noContent && method !== "HEAD" && declared !== length) {
    throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body ${length} bytes`);
  }
  beforeHead?.();
  if (implied && declared === -1) (res as unknown as NodeLength)._contentLength = length;
  writeHead(res, status, response.statusText, headers);
  if (length === 0 || noContent || method === "HEAD") res.end();
  else res.end(body);
  return true;
}

/** The OutgoingMessage fields behind the content-length Node writes for `res.end(body)`. */
interface NodeLength {
  _contentLength: number | null;
  _removedContLen: boolean;
  useChunkedEncodingByDefault: boolean;
}

const nodeWriteHead = ServerResponse.prototype.writeHead;

/**
 * Whether Node will write the content-length of a whole body itself, as it does for
 * `res.end(body)`, when told the length through `_contentLength`: a server's own response to an
 * HTTP/1.1 request, with nothing set or removed yet. That spares copying the app's headers to add
 * the length, and Node's checks of that header: ~700 machine instructions of a hello's ~83,000
 * (docs/performance.md, "Instructions per request"). Not under a `writeHead` of someone else's —
 * the socketless pair's reads the length from the headers it is given, on-headers' hands them to
 * middleware — nor for HTTP/1.0, where Node frames the body by closing the connection.
 */
function takesImpliedLength(res: ServerResponse): boolean {
  const fields = res as unknown as NodeLength;
  return (
    res.writeHead === nodeWriteHead &&
    fields._contentLength === null &&
    fields._removedContLen === false &&
    fields.useChunkedEncodingByDefault === true
  );
}

async function sendStream(
  res: ServerResponse,
  response: GatewayResponse,
  reader: BodyReader,
  beforeHead: (() => void) | undefined,
): Promise<void> {
  // One 'close' and (from the first full buffer on) one 'drain' listener for the whole body, as
  // Readable#pipe keeps them, rather than a pair added and removed per chunk.
  let wake: (() => void) | undefined;
  const resume = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const onClose = () => {
    void reader.finish();
    resume();
  };
  let watchingDrain = false;
  res.once("close", onClose);
  try {
    // Commit point (rule 19): nothing goes out until the first non-empty chunk, so an error
    // before it can still become a clean 500.
    let chunk = await reader.read();
    while (chunk !== null && chunk.byteLength === 0) chunk = await reader.read();
    if (res.destroyed) return;
    const headers = toNodeHeaders(response.headers, chunk === null ? 0 : -1);
    const declared = declaredLength(headers);
    if (chunk === null && declared > 0) {
      throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body empty`);
    }
    beforeHead?.();
    writeHead(res, response.status, response.statusText, headers);
    if (chunk === null) {
      res.end();
      return;
    }
    let sent = 0;
    try {
      while (chunk !== null) {
        if (res.destroyed) return;
        if (declared !== -1 && sent + chunk.byteLength > declared) {
          // Never send more than declared (rule 18): the declared bytes, then close the connection.
          res.end(chunk.subarray(0, declared - sent));
          throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `body longer than content-length ${declared}`);
        }
        sent += chunk.byteLength;
        if (!res.write(chunk)) {
          if (!watchingDrain) {
            watchingDrain = true;
            res.on("drain", resume);
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        chunk = await reader.read();
      }
      if (declared !== -1 && sent !== declared) {
        throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body ${sent} bytes`);
      }
      if (!res.destroyed) res.end();
    } catch (error) {
      // After commit (rule 24): the client must see a truncated response rather than a clean end
      // to a broken one. A response that ended (overlong body) is closed once it is flushed.
      closeConnection(res);
      throw GatewayError.is(error) ? error : new GatewayError("GW_ERR_RESPONSE_ABORTED", undefined, { cause: error });
    }
  } finally {
    res.off("close", onClose);
    if (watchingDrain) res.off("drain", resume);
    await reader.finish();
  }
}

/** Whether `headers` declare a content-length, or one so unusable that the loop must refuse it. */
function declaresLength(headers: OutgoingHttpHeaders): boolean {
  try {
    return declaredLength(headers) !== -1;
  } catch {
    return true;
  }
}

/**
 * Sends a Node stream taken whole ({@link takeReadable}) as it flows, keeping what the loop keeps:
 * nothing goes out before the stream holds data or its end (rule 19), an empty one is framed as
 * empty, a failure after commit closes the connection (rule 24) and rejects, and the stream is
 * finished on every other way out (rule 21) when it is the app's: destroyed when the client leaves
 * or the head is refused. The request's own stream is left to the server, as the reader leaves it,
 * which decides what happens to the unread rest.
 */
async function pipeBody(
  res: ServerResponse,
  response: GatewayResponse,
  headers: OutgoingHttpHeaders,
  stream: Readable,
  own: boolean,
  beforeHead: (() => void) | undefined,
): Promise<void> {
  const finish = () => {
    if (own) stream.destroy();
  };
  // An upload streamed back usually holds its first bytes already: then there is nothing to wait for.
  if (stream.readableLength === 0) {
    res.once("close", finish);
    try {
      await whenReadable(stream);
    } catch (error) {
      // The client left first: what failed is a consequence (rule 26), as the loop's finished read.
      if (res.destroyed) return;
      throw error;
    } finally {
      res.off("close", finish);
    }
  }
  if (res.destroyed) return finish();
  const empty = stream.readableLength === 0;
  try {
    beforeHead?.();
    writeHead(res, response.status, response.statusText, empty ? toNodeHeaders(headers, 0) : headers);
  } catch (error) {
    finish();
    throw error;
  }
  if (empty) {
    // At its end: the read lets it emit 'end', as a drained stream does.
    stream.read();
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      stream.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      res.off("drain", onDrain).off("close", onGone);
    };
    // Node's pipe(), less its bookkeeping and its 'pipe' event, which would tell a fused listener
    // around this response that a host framework piped a body into it (watchPipedErrors).
    const onData = (chunk: Buffer) => {
      if (!res.write(chunk)) stream.pause();
    };
    const onDrain = () => stream.resume();
    const onEnd = () => {
      stop();
      if (!res.destroyed) res.end();
      resolve();
    };
    const onError = (error: unknown) => {
      stop();
      closeConnection(res);
      reject(GatewayError.is(error) ? error : new GatewayError("GW_ERR_RESPONSE_ABORTED", undefined, { cause: error }));
    };
    // Closed before its end without an error: cut short, as a failure is.
    const onClose = () => onError(prematureClose());
    const onGone = () => {
      stop();
      finish();
      resolve();
    };
    stream.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
    res.on("drain", onDrain).on("close", onGone);
    // The wait for the first chunk left the stream paused.
    stream.resume();
  });
}

/**
 * Ends the connection under a committed response, after flushing what was already written: the
 * client gets the partial body and then an end of connection where the framing promised more —
 * a visible truncation, never a clean end (rule 24). Destroying at once could drop the headers
 * still queued, and the client would see a bare hang-up instead.
 *
 * @example
 * ```ts
 * res.write(firstChunk);
 * closeConnection(res); // the body failed after commit
 * ```
 */
export function closeConnection(res: ServerResponse): void {
  const socket = res.socket as (ServerResponse["socket"] & { destroySoon?: () => void }) | null;
  if (res.writableEnded && !res.writableFinished) {
    res.once("finish", () => socket?.destroy());
    return;
  }
  if (socket && typeof socket.destroySoon === "function") socket.destroySoon();
  else res.destroy();
}

/**
 * `res.writeHead` without an `undefined` reason in the middle: on-headers (behind compression,
 * express-session, morgan) reads `writeHead(status, undefined, headers)` as having no headers and
 * drops them all. Node's refusal of the head becomes the spec's error.
 */
function writeHead(res: ServerResponse, status: number, statusText: string | undefined, headers: OutgoingHttpHeaders) {
  try {
    if (statusText === undefined) res.writeHead(status, headers);
    else res.writeHead(status, statusText, headers);
  } catch (error) {
    // Every caller (serve(), the to* adapters, the socketless pair) reports Node's refusal alike.
    throw toHeadError(error, res);
  }
}

/**
 * Prepares gateway headers for `writeHead`: drops `undefined` values and hop-by-hop headers and,
 * when `length` is not -1 and the app set no content-length, adds one. Returns the app's own
 * object when nothing needs to change, so the common case allocates nothing.
 *
 * @example
 * ```ts
 * res.writeHead(200, toNodeHeaders({ "content-type": "text/plain" }, 5)).end("hello");
 * ```
 */
export function toNodeHeaders(headers: OutgoingHeaders | undefined, length: number): OutgoingHttpHeaders {
  if (headers === undefined) return length === -1 ? {} : { "content-length": length };
  let copy: OutgoingHeaders | undefined;
  let hasLength = false;
  for (const name in headers) {
    const value = headers[name];
    let drop = value === undefined;
    if (!drop && MAY_MATTER[name.length] === true) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP_HEADERS.has(lower)) drop = true;
      else if (lower === "content-length") hasLength = true;
    }
    if (drop) {
      copy ??= cloneHeaders(headers);
      delete copy[name];
    }
  }
  if (length !== -1 && !hasLength) {
    copy ??= cloneHeaders(headers);
    copy["content-length"] = length;
  }
  // Node reads header lists without mutating them; its type just lacks `readonly`.
  return (copy ?? headers) as OutgoingHttpHeaders;
}

// By length, the names toNodeHeaders must recognise whatever their case: the hop-by-hop headers and
// content-length. A name of any other length (content-type, etag, cache-control) is neither, and is
// not lowercased to find out: ~190 machine instructions a header, on every response.
const MAY_MATTER: boolean[] = [];
for (const name of [...HOP_BY_HOP_HEADERS, "content-length"]) MAY_MATTER[name.length] = true;

// Object.assign, not a spread: V8 gives a spread clone a map it cannot extend, so adding
// content-length to it turns the copy into a dictionary (~450 ns instead of ~30 ns per response).
function cloneHeaders(headers: OutgoingHeaders): OutgoingHeaders {
  return Object.assign({}, headers);
}

/**
 * The content-length a header object declares, or -1; an unusable value is `GW_ERR_INVALID_HEADER`.
 *
 * @example
 * ```ts
 * declaredLength({ "Content-Length": "12" }); // 12
 * ```
 */
export function declaredLength(headers: OutgoingHttpHeaders): number {
  let value: unknown = headers["content-length"];
  if (value === undefined) {
    // "content-length" has 14 letters: other names are not lowercased to compare them.
    for (const name in headers)
      if (name.length === 14 && name.toLowerCase() === "content-length") value = headers[name];
    if (value === undefined) return -1;
  }
  const length = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(length) || length < 0 || (typeof value === "string" && !/^\d+$/.test(value))) {
    throw new GatewayError("GW_ERR_INVALID_HEADER", `content-length ${JSON.stringify(value)}`);
  }
  return length;
}
