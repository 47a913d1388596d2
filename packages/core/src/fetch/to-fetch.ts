import { type BodyReader, describe, discardBody, openBody } from "../body-reader.js";
import { checkResponse } from "../check-response.js";
import { GatewayError } from "../errors.js";
import { toRequestBody } from "../request-body.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import type { FetchHandler } from "./from-fetch.js";
import { fromFetchHeaders, toFetchHeaders } from "./headers.js";
import { kFetchApp, kFetchHandler } from "./markers.js";
import { toReadableStream } from "./readable-stream.js";

declare module "../types.js" {
  interface GatewayEnv {
    /** The Fetch `Request` toFetch received; not authoritative once middleware derived a new request (rule 12). */
    "fetch.request"?: Request;
  }
}

/** Options for {@link toFetch}. */
export interface ToFetchOptions {
  /**
   * Hand a `fromFetch` product's own Fetch handler back instead of wrapping it (fusion,
   * rule 35). Default `true`.
   */
  fuse?: boolean;
}

/** A Fetch handler made from a gateway app. A fused one is the original handler, which may answer synchronously. */
export type GatewayFetchHandler = (request: Request) => Response | Promise<Response>;

// The statuses whose Response must have a null body (Fetch standard, "null body status"); 101
// and 103 are refused by the Response constructor before that matters.
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
// RFC 9112 reason-phrase: HTAB, SP, visible ASCII, obs-text. The Response constructor checks the same.
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Runs a gateway app where only Fetch exists: Deno, Bun, Cloudflare Workers, a Hono route, a test
 * driving undici's `Request`. The app gets `basePath: ""` and the URL's pathname as `path` (the
 * WHATWG URL parser has already removed dot segments and may have re-encoded characters), headers
 * in Node's shape, the request's stream as a read-once body, and `request.signal`. Its response
 * becomes a `Response` with `statusText`, one `set-cookie` per cookie, and the body streaming one
 * chunk per read.
 *
 * - The handler resolves at the commit point (rule 19): once the first non-empty chunk is ready.
 *   An app error before it rejects the handler's promise, so the Fetch host answers it; one after
 *   it errors the `Response` body (rule 27).
 * - 204, 205 and 304 get a `null` body, and so does HEAD, with the `content-length` GET would
 *   have (rule 17); the app's body is finished unread. A status outside 200–599, which `Response`
 *   cannot carry, is `GW_ERR_INVALID_STATUS`.
 * - `pass()` becomes a plain 404: a `Response` has no place for the mark (rule 30).
 * - `toFetch(fromFetch(h))` is `h` itself, unless `fuse: false` (rule 35).
 *
 * @example
 * ```ts
 * import { text, toFetch } from "@gangway/core";
 * const handler = toFetch((request) => text(`hello from ${request.path}`));
 * Deno.serve(handler); // or: export default { fetch: handler }
 * const response = await handler(new Request("http://localhost/there"));
 * console.log(await response.text()); // "hello from /there"
 * ```
 */
export function toFetch(app: GatewayApp, options: ToFetchOptions = {}): GatewayFetchHandler {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `toFetch got ${describe(app)}`);
  const fused = (app as { [kFetchHandler]?: FetchHandler })[kFetchHandler];
  if (fused !== undefined && options.fuse !== false) return fused;
  const handler = async function gatewayFetch(request: Request): Promise<Response> {
    const gatewayRequest = toGatewayRequest(request);
    const response = await app(gatewayRequest);
    try {
      checkResponse(response);
    } catch (error) {
      // A malformed response may still carry a body that holds resources (rule 21).
      await discardBody((response as Partial<GatewayResponse> | null)?.body);
      throw error;
    }
    return toResponse(response, gatewayRequest.method, request.signal);
  };
  Object.defineProperty(handler, kFetchApp, { value: app });
  return handler;
}

/** The gateway request for a Fetch `Request` (rules 3–13). */
function toGatewayRequest(request: Request): GatewayRequest {
  const url = new URL(request.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new GatewayError("GW_ERR_INVALID_URL", `a gateway app serves http and https, not ${url.protocol}`);
  }
  const headers = fromFetchHeaders(request.headers, { dropHopByHop: false });
  // A Request made in code has no host field; every HTTP/1.1 request has one (rule 8).
  if (!Object.hasOwn(headers, "host")) headers.host = url.host;
  const empty = request.body === null || headers["content-length"] === "0";
  return {
    method: request.method,
    scheme: url.protocol === "https:" ? "https" : "http",
    authority: url.host,
    basePath: "",
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    body: empty ? null : toRequestBody(request.body),
    signal: request.signal,
    env: { "gangway.version": "1.0", "fetch.request": request },
  };
}

