import type { IncomingMessage } from "node:http";
import { fromParsedBody, type ParsedBody } from "@gangway/core";

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
 * The body the app gets when an Express body parser consumed the stream (rule 34): `req.body` as the
 * parser left it, handed to core's `fromParsedBody` — the parser's bytes (`express.raw()`) or a
 * faithful re-encoding with a matching `content-length`, else a body whose first read rejects with
 * `GW_ERR_BODY_CONSUMED` (multer's fields and files, nested `extended` forms, other charsets).
 *
 * @example
 * ```ts
 * app.use(express.json());
 * // later, for a request whose stream express.json() read:
 * const { body, headers } = fromHostBody(req); // body: the JSON again; headers["content-length"] fixed
 * ```
 */
export function fromHostBody(req: IncomingMessage): ParsedBody {
  return fromParsedBody((req as ParsedRequest).body, req.headers, "an Express body parser");
}
