import { GatewayError } from "./errors.js";
import { OnceBody, toRequestBody } from "./request-body.js";
import type { IncomingHeaders, RequestBody } from "./types.js";

/** A request body rebuilt from what a host parser left behind, with the headers that describe it. */
export interface ParsedBody {
  body: RequestBody | null;
  headers: IncomingHeaders;
}

/**
 * The body a gateway app gets when a host framework's parser consumed the request stream first
 * (rule 34) — shared by the `to*` adapters, which differ only in where the parser left its value.
 * The parser's bytes as they are (a raw parser's Buffer), or a faithful re-encoding of what it
 * parsed (see {@link encodeParsedBody}), with a matching `content-length` and no
 * `transfer-encoding` or `content-encoding` (the parser decoded both). A value that cannot be
 * rebuilt faithfully becomes a body whose first read rejects with `GW_ERR_BODY_CONSUMED`: never a
 * hang, never a silent empty body.
 *
 * @example
 * ```ts
 * // express.json() parsed {"a":1} off the stream before the gateway app ran:
 * const { body, headers } = fromParsedBody(req.body, req.headers, "an Express body parser");
 * // body yields '{"a":1}'; headers["content-length"] is "7"
 * ```
 */
export function fromParsedBody(parsed: unknown, headers: IncomingHeaders, parser = "a host parser"): ParsedBody {
  const bytes = encodeParsedBody(parsed, headers["content-type"]);
  if (bytes === undefined) {
    const type = JSON.stringify(String(headers["content-type"] ?? "a body without content-type").slice(0, 64));
    return { body: consumedBody(`${parser} read ${type} into a value that cannot be re-encoded faithfully`), headers };
  }
  return fromRecoveredBytes(bytes, headers);
}

/**
 * The request body and headers for bytes recovered from a host parser (its raw buffer, or a
 * re-encoding): `content-length` set to match, `transfer-encoding` and `content-encoding` gone, and
 * `null` for no bytes (rule 10).
 *
 * @example
 * ```ts
 * const { body, headers } = fromRecoveredBytes(ctx.request.rawBody, ctx.req.headers);
 * ```
 */
export function fromRecoveredBytes(bytes: Uint8Array, headers: IncomingHeaders): ParsedBody {
  const derived: IncomingHeaders = Object.assign({}, headers);
  derived["content-length"] = String(bytes.byteLength);
  delete derived["transfer-encoding"];
  delete derived["content-encoding"];
  return { body: bytes.byteLength === 0 ? null : toRequestBody(bytes), headers: derived };
}

/**
 * Re-encodes a value a body parser produced so that parsing the result again gives the same value
 * (rule 34), or `undefined` when no encoding is faithful: a `Uint8Array` as it is; for a UTF-8 (or
 * unspecified) charset, JSON types with `JSON.stringify`, an urlencoded form whose fields are
 * strings or lists of strings with its fields serialized again, and a string (a text parser's
 * result) as its UTF-8 bytes. Nested form objects and text in another charset have no faithful
 * encoding.
 *
 * @example
 * ```ts
 * encodeParsedBody({ a: ["1", "2"] }, "application/x-www-form-urlencoded"); // bytes of "a=1&a=2"
 * ```
 */
export function encodeParsedBody(parsed: unknown, contentType: string | string[] | undefined): Uint8Array | undefined {
  if (parsed instanceof Uint8Array) return parsed;
  if (parsed === undefined) return undefined;
  const { essence, charset } = parseContentType(typeof contentType === "string" ? contentType : "");
  // Parsers decoded the bytes with the declared charset; only a UTF-8 re-encoding is faithful.
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") return undefined;
  if (essence === "application/json" || essence.endsWith("+json")) {
    const text = JSON.stringify(parsed);
    return text === undefined ? undefined : Buffer.from(text);
  }
  if (essence === "application/x-www-form-urlencoded") {
    const form = encodeForm(parsed);
    return form === undefined ? undefined : Buffer.from(form);
  }
  return typeof parsed === "string" ? Buffer.from(parsed) : undefined;
}

/**
 * A request body whose first read rejects with `GW_ERR_BODY_CONSUMED` (rule 34): what cannot be
 * rebuilt must not look empty.
 *
 * @example
 * ```ts
 * const body = consumedBody("multer read the multipart body into files");
 * ```
 */
export function consumedBody(detail: string): OnceBody {
  return new OnceBody(() => ({
    next: () => Promise.reject(new GatewayError("GW_ERR_BODY_CONSUMED", detail)),
    return: async () => ({ done: true, value: undefined }),
  }));
}

/**
 * Serializes parsed form fields so that parsing them again gives the same value: strings as
 * `name=value`, lists as the name repeated — a list of one as `name[]`, the only spelling `qs`
 * (behind body-parser's `extended`, co-body and koa-body) parses back into a list. Nested objects
 * have no spelling every parser reads alike: `undefined`.
 */
function encodeForm(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const params = new URLSearchParams();
  for (const [name, field] of Object.entries(value)) {
    if (typeof field === "string") params.append(name, field);
    else if (Array.isArray(field) && field.length > 0 && field.every((item) => typeof item === "string")) {
      if (field.length === 1) params.append(`${name}[]`, field[0] as string);
      else for (const item of field as string[]) params.append(name, item);
    } else return undefined;
  }
  return params.toString();
}

function parseContentType(header: string): { essence: string; charset: string | undefined } {
  const [type = "", ...parameters] = header.split(";");
  let charset: string | undefined;
  for (const parameter of parameters) {
    const [name, raw] = parameter.split("=", 2);
    if (name?.trim().toLowerCase() === "charset" && raw !== undefined) {
      charset = raw.trim().replace(/^"|"$/g, "").toLowerCase();
    }
  }
  return { essence: type.trim().toLowerCase(), charset };
}
