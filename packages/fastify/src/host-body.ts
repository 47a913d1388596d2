import type { IncomingHeaders } from "@gangway/core";
import { GatewayError, OnceBody, toRequestBody } from "@gangway/core";

/** A body rebuilt from what a host parser left, with the headers that describe it. */
export interface HostBody {
  body: OnceBody;
  headers: IncomingHeaders;
}

/**
 * Rebuilds the bytes of a body a Fastify content-type parser already consumed (rule 34): a Buffer
 * as it is, JSON re-encoded, a flat urlencoded form re-serialized, UTF-8 text as its bytes — with
 * `content-length` corrected and `transfer-encoding` removed. Anything else (nested form fields,
 * text in another charset, a parser's own object) becomes a body whose first read rejects with
 * `GW_ERR_BODY_CONSUMED`: never a stream that was already read, which would hang or look empty.
 *
 * @example
 * ```ts
 * const { body, headers } = fromHostBody(request.body, request.headers);
 * ```
 */
export function fromHostBody(value: unknown, headers: IncomingHeaders): HostBody {
  const bytes = toBytes(value, headers["content-type"]);
  if (bytes === undefined) {
    const type = JSON.stringify(String(headers["content-type"] ?? "no content-type"));
    return { body: consumedBody(`a Fastify parser turned ${type} into a value that cannot be re-encoded`), headers };
  }
  const derived: IncomingHeaders = { ...headers, "content-length": String(bytes.byteLength) };
  delete derived["transfer-encoding"];
  return { body: toRequestBody(bytes), headers: derived };
}

/**
 * A body whose first read rejects with `GW_ERR_BODY_CONSUMED`.
 *
 * @example
 * ```ts
 * const body = consumedBody("a preHandler hook read the request stream");
 * ```
 */
export function consumedBody(detail: string): OnceBody {
  return new OnceBody(() => ({
    next: () => Promise.reject(new GatewayError("GW_ERR_BODY_CONSUMED", detail)),
    return: async () => ({ done: true, value: undefined }),
  }));
}

function toBytes(value: unknown, contentType: string | string[] | undefined): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  const { essence, charset } = parseType(typeof contentType === "string" ? contentType : "");
  const utf8 = charset === undefined || charset === "utf-8" || charset === "utf8";
  if (essence === "application/json" || essence.endsWith("+json")) {
    // Faithful means parsing it again gives the same value (rule 34), not the same bytes.
    const text = JSON.stringify(value);
    return text === undefined || !utf8 ? undefined : Buffer.from(text);
  }
  if (essence === "application/x-www-form-urlencoded") {
    const form = toSearchParams(value);
    return form === undefined ? undefined : Buffer.from(form.toString());
  }
  if (typeof value === "string" && utf8) return Buffer.from(value);
  return undefined;
}

/** A flat form (`{ a: "1", b: ["2", "3"] }`) as URLSearchParams; `undefined` for nested fields. */
function toSearchParams(value: unknown): URLSearchParams | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const params = new URLSearchParams();
  for (const [name, field] of Object.entries(value)) {
    if (typeof field === "string") params.append(name, field);
    else if (Array.isArray(field) && field.every((item) => typeof item === "string")) {
      for (const item of field) params.append(name, item);
    } else return undefined;
  }
  return params;
}

function parseType(header: string): { essence: string; charset: string | undefined } {
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
