import { STATUS_CODES } from "node:http";
import { type BodyReader, discardBody, openBody } from "./body-reader.js";
import { checkResponse, isBodiless } from "./check-response.js";
import { GatewayError } from "./errors.js";
import { HOP_BY_HOP_HEADERS } from "./hop-by-hop.js";
import { declaredLength } from "./node/send-response.js";
import { splitTarget } from "./node/to-gateway-request.js";
import { OnceBody, toRequestBody } from "./request-body.js";
import type {
  GatewayApp,
  GatewayEnv,
  GatewayRequest,
  GatewayResponse,
  IncomingHeaders,
  OutgoingHeaders,
} from "./types.js";

/** A request for {@link inject}. */
export interface InjectOptions {
  method?: string;
  /** Path and query, e.g. "/users?page=2"; an absolute URL sets scheme and authority too. Default "/". */
  url?: string;
  /** Request headers; names are lower-cased. Pairs keep repeats and odd names such as `__proto__`. */
  headers?: Record<string, string | string[]> | ReadonlyArray<readonly [string, string]>;
  /** The body; strings and bytes get a content-length, streams `transfer-encoding: chunked`. */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
  /** Aborting it is the client going away: `request.signal` aborts and the response body is finished. */
  signal?: AbortSignal;
  remoteAddress?: string;
  /** Extra env entries. */
  env?: GatewayEnv;
}

/** What {@link inject} resolves to: the response as a client sees it. */
export interface InjectResponse {
  status: number;
  statusText: string;
  /** Lower-case names; `set-cookie` a list; numbers as strings. */
  headers: Record<string, string | string[]>;
  /** The body bytes, streamed as the app produces them; empty for HEAD/204/304. Read once. */
  body: AsyncIterable<Uint8Array>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
  /** The request the app received. */
  request: GatewayRequest;
}

/**
 * Sends one request to a gateway app with no socket — the test client. The app's errors reject
 * the call (no silent 500); an error after the first chunk rejects the body's iteration, as a
 * client would see a truncated response. Content-length is added to string and byte bodies as a
 * Node server would.
 *
 * @example
 * ```ts
 * import { inject } from "@gangway/core";
 * const response = await inject(app, { method: "POST", url: "/echo", body: "hi" });
 * expect(response.status).toBe(200);
 * expect(await response.text()).toBe("hi");
 * ```
 */