/** The Fetch `Response` for a gateway response. */
async function toResponse(response: GatewayResponse, method: string, signal: AbortSignal): Promise<Response> {
  const { status, statusText } = response;
  let headers: Headers;
  try {
    if (status < 200 || status > 599) {
      throw new GatewayError("GW_ERR_INVALID_STATUS", `a Fetch Response carries 200 to 599, not ${status}`);
    }
    if (statusText !== undefined && !REASON_PHRASE.test(statusText)) {
      throw new GatewayError("GW_ERR_INVALID_STATUS", `statusText ${JSON.stringify(statusText.slice(0, 64))}`);
    }
    headers = toHeaders(response);
  } catch (error) {
    await discardBody(response.body);
    throw error;
  }
  const init: ResponseInit = { status, headers };
  if (statusText !== undefined) init.statusText = statusText;
  if (NULL_BODY_STATUSES.has(status) || method === "HEAD") {
    await discardBody(response.body);
    // HEAD carries the length GET would have (rule 17); 205 has content-length 0.
    if (!headers.has("content-length") && status !== 204 && status !== 304) {
      const length = status === 205 ? 0 : knownLength(response.body);
      if (length !== -1) headers.set("content-length", String(length));
    }
    return new Response(null, init);
  }
  const opened = openBody(response.body);
  if (opened === null || opened instanceof Uint8Array) {
    const length = opened?.byteLength ?? 0;
    checkLength(headers, length);
    if (!headers.has("content-length")) headers.set("content-length", String(length));
    // Bytes, never a string: `new Response(string)` would add a content-type the app did not set.
    return new Response(opened as Uint8Array<ArrayBuffer> | null, init);
  }
  const stream = await toStream(opened, signal);
  if (stream === null && !headers.has("content-length")) headers.set("content-length", "0");
  return new Response(stream, init);
}

/**
 * Reads up to the first non-empty chunk (the commit point, rule 19) and returns a stream that
 * hands it on, then pulls the rest one chunk per read.
 */
async function toStream(reader: BodyReader, signal: AbortSignal): Promise<ReadableStream<Uint8Array> | null> {
  let first: Uint8Array | null;
  // A client that leaves while the body has nothing to send yet finishes it (rule 21).
  const finishOnAbort = () => void reader.finish();
  signal.addEventListener("abort", finishOnAbort, { once: true });
  try {
    do first = await reader.read();
    while (first !== null && first.byteLength === 0);
  } catch (error) {
    await reader.finish();
    throw signal.aborted ? signal.reason : error;
  } finally {
    signal.removeEventListener("abort", finishOnAbort);
  }
  if (first === null) return null;
  let held: Uint8Array | null = first;
  const source = {
    read: async () => {
      if (held === null) return reader.read();
      const chunk = held;
      held = null;
      return chunk;
    },
    finish: () => reader.finish(),
  };
  return toReadableStream(source, signal);
}

function toHeaders(response: GatewayResponse): Headers {
  try {
    return toFetchHeaders(response.headers);
  } catch (error) {
    // Headers refuses bad names and values (CR, LF, NUL, code points above 0xFF) with a TypeError.
    throw new GatewayError("GW_ERR_INVALID_HEADER", (error as Error).message, { cause: error });
  }
}

/** The byte length of a string, bytes or absent body, or -1 for a stream. */
function knownLength(body: GatewayResponse["body"]): number {
  if (body === null || body === undefined) return 0;
  if (typeof body === "string") return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return -1;
}

/** Rule 18: a declared length must be one decimal integer, and match a body of known length. */
function checkLength(headers: Headers, length: number): void {
  const declared = headers.get("content-length");
  if (declared === null) return;
  if (!/^\d+$/.test(declared)) {
    throw new GatewayError("GW_ERR_INVALID_HEADER", `content-length ${JSON.stringify(declared.slice(0, 64))}`);
  }
  if (Number(declared) !== length) {
    throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `declared ${declared}, body has ${length}`);
  }
}
