import type { Readable } from "node:stream";
import {
  type BodyReader,
  discardBody,
  endConnection,
  GatewayError,
  type GatewayResponse,
  getGatewayRequest,
  HOP_BY_HOP_HEADERS,
  type OutgoingHeaders,
  openBody,
  type SignalSource,
  takeReadable,
  whenReadable,
} from "@gangway/core";
import type { ParameterizedContext } from "koa";
import { BodyStream } from "./body-stream.js";

/** A response ready to hand to Koa: past its commit point, its body text, bytes, a stream or none. */
export interface KoaReadyResponse {
  status: number;
  statusText: string | undefined;
  headers: OutgoingHeaders | undefined;
  body: string | Buffer | Readable | null;
}

const EMPTY = Buffer.alloc(0);

/**
 * Takes a gateway response to its commit point (rule 19) for a request with `method`: whole
 * bodies are checked against their content-length, a stream's first non-empty chunk is read, and
 * a body that will not be sent (HEAD, 204/205/304) is finished unread. Text stays a string. Everything that can go
 * wrong before commit throws here, while Koa could still answer with an error. A response whose
 * body is bytes (or none) is ready at once, without a promise; only a stream needs awaiting.
 * Given the `client` watch, a body still waiting for its first chunk when the client goes away is
 * finished (rule 21), and the wait rejects.
 *
 * @example
 * ```ts
 * applyResponse(ctx, await readyResponse(await app(request), ctx.method));
 * ```
 */
export function readyResponse(
  response: GatewayResponse,
  method: string,
  client?: Pick<SignalSource, "onAbort">,
): KoaReadyResponse | Promise<KoaReadyResponse> {
  try {
    return toReady(response, method, client);
  } catch (error) {
    // Refused before commit: a body not yet opened is finished unsent (rule 21).
    discardBody(response.body).catch(() => {});
    throw error;
  }
}

function toReady(
  response: GatewayResponse,
  method: string,
  client: Pick<SignalSource, "onAbort"> | undefined,
): KoaReadyResponse | Promise<KoaReadyResponse> {
  const { status, statusText, headers } = response;
  // Koa can only send final responses; interim ones are the server's (rule 14).
  if (status < 200) throw new GatewayError("GW_ERR_INVALID_STATUS", `${status} is not a final status`);
  if (statusText !== undefined && (typeof statusText !== "string" || /[^\t\x20-\x7e\x80-\xff]/.test(statusText))) {
    throw new GatewayError("GW_ERR_INVALID_STATUS", `reason phrase ${JSON.stringify(statusText)}`);
  }
  const noContent = status === 204 || status === 205 || status === 304;
  const declared = declaredLength(headers);
  const ready: KoaReadyResponse = { status, statusText, headers, body: null };
  if (typeof response.body === "string") {
    // Text stays text, as a Koa handler's `ctx.body = "..."`: Node sends a string in one write
    // with the head, where bytes go as a second chunk.
    const length = Buffer.byteLength(response.body);
    if (declared !== -1 && !noContent && method !== "HEAD" && declared !== length) {
      throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body ${length}`);
    }
    if (!noContent) ready.body = response.body;
    return ready;
  }
  // A Node stream that is the body byte for byte goes to Koa as it is, as a native `ctx.body =
  // stream`: Koa pipes it, with no reader and no second stream per chunk. Only without a declared
  // length, which BodyStream holds the body to (rule 18).
  const stream = declared === -1 && !noContent && method !== "HEAD" ? takeReadable(response.body) : undefined;
  if (stream !== undefined) return readyReadable(ready, stream, client);
  const opened = openBody(response.body);
  if (opened === null || opened instanceof Uint8Array) {
    const bytes =
      opened === null
        ? EMPTY
        : Buffer.isBuffer(opened)
          ? opened
          : Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength);
    // HEAD may declare GET's length over no body (rule 17).
    if (declared !== -1 && !noContent && method !== "HEAD" && declared !== bytes.byteLength) {
      throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body ${bytes.byteLength}`);
    }
    if (!noContent) ready.body = bytes;
    return ready;
  }
  return readyStream(ready, opened, declared, noContent, method, client);
}

async function readyStream(
  ready: KoaReadyResponse,
  opened: BodyReader,
  declared: number,
  noContent: boolean,
  method: string,
  client: Pick<SignalSource, "onAbort"> | undefined,
): Promise<KoaReadyResponse> {
  if (noContent) {
    await opened.finish();
  } else if (method === "HEAD") {
    // Koa ends a HEAD response without reading its body and destroys the stream: finished unread.
    ready.body = new BodyStream(null, opened, -1);
  } else {
    // A client that leaves while the body has nothing to send yet finishes it (rule 21).
    const stop = client?.onAbort(() => void opened.finish());
    let first: Uint8Array | null;
    try {
      first = await firstChunk(opened);
    } finally {
      stop?.();
    }
    if (first === null && declared > 0) {
      throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body empty`);
    }
    ready.body = first === null ? EMPTY : new BodyStream(first, opened, declared);
  }
  return ready;
}

/**
 * The commit point of a Node stream (rule 19) without reading from it: its first bytes arrived, it
 * ended, or it failed — then the rejection goes up Koa's chain as any failure before commit does.
 */
async function readyReadable(
  ready: KoaReadyResponse,
  stream: Readable,
  client: Pick<SignalSource, "onAbort"> | undefined,
): Promise<KoaReadyResponse> {
  // A client that leaves while the stream has nothing to send yet finishes it (rule 21).
  const stop = client?.onAbort(() => stream.destroy());
  try {
    await whenReadable(stream);
  } finally {
    stop?.();
  }
  if (stream.readableLength > 0) {
    ready.body = stream;
  } else {
    // At its end: an empty body, as a reader's first `null` makes it (fromKoa's pipe would wait
    // for an 'end' that has been). The read lets a stream at its end emit 'end'.
    stream.read();
    ready.body = EMPTY;
  }
  return ready;
}

