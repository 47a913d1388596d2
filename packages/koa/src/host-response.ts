import type { Readable } from "node:stream";
import {
  type BodyReader,
  GatewayError,
  type GatewayResponse,
  HOP_BY_HOP_HEADERS,
  type OutgoingHeaders,
  openBody,
} from "@gangway/core";
import type { ParameterizedContext } from "koa";
import { BodyStream } from "./body-stream.js";

/** A response ready to hand to Koa: past its commit point, its body bytes, a stream or none. */
export interface KoaReadyResponse {
  status: number;
  statusText: string | undefined;
  headers: OutgoingHeaders | undefined;
  body: Buffer | Readable | null;
}

const EMPTY = Buffer.alloc(0);

/**
 * Takes a gateway response to its commit point (rule 19) for a request with `method`: whole
 * bodies are checked against their content-length, a stream's first non-empty chunk is read, and
 * a body that will not be sent (HEAD, 204/205/304) is finished unread. Everything that can go
 * wrong before commit throws here, while Koa could still answer with an error.
 *
 * @example
 * ```ts
 * applyResponse(ctx, await readyResponse(await app(request), ctx.method));
 * ```
 */
export async function readyResponse(response: GatewayResponse, method: string): Promise<KoaReadyResponse> {
  const { status, statusText, headers } = response;
  // Koa can only send final responses; interim ones are the server's (rule 14).
  if (status < 200) throw new GatewayError("GW_ERR_INVALID_STATUS", `${status} is not a final status`);
  if (statusText !== undefined && (typeof statusText !== "string" || /[^\t\x20-\x7e\x80-\xff]/.test(statusText))) {
    throw new GatewayError("GW_ERR_INVALID_STATUS", `reason phrase ${JSON.stringify(statusText)}`);
  }
  const noContent = status === 204 || status === 205 || status === 304;
  const declared = declaredLength(headers);
  const opened = openBody(response.body);
  const ready: KoaReadyResponse = { status, statusText, headers, body: null };
  if (opened === null || opened instanceof Uint8Array) {
    const bytes = opened === null ? EMPTY : Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength);
    // HEAD may declare GET's length over no body (rule 17).
    if (declared !== -1 && !noContent && method !== "HEAD" && declared !== bytes.byteLength) {
      throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body ${bytes.byteLength}`);
    }
    if (!noContent) ready.body = bytes;
  } else if (noContent) {
    await opened.finish();
  } else if (method === "HEAD") {
    // Koa ends a HEAD response without reading its body and destroys the stream: finished unread.
    ready.body = new BodyStream(null, opened, -1);
  } else {
    const first = await firstChunk(opened);
    if (first === null && declared > 0) {
      throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body empty`);
    }
    ready.body = first === null ? EMPTY : new BodyStream(first, opened, declared);
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
    // Koa turns a null body under a status that has content into 204; a 204/205/304 has none anyway.
    ctx.body = body;
    let hasType = false;
    if (headers !== undefined) {
      for (const name of Object.keys(headers)) {
        const value = headers[name];
        const lower = name.toLowerCase();
        if (value === undefined || HOP_BY_HOP_HEADERS.has(lower)) continue;
        if (lower === "set-cookie")
          ctx.append("Set-Cookie", typeof value === "string" ? value : [...(value as string[])]);
        else ctx.set(name, Array.isArray(value) ? [...value] : String(value));
        if (lower === "content-type") hasType = true;
      }
    }
    // Koa guesses a content-type for every body; the app chose to send none.
    if (!hasType && !hadType && body !== null) ctx.remove("Content-Type");
    if (ready.statusText !== undefined) ctx.message = ready.statusText;
  } catch (error) {
    // A header Node refuses (CR, LF, a bad name): the body is not going out, finish it (rule 21).
    if (body !== null && !Buffer.isBuffer(body)) body.destroy();
    if (GatewayError.is(error)) throw error;
    throw new GatewayError("GW_ERR_INVALID_HEADER", (error as Error).message, { cause: error });
  }
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
