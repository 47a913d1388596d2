import type { IncomingMessage } from "node:http";
import { consumedBody, fromParsedBody, fromRecoveredBytes, type ParsedBody } from "@gangway/core";
import type { ParameterizedContext } from "koa";

/** The fields Koa body parsers leave behind: on `ctx.request`, or on `ctx.req` with `patchNode`. */
type ParsedFields = { body?: unknown; rawBody?: unknown; files?: unknown };

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
 * kept (`ctx.request.rawBody` of @koa/bodyparser, koa-body's `includeUnparsed`), else what it parsed
 * handed to core's `fromParsedBody` (a `Buffer` as it is, or a faithful re-encoding with a matching
 * `content-length`). Fields and files from a multipart parser, nested forms and other charsets
 * become a body whose first read rejects with `GW_ERR_BODY_CONSUMED`, never a hang or a silent
 * empty body.
 *
 * @example
 * ```ts
 * // after bodyParser() parsed {"a":1}
 * const { body, headers } = fromHostBody(ctx); // body yields '{"a":1}', content-length "7"
 * ```
 */
export function fromHostBody(ctx: ParameterizedContext): ParsedBody {
  const req = ctx.req as IncomingMessage & ParsedFields;
  const request = ctx.request as ParsedFields;
  const parsed = request.body !== undefined ? request.body : req.body;
  const raw = request.rawBody !== undefined ? request.rawBody : req.rawBody;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(req.headers["content-type"] ?? ""))?.[1]?.toLowerCase();
  // The raw bytes a parser kept are the original body (rule 34).
  if (raw instanceof Uint8Array) return fromRecoveredBytes(raw, req.headers);
  if (typeof raw === "string" && (charset === undefined || charset === "utf-8" || charset === "utf8")) {
    return fromRecoveredBytes(Buffer.from(raw), req.headers);
  }
  if (parsed === undefined) {
    return { body: consumedBody("the request stream was read and nothing kept its content"), headers: req.headers };
  }
  if (request.files !== undefined || req.files !== undefined) {
    return { body: consumedBody("a multipart parser read the body into fields and files"), headers: req.headers };
  }
  return fromParsedBody(parsed, req.headers, "a Koa body parser");
}