/**
 * Sets a ready response on a Koa context the way Koa middleware would — `ctx.status`,
 * `ctx.body`, `ctx.set`, `ctx.message` — so everything upstream of it (koa-compress, loggers,
 * headers set after `await next()`) still applies. Headers the host already set stay unless the
 * response names them; `set-cookie` is appended to the host's cookies, never replacing them.
 *
 * @example
 * ```ts
 * applyResponse(ctx, { status: 200, statusText: undefined, headers: {}, body: Buffer.from("hi") });
 * ```
 */
export function applyResponse(ctx: ParameterizedContext, ready: KoaReadyResponse): void {
  const { body, headers } = ready;
  try {
    const hadType = ctx.res.hasHeader("content-type");
    ctx.status = ready.status;
    // Koa's body setter guesses a content-type (a mime lookup) when none is set yet: set the app's
    // own first and it has none to guess. Only for text and bytes — for a null or stream body the
    // setter drops headers, which therefore come after it. Set under the app's name and as the
    // loop below would, which then leaves it be: a header set again keeps its place, and Koa's
    // `ctx.set` costs more than the rest of a small response's headers.
    let typeSet = false;
    if (headers !== undefined && isWhole(body)) {
      const name = contentTypeName(headers);
      if (name !== undefined) {
        ctx.set(name, toKoaValue(headers[name]));
        typeSet = true;
      }
    }
    // Koa turns a null body under a status that has content into 204; a 204/205/304 has none anyway.
    ctx.body = body;
    let hasType = false;
    if (headers !== undefined) {
      for (const name of Object.keys(headers)) {
        const value = headers[name];
        const lower = name.toLowerCase();
        if (value === undefined || HOP_BY_HOP_HEADERS.has(lower)) continue;
        if (lower === "content-type") {
          hasType = true;
          // Set above, to the value of the last content-type named, as this loop would leave it.
          if (typeSet) continue;
        }
        if (lower === "set-cookie")
          ctx.append("Set-Cookie", typeof value === "string" ? value : [...(value as string[])]);
        else ctx.set(name, toKoaValue(value));
      }
    }
    // Koa guesses a content-type for every body; the app chose to send none.
    if (!hasType && !hadType && body !== null) ctx.remove("Content-Type");
    if (ready.statusText !== undefined) ctx.message = ready.statusText;
    if (body instanceof BodyStream) body.onOverflow = (error) => closeAfterOverflow(ctx, error);
  } catch (error) {
    // A header Node refuses (CR, LF, a bad name): the body is not going out, finish it (rule 21).
    if (body !== null && !isWhole(body)) body.destroy();
    if (GatewayError.is(error)) throw error;
    throw new GatewayError("GW_ERR_INVALID_HEADER", (error as Error).message, { cause: error });
  }
}

/**
 * A body longer than its content-length, sent by the Koa host: the declared bytes went out and the
 * response ends cleanly; then the connection closes (no keep-alive after a wrong body) and the
 * host's error path hears of it once (rules 18, 24). A Koa app run by `fromKoa` sends its stream
 * itself and replaces this hook; behind a wrapping stream (koa-compress) it may have no `error`
 * listener, and Koa's `ctx.onerror` would then throw.
 */
function closeAfterOverflow(ctx: ParameterizedContext, error: GatewayError): void {
  const { req, res } = ctx;
  const socket = req.socket;
  let settled = false;
  const done = () => {
    if (settled) return;
    settled = true;
    // A client that left first saw a truncation; there is nothing to report (rule 26).
    if (!res.writableFinished) return;
    if (getGatewayRequest(req) === undefined) endConnection(socket);
    if (ctx.app.listenerCount("error") > 0) ctx.onerror(error);
  };
  if (res.writableFinished) done();
  else res.once("finish", done).once("close", done);
}

function isWhole(body: KoaReadyResponse["body"]): body is string | Buffer {
  return typeof body === "string" || Buffer.isBuffer(body);
}

/**
 * The name of the content-type among `headers` that the loop in applyResponse leaves in place: the
 * last one named with a value.
 */
function contentTypeName(headers: OutgoingHeaders): string | undefined {
  let type: string | undefined;
  for (const name of Object.keys(headers)) {
    if (headers[name] !== undefined && name.toLowerCase() === "content-type") type = name;
  }
  return type;
}

/** A header value as `ctx.set` takes it: a copy of a list (Koa maps it), or a string. */
function toKoaValue(value: OutgoingHeaders[string]): string | string[] {
  return Array.isArray(value) ? [...value] : String(value);
}

async function firstChunk(reader: BodyReader): Promise<Uint8Array | null> {
  let chunk = await reader.read();
  while (chunk !== null && chunk.byteLength === 0) chunk = await reader.read();
  return chunk;
}

/** The content-length a response declares, or -1; an unusable value is `GW_ERR_INVALID_HEADER` (rule 18). */
function declaredLength(headers: OutgoingHeaders | undefined): number {
  if (headers === undefined) return -1;
  let value: unknown;
  for (const name of Object.keys(headers)) if (name.toLowerCase() === "content-length") value = headers[name];
  if (value === undefined) return -1;
  const length = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(length) || length < 0 || (typeof value === "string" && !/^\d+$/.test(value))) {
    throw new GatewayError("GW_ERR_INVALID_HEADER", `content-length ${JSON.stringify(value)}`);
  }
  return length;
}
