import type { IncomingMessage } from "node:http";
import { GatewayError, type IncomingHeaders, OnceBody, type RequestBody, toRequestBody } from "@gangway/core";

/** A request body rebuilt from what a host parser left behind, with the headers that describe it. */
export interface HostBody {
  body: RequestBody;
  headers: IncomingHeaders;
}

/** The fields body parsers leave on a Node request. */
type ParsedRequest = IncomingMessage & { body?: unknown; _body?: unknown };

/**
 * Whether a host parser already read the request stream (rule 34): it ended or was read from
 * (body-parser 2 in Express 5, multer), or body-parser 1 (Express 4) marked it with `_body`, or
 * the message is complete with nothing left to read and a parser set `req.body`.
 *
 * @example
 * ```ts
 * if (isBodyConsumed(req)) request = { ...request, ...fromHostBody(req) };
 * ```
 */
export function isBodyConsumed(req: IncomingMessage): boolean {
  const parsed = req as ParsedRequest;
  return (
    req.readableEnded ||
    req.readableDidRead ||
    parsed._body === true ||
    (req.complete && req.readableLength === 0 && parsed.body !== undefined)
  );
}

/**
 * The body the app gets when a host parser consumed the stream (rule 34): the parser's bytes as
 * they are (`express.raw()`), or a faithful re-encoding of what it parsed — JSON with
 * `JSON.stringify`, an urlencoded form with its fields serialized again, text as UTF-8 — with a
 * matching `content-length` and no `transfer-encoding` or `content-encoding` (the parser already
 * decoded both). Anything else (multipart fields, nested form objects, text in another charset)
 * becomes a body whose first read rejects with `GW_ERR_BODY_CONSUMED`, never an empty one.
 *
 * @example
 * ```ts
 * app.use(express.json());
 * // later, for a request whose stream express.json() read:
 * const { body, headers } = fromHostBody(req); // body: the JSON again; headers["content-length"] fixed
 * ```
 */
export function fromHostBody(req: IncomingMessage): HostBody {
  const bytes = reencode(req);
  if (bytes === undefined) return { body: consumedBody(describeParser(req)), headers: req.headers };
  const headers: IncomingHeaders = { ...req.headers };
  delete headers["transfer-encoding"];
  delete headers["content-encoding"];
  headers["content-length"] = String(bytes.byteLength);
  return { body: toRequestBody(bytes), headers };
}

function reencode(req: IncomingMessage): Uint8Array | undefined {
  const parsed = (req as ParsedRequest).body;
  // express.raw(): the bytes themselves, the one rebuild that is exact.
  if (parsed instanceof Uint8Array) return parsed;
  const type = req.headers["content-type"] ?? "";
  if (!isUtf8(type)) return undefined;
  // express.text(): the parser decoded UTF-8, so encoding it again gives the same bytes.
  if (typeof parsed === "string") return Buffer.from(parsed);
  if (parsed === undefined) return undefined;
  const mediaType = type.split(";", 1)[0]!.trim().toLowerCase();
  if (mediaType === "application/json" || mediaType.endsWith("+json")) return Buffer.from(JSON.stringify(parsed));
  if (mediaType === "application/x-www-form-urlencoded") {
    const form = encodeForm(parsed);
    return form === undefined ? undefined : Buffer.from(form);
  }
  return undefined;
}

/**
 * Serializes the fields `express.urlencoded()` parsed so that parsing the result again gives the
 * same value: strings as `name=value`, lists as the name repeated (a list of one as `name[]`, the
 * only spelling that parses back into a list). Nested objects from `extended: true` have no
 * spelling both parsers read alike, so they give `undefined`.
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

/** Whether a content-type names no charset or UTF-8: the only charset a UTF-8 re-encoding is faithful to. */
function isUtf8(type: string): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1]?.toLowerCase();
  return charset === undefined || charset === "utf-8" || charset === "utf8";
}

function describeParser(req: IncomingMessage): string {
  const type = req.headers["content-type"];
  return type ? `the ${JSON.stringify(type.slice(0, 64))} body was parsed by the host` : "the host read the body";
}

/** A body whose first read rejects with GW_ERR_BODY_CONSUMED: what cannot be rebuilt must not look empty. */
function consumedBody(detail: string): OnceBody {
  return new OnceBody(() => ({
    next: () => Promise.reject(new GatewayError("GW_ERR_BODY_CONSUMED", detail)),
    return: async () => ({ done: true, value: undefined }),
  }));
}