export async function inject(app: GatewayApp, options: InjectOptions = {}): Promise<InjectResponse> {
  const method = (options.method ?? "GET").toUpperCase();
  const { path, query, authority: targetAuthority } = splitTarget(options.url ?? "/", method);
  const headers = toIncomingHeaders(options.headers);
  const { body } = options;
  if (body !== undefined && headers["content-length"] === undefined && headers["transfer-encoding"] === undefined) {
    if (typeof body === "string") headers["content-length"] = String(Buffer.byteLength(body));
    else if (body instanceof Uint8Array) headers["content-length"] = String(body.byteLength);
    else headers["transfer-encoding"] = "chunked";
  }
  const authority = targetAuthority ?? (headers.host as string | undefined) ?? "localhost";
  if (headers.host === undefined) headers.host = authority;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  const hasBody = body !== undefined && headers["content-length"] !== "0";
  const request: GatewayRequest = {
    method,
    scheme: /^https:/i.test(options.url ?? "") ? "https" : "http",
    authority,
    basePath: "",
    path,
    query,
    headers,
    body: hasBody ? toAbortableBody(body, controller.signal) : null,
    signal: controller.signal,
    remoteAddress: options.remoteAddress ?? "127.0.0.1",
    env: { "gangway.version": "1.0", ...options.env },
  };
  const answered = await app(request);
  let response: GatewayResponse;
  try {
    response = checkResponse(answered);
    checkHead(response);
  } catch (error) {
    // A malformed response may still hold a body with resources behind it (rule 21).
    await discardBody((answered as Partial<GatewayResponse> | null)?.body);
    throw error;
  }
  // A client that left before the answer gets none; the body is finished unread (rule 21).
  if (options.signal?.aborted) {
    await discardBody(response.body);
    throw options.signal.reason;
  }
  const opened = openBody(response.body);
  const bodiless = isBodiless(response.status, method);
  let first: Uint8Array | null = null;
  let reader: BodyReader | null = null;
  if (opened instanceof Uint8Array || opened === null) {
    first = opened;
  } else if (bodiless) {
    await opened.finish();
  } else {
    // Commit point (rule 19): an error before the first non-empty chunk rejects the call itself.
    reader = opened;
    // A client that leaves while the body has nothing to send yet finishes it (rule 21).
    const finishOnAbort = () => void opened.finish();
    options.signal?.addEventListener("abort", finishOnAbort, { once: true });
    try {
      first = await reader.read();
      while (first !== null && first.byteLength === 0) first = await reader.read();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw error;
    } finally {
      options.signal?.removeEventListener("abort", finishOnAbort);
    }
    if (options.signal?.aborted) {
      await reader.finish();
      throw options.signal.reason;
    }
    if (first === null) reader = null;
  }
  const out = toResponseHeaders(response.headers);
  const noContent = response.status < 200 || response.status === 204 || response.status === 304;
  // The same content-length rules as a Node server (rule 18): computed for whole bodies, and a
  // declared length the body does not match is an error.
  const declared = declaredLength(out);
  if (declared === -1 && reader === null && !noContent) {
    out["content-length"] = String(response.status === 205 ? 0 : (first?.byteLength ?? 0));
  } else if (declared !== -1 && reader === null && !bodiless && declared !== (first?.byteLength ?? 0)) {
    throw new GatewayError(
      "GW_ERR_CONTENT_LENGTH_MISMATCH",
      `content-length ${declared}, body ${first?.byteLength ?? 0} bytes`,
    );
  }
  const stream = bodiless ? emptyBody() : responseBody(first, reader, controller, options.signal, declared);
  let read: Promise<Uint8Array> | undefined;
  const bytes = () => (read ??= collect(stream));
  return {
    status: response.status,
    statusText: response.statusText ?? STATUS_CODES[response.status] ?? "",
    headers: out,
    body: stream,
    bytes,
    text: async () => Buffer.from(await bytes()).toString("utf8"),
    json: async () => JSON.parse(Buffer.from(await bytes()).toString("utf8")),
    request,
  };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

async function* responseBody(
  first: Uint8Array | null,
  reader: BodyReader | null,
  controller: AbortController,
  signal: AbortSignal | undefined,
  declared: number,
): AsyncGenerator<Uint8Array> {
  const onAbort = () => void reader?.finish();
  signal?.addEventListener("abort", onAbort, { once: true });
  let complete = false;
  let sent = 0;
  const mismatch = () =>
    new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body ${sent} bytes or more`);
  try {
    if (first !== null) {
      sent += first.byteLength;
      if (declared !== -1 && sent > declared) throw mismatch();
      yield first;
    }
    if (reader !== null) {
      for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
        if (signal?.aborted) break;
        sent += chunk.byteLength;
        if (declared !== -1 && sent > declared) throw mismatch();
        yield chunk;
      }
      if (declared !== -1 && sent !== declared && !signal?.aborted) throw mismatch();
    }
    complete = !signal?.aborted;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // The caller stopped reading before the end: that is the client going away (rule 11).
    if (!complete) controller.abort();
    await reader?.finish();
  }
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

// The fields Node's parser keeps single: a repeat is dropped and the first value wins (rule 8).
const SINGLE_FIELDS = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

function toIncomingHeaders(input: InjectOptions["headers"]): IncomingHeaders {
  const headers: IncomingHeaders = {};
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const previous = Object.hasOwn(headers, key) ? headers[key] : undefined;
    if (previous !== undefined && SINGLE_FIELDS.has(key)) return;
    // Own properties only: a header named __proto__ must stay data, never a prototype.
    let next: string | string[];
    if (previous === undefined) next = key === "set-cookie" ? [value] : value;
    else if (Array.isArray(previous)) next = [...previous, value];
    else next = `${previous}${key === "cookie" ? "; " : ", "}${value}`;
    Object.defineProperty(headers, key, { value: next, enumerable: true, writable: true, configurable: true });
  };
  if (Array.isArray(input)) for (const [name, value] of input) add(name, value);
  else if (input) for (const [name, value] of Object.entries(input)) for (const v of [value].flat()) add(name, v);
  return headers;
}

function toResponseHeaders(headers: OutgoingHeaders | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP_HEADERS.has(key)) continue;
    // As a client on the wire sees it: repeated lines joined with ", ", except set-cookie.
    let next: string | string[];
    if (!Array.isArray(value)) next = String(value);
    else next = key === "set-cookie" ? [...(value as string[])] : (value as string[]).join(", ");
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The request body of an injected request: read once, and when the client goes away (the caller's
 * `signal` aborts) the pending or next read rejects with `GW_ERR_BODY_ABORTED`, as on a server
 * whose connection closed (rule 11), and the source is finished.
 */
function toAbortableBody(body: NonNullable<InjectOptions["body"]>, signal: AbortSignal): OnceBody {
  const inner = toRequestBody(body);
  return new OnceBody(() => abortable(inner[Symbol.asyncIterator](), signal), body);
}

function abortable(iterator: AsyncIterator<Uint8Array>, signal: AbortSignal): AsyncIterator<Uint8Array> {
  const aborted = () => {
    void Promise.resolve(iterator.return?.()).catch(() => {});
    return new GatewayError("GW_ERR_BODY_ABORTED", undefined, { cause: signal.reason });
  };
  return {
    next() {
      if (signal.aborted) return Promise.reject(aborted());
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(aborted());
        signal.addEventListener("abort", onAbort, { once: true });
        iterator.next().then(
          (result) => {
            signal.removeEventListener("abort", onAbort);
            resolve(result);
          },
          (error) => {
            signal.removeEventListener("abort", onAbort);
            reject(error);
          },
        );
      });
    },
    return: async () => {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
  };
}

// What Node's writeHead accepts, so inject refuses what a server would (rules 14, 15): a token for
// a name; HTAB, visible ASCII and 0x80-0xFF in a value or reason phrase.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The checks a Node server's `writeHead` makes on a response head, with the spec's codes. */
function checkHead(response: GatewayResponse): void {
  if (response.statusText !== undefined && !FIELD_VALUE.test(response.statusText)) {
    throw new GatewayError("GW_ERR_INVALID_STATUS", `statusText ${JSON.stringify(response.statusText.slice(0, 64))}`);
  }
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    if (!TOKEN.test(name)) throw new GatewayError("GW_ERR_INVALID_HEADER", `name ${JSON.stringify(name.slice(0, 64))}`);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === "string" && !FIELD_VALUE.test(item)) {
        throw new GatewayError("GW_ERR_INVALID_HEADER", `value of ${JSON.stringify(name)}`);
      }
    }
  }
}
