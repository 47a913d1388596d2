import type { ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";

// Node's writeHead refuses a bad header or reason phrase with these codes (ERR_INVALID_CHAR for
// CR, LF or NUL; ERR_INVALID_HTTP_TOKEN for a bad name): they are the app's malformed response.
const HEAD_ERRORS = new Set(["ERR_INVALID_CHAR", "ERR_INVALID_HTTP_TOKEN", "ERR_HTTP_INVALID_HEADER_VALUE"]);
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Node's refusal of a response head, before commit, as the spec's error (rule 25):
 * `GW_ERR_INVALID_STATUS` for the reason phrase, else `GW_ERR_INVALID_HEADER`; any other error is
 * returned as it came. The reason phrase that failed is taken back, or the error response would
 * go out under it (or fail on it again).
 *
 * @example
 * ```ts
 * try {
 *   res.writeHead(200, "OK\r\nx-injected: 1", {});
 * } catch (error) {
 *   throw toHeadError(error, res); // GatewayError GW_ERR_INVALID_STATUS; res.statusMessage is ""
 * }
 * ```
 */
export function toHeadError(error: unknown, res: ServerResponse): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (res.headersSent || typeof code !== "string" || !HEAD_ERRORS.has(code)) return error;
  // writeHead sets the phrase before it checks anything: without one, the error is not from this
  // response's head (an adapter's inner response failed), and it is left as it came.
  if (res.statusMessage === undefined) return error;
  const badReason = typeof res.statusMessage === "string" && !REASON_PHRASE.test(res.statusMessage);
  // writeHead keeps the phrase of a failed call and reuses it when given none.
  res.statusMessage = "";
  return new GatewayError(badReason ? "GW_ERR_INVALID_STATUS" : "GW_ERR_INVALID_HEADER", (error as Error).message, {
    cause: error,
  });
}
