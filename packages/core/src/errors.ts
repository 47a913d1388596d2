/**
 * One catalogue of every error Gangway raises. Codes are stable: match on `error.code`, never on
 * the message. `docs/errors.md` lists the same codes, and a test keeps the two in step.
 */

/** Every code a {@link GatewayError} can carry, with the HTTP status a server answers for it and the spec rule it enforces. */
export const errorCatalogue = {
  GW_ERR_BODY_USED: { status: 500, rule: 10, message: "the request body was already read" },
  GW_ERR_BODY_TOO_LARGE: { status: 413, rule: 10, message: "the request body is larger than the limit" },
  GW_ERR_BODY_INVALID: { status: 400, rule: 10, message: "the request body could not be parsed" },
  GW_ERR_BODY_ABORTED: { status: 400, rule: 11, message: "the client went away before the request body ended" },
  GW_ERR_BODY_CONSUMED: {
    status: 500,
    rule: 34,
    message: "a host parser consumed the request body and it cannot be re-encoded",
  },
  GW_ERR_INVALID_APP: { status: 500, rule: 1, message: "the application is not a function" },
  GW_ERR_INVALID_RESPONSE: {
    status: 500,
    rule: 25,
    message: "the application returned something that is not a response",
  },
  GW_ERR_INVALID_STATUS: { status: 500, rule: 14, message: "the response status is not an integer from 100 to 999" },
  GW_ERR_INVALID_HEADER: { status: 500, rule: 15, message: "a response header has an invalid name or value" },
  GW_ERR_INVALID_BODY: {
    status: 500,
    rule: 20,
    message: "the response body is not a string, Uint8Array, async iterable of Uint8Array or ReadableStream",
  },
  GW_ERR_CONTENT_LENGTH_MISMATCH: {
    status: 500,
    rule: 18,
    message: "the response body length does not match its content-length",
  },
  GW_ERR_RESPONSE_ABORTED: {
    status: 500,
    rule: 24,
    message: "the response failed after its headers were sent; the connection was aborted",
  },
  GW_ERR_INVALID_URL: { status: 400, rule: 5, message: "the request target is not a valid origin-form path" },
  GW_ERR_AMBIGUOUS_PATH: {
    status: 400,
    rule: 33,
    message: "the request path names one mounted app as spelled and another once normalized",
  },
} as const;

/** A stable error code from {@link errorCatalogue}. */
export type GatewayErrorCode = keyof typeof errorCatalogue;

/** Options for {@link GatewayError}. */
export interface GatewayErrorOptions {
  /** The underlying error, kept as `error.cause`. */
  cause?: unknown;
  /** Overrides the status from the catalogue. */
  status?: number;
}

/**
 * The one error class of Gangway. `code` is stable; `status` is what a server answers when this
 * error escapes an app before the response commits; `rule` is the spec rule it enforces.
 *
 * @example
 * ```ts
 * import { GatewayError, readJson } from "@gangway/core";
 * try { await readJson(request, { limit: 1024 }); }
 * catch (error) { if (GatewayError.is(error) && error.code === "GW_ERR_BODY_TOO_LARGE") { ... } }
 * ```
 */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly rule: number;
  /** Whether the message may be shown to a client (4xx errors say what the client did wrong). */
  readonly expose: boolean;

  constructor(code: GatewayErrorCode, detail?: string, options: GatewayErrorOptions = {}) {
    const entry = errorCatalogue[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? entry.status;
    this.rule = entry.rule;
    this.expose = this.status < 500;
  }

  /**
   * Recognises a GatewayError by name and code, so errors from a second copy of
   * `@gangway/core` in the same process are recognised too.
   *
   * @example
   * ```ts
   * if (GatewayError.is(error, "GW_ERR_BODY_USED")) console.warn("read twice");
   * ```
   */
  static is(error: unknown, code?: GatewayErrorCode): error is GatewayError {
    if (typeof error !== "object" || error === null) return false;
    const e = error as { name?: unknown; code?: unknown };
    return (
      e.name === "GatewayError" &&
      typeof e.code === "string" &&
      e.code in errorCatalogue &&
      (code === undefined || e.code === code)
    );
  }
}
