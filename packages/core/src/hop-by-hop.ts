/**
 * Connection-level headers (RFC 9110 §7.6.1) belong to each hop, never to an app (spec rules 9
 * and 16): servers drop them from responses and write their own.
 *
 * @example
 * ```ts
 * for (const name of Object.keys(headers)) if (HOP_BY_HOP_HEADERS.has(name.toLowerCase())) delete headers[name];
 * ```
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
