import { STATUS_CODES } from "node:http";
import { Readable, Stream } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { format } from "node:util";
import type { ParameterizedContext } from "koa";

// Koa's own answers (lib/application.js respond(), lib/context.js onerror), mirrored so the caller
// decides where the body goes: onto a Node response (fromKoa) or into a host context (fusion).

type Context = ParameterizedContext;

const EMPTY_STATUSES = new Set([204, 205, 304]);

/**
 * Koa's `respond()` (lib/application.js) with the body kept instead of written: the headers and
 * status it sets stay on `ctx.res`, the body comes back as bytes, a string (as Koa hands it to
 * `res.end`, with no copy into a Buffer), a Node stream or `null`.
 *
 * @example
 * ```ts
 * const body = settle(ctx);
 * if (body === null) ctx.res.end();
 * ```
 */
export function settle(ctx: Context): Buffer | string | Readable | null {
  const { res, response } = ctx;
  const body: unknown = ctx.body;
  const code = ctx.status;
  if (EMPTY_STATUSES.has(code)) {
    // Koa's body setter strips the content headers and destroys a Node stream body.
    ctx.body = null;
    discardKoaBody(body);
    return null;
  }
  if (ctx.method === "HEAD") {
    if (!res.headersSent && !res.hasHeader("content-length")) {
      const { length } = response;
      if (Number.isInteger(length)) ctx.length = length as number;
    }
    discardKoaBody(body);
    return null;
  }
  if (body === null || body === undefined) {
    if ((response as { _explicitNullBody?: boolean })._explicitNullBody) {
      response.remove("Content-Type");
      response.remove("Transfer-Encoding");
      ctx.length = 0;
      return null;
    }
    const text = ctx.req.httpVersionMajor >= 2 ? String(code) : ctx.message || String(code);
    if (!res.headersSent) {
      ctx.type = "text";
      ctx.length = Buffer.byteLength(text);
    }
    return text;
  }
  if (typeof body === "string" || Buffer.isBuffer(body)) return body;
  // Node streams first: the web globals below load lazily, and a Node stream needs none of them.
  if (isStream(body)) return body as Readable;
  if (body instanceof Blob) return fromWeb(body.stream());
  if (body instanceof ReadableStream) return fromWeb(body);
  if (body instanceof Response) return body.body ? fromWeb(body.body) : null;
  const json = JSON.stringify(body);
  if (!res.headersSent) ctx.length = Buffer.byteLength(json);
  return json;
}

/**
 * Koa's `ctx.onerror` response (lib/context.js) with the body kept instead of written: every
 * header cleared, `err.headers` set, `text/plain`, the error's status (else 500), and its message
 * only when `expose` allows.
 *
 * @example
 * ```ts
 * ctx.res.end(errorBody(ctx, error));
 * ```
 */
export function errorBody(
  ctx: Context,
  error: Error & { headers?: unknown; status?: unknown; statusCode?: unknown },
): Buffer {
  const { res } = ctx;
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  const headers = error.headers;
  if (typeof headers === "object" && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (lower !== "content-type" && lower !== "content-length") ctx.set(name, value as string);
    }
  }
  ctx.type = "text";
  const code = error.status ?? error.statusCode;
  const status = typeof code === "number" && STATUS_CODES[code] !== undefined ? code : 500;
  const message = (error as { expose?: unknown }).expose ? error.message : (STATUS_CODES[status] as string);
  ctx.status = status;
  ctx.length = Buffer.byteLength(message);
  return Buffer.from(message);
}

/**
 * Koa answers these itself whatever the mode: `ctx.throw(403)`, a body parser's 400, a 4xx.
 *
 * @example
 * ```ts
 * isHttpError(Object.assign(new Error("no"), { status: 403, expose: true })); // true
 * ```
 */
export function isHttpError(error: Error): boolean {
  const { expose, status, statusCode } = error as { expose?: unknown; status?: unknown; statusCode?: unknown };
  const code = status ?? statusCode;
  return expose === true || (typeof code === "number" && code >= 400 && code < 500);
}

/**
 * Koa's normalisation of thrown values (lib/context.js).
 *
 * @example
 * ```ts
 * toError("oops").message; // 'non-error thrown: "oops"'
 * ```
 */
export function toError(thrown: unknown): Error {
  const isError = Object.prototype.toString.call(thrown) === "[object Error]" || thrown instanceof Error;
  return isError ? (thrown as Error) : new Error(format("non-error thrown: %j", thrown));
}

/** A web stream as a Node stream; destroying it cancels the web stream (rule 21). */
function fromWeb(stream: ReadableStream): Readable {
  return Readable.fromWeb(stream as WebReadableStream);
}

/** Koa's is-stream check (lib/is-stream.js). */
function isStream(value: unknown): boolean {
  if (value instanceof Stream) return true;
  const s = value as Partial<Readable> | null;
  return (
    typeof s === "object" &&
    s !== null &&
    !!s.readable &&
    typeof s.pipe === "function" &&
    typeof s.read === "function" &&
    typeof s.destroy === "function"
  );
}

/**
 * Finishes a body that will not be sent (rule 21): destroys a stream, cancels a web stream.
 *
 * @example
 * ```ts
 * discardKoaBody(ctx.body); // before answering with an error instead
 * ```
 */
export function discardKoaBody(body: unknown): void {
  if (typeof body !== "object" || body === null || Buffer.isBuffer(body)) return;
  if (isStream(body)) (body as Readable).destroy();
  else if (body instanceof ReadableStream) body.cancel().catch(() => {});
  else if (body instanceof Response) body.body?.cancel().catch(() => {});
}
