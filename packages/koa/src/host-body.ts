import type { IncomingMessage } from "node:http";
import { GatewayError, type IncomingHeaders, OnceBody, type RequestBody, toRequestBody } from "@gangway/core";
import type { ParameterizedContext } from "koa";

/** A request body rebuilt from what a host parser left behind, with the headers that describe it. */
export interface HostBody {
  body: RequestBody | null;
  headers: IncomingHeaders;
}

/** The fields Koa body parsers leave behind: on `ctx.request`, or on `ctx.req` with `patchNode`. */
type ParsedFields = { body?: unknown; rawBody?: unknown; files?: unknown };

/**
 * Whether a Node request carries a body (rule 10): a transfer-encoding, or a non-zero content-length.
 *
 * @example
 * ```ts
 * const body = hasBody(ctx.req) ? ctx.req : null;
 * ```
 */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * Whether someone already read the request stream (rule 34): a body parser (@koa/bodyparser,
 * koa-body), or a drain. @koa/bodyparser sets `ctx.request.body = {}` for types it does not parse
 * and leaves the stream unread, so the stream's own state decides, not the field.
 *
 * @example
 * ```ts
 * if (hasBody(ctx.req) && isBodyConsumed(ctx.req)) request = { ...request, ...fromHostBody(ctx) };
 * ```
 */
export function isBodyConsumed(req: IncomingMessage): boolean {
  return req.readableEnded || req.readableDidRead;
}

/**
 * The body the app gets when a host parser consumed the stream (rule 34): the bytes the parser
 * kept (`ctx.request.rawBody` of @koa/bodyparser, koa-body's `includeUnparsed`, a `Buffer` body),
 * or a faithful re-encoding of what it parsed — JSON with `JSON.stringify`, an urlencoded form with
 * its fields serialized again, text as UTF-8 — with a matching `content-length` and no
 * `transfer-encoding` or `content-encoding` (the parser decoded both). Anything else (multipart
 * fields and files, nested form objects, text in another charset) becomes a body whose first read
 * rejects with `GW_ERR_BODY_CONSUMED`, never a hang or a silent empty body.
 *
 * @example
 * ```ts
 * // after bodyParser() parsed {"a":1}
 * const { body, headers } = fromHostBody(ctx); // body yields '{"a":1}', content-length "7"
 * ```
 */
export function fromHostBody(ctx: ParameterizedContext): HostBody {
  const req = ctx.req;
  const bytes = recoverBytes(ctx.request as ParsedFields, req);
  if (typeof bytes === "string") return { body: consumedBody(bytes), headers: req.headers };
  const headers: IncomingHeaders = { ...req.headers, "content-length": String(bytes.byteLength) };
  delete headers["transfer-encoding"];
  delete headers["content-encoding"];
  return { body: bytes.byteLength === 0 ? null : toRequestBody(bytes), headers };
}

/** The body bytes recovered from what a parser left behind, or why they cannot be. */
function recoverBytes(request: ParsedFields, req: IncomingMessage & ParsedFields): Uint8Array | string {
  const parsed = request.body !== undefined ? request.body : req.body;
  const raw = request.rawBody !== undefined ? request.rawBody : req.rawBody;
  const { mime, charset } = mediaType(req.headers["content-type"]);
  // A raw parser's Buffer, or the raw text a parser kept: the original bytes (rule 34.1).
  if (parsed instanceof Uint8Array) return parsed;
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === "string" && isUtf8(charset)) return Buffer.from(raw);
  if (parsed === undefined) return "the request stream was read and nothing kept its content";
  if (request.files !== undefined || req.files !== undefined) return `${mime} parsed into fields and files`;
  // A faithful re-encoding: parsing it again gives the same value (rule 34.2).
  if (mime === "application/json" || mime.endsWith("+json")) {
    const text = JSON.stringify(parsed);
    return text === undefined ? `${mime} parsed into ${typeof parsed}` : Buffer.from(text);
  }
  if (mime === "application/x-www-form-urlencoded") {
    const form = toSearchParams(parsed);
    return form === undefined ? "a form parsed into nested values" : Buffer.from(form.toString());
  }
  if (mime.startsWith("text/") && typeof parsed === "string") {
    return isUtf8(charset) ? Buffer.from(parsed) : `text in charset ${charset}`;
  }
  return `${mime || "a body without content-type"} parsed by the host`;
}

/**
 * Serializes the fields a form parser produced so that parsing the result again gives the same
 * value: strings as `name=value`, lists as the name repeated (a list of one as `name[]`, the only
 * spelling qs — which co-body and koa-body use — parses back into a list). Nested objects have no
 * spelling every parser reads alike: `undefined`.
 */
function toSearchParams(parsed: unknown): URLSearchParams | undefined {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === "string") form.append(name, value);
    else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) {
      if (value.length === 1) form.append(`${name}[]`, value[0] as string);
      else for (const v of value as string[]) form.append(name, v);
    } else return undefined;
  }
  return form;
}

function mediaType(header: string | undefined): { mime: string; charset: string } {
  if (header === undefined) return { mime: "", charset: "" };
  const [type = "", ...params] = header.split(";");
  let charset = "";
  for (const param of params) {
    const [name, value = ""] = param.split("=");
    if (name?.trim().toLowerCase() === "charset") charset = value.trim().replace(/^"|"$/g, "").toLowerCase();
  }
  return { mime: type.trim().toLowerCase(), charset };
}

function isUtf8(charset: string): boolean {
  return charset === "" || charset === "utf-8" || charset === "utf8";
}

/** A body whose first read fails with GW_ERR_BODY_CONSUMED (rule 34.3). */
function consumedBody(detail: string): OnceBody {
  return new OnceBody(() => ({
    next: () => Promise.reject(new GatewayError("GW_ERR_BODY_CONSUMED", detail)),
    return: async () => ({ done: true, value: undefined }),
  }));
}
