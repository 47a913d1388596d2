/**
 * The lint code table of `validate()`: one source of truth for every `GW_LINT_*` code, the spec
 * rule it checks (rule 32: spec and validator share one numbering), how severe a breach is, and a
 * short title. `docs/errors.md` lists the same codes, and a test keeps the two in step.
 */

/** How bad a finding is: an `error` breaks a MUST of the spec, a `warning` a SHOULD or a likely mistake. */
export type LintSeverity = "error" | "warning";

/** One row of {@link lintRules}. */
export interface LintRule {
  /** The rule of `docs/spec.md` the check enforces. */
  readonly rule: number;
  readonly severity: LintSeverity;
  /** What the check found, in a few words. */
  readonly title: string;
}

/**
 * Every code `validate()` reports, with its spec rule, severity and title. Codes are stable:
 * match on `code`, never on the message.
 *
 * @example
 * ```ts
 * import { lintRules } from "@gangway/core";
 * lintRules.GW_LINT_HOP_BY_HOP; // { rule: 16, severity: "error", title: "hop-by-hop response header" }
 * ```
 */
export const lintRules = {
  // Application (rule 1) and malformed responses (rule 25)
  GW_LINT_CALL: { rule: 1, severity: "error", title: "app not called with exactly one request object" },
  GW_LINT_NO_RESPONSE: { rule: 1, severity: "error", title: "app returned without a response" },
  GW_LINT_RESPONSE_SHAPE: { rule: 25, severity: "error", title: "response is not a plain object" },
  GW_LINT_RESPONSE_FIELD: { rule: 25, severity: "warning", title: "unknown response field" },
  // Request, checked on the way in (rules 3–13)
  GW_LINT_METHOD: { rule: 3, severity: "error", title: "method is not a token" },
  GW_LINT_METHOD_UNUSUAL: { rule: 3, severity: "warning", title: "method not upper case or unknown" },
  GW_LINT_BASE_PATH: { rule: 4, severity: "error", title: "malformed basePath" },
  GW_LINT_PATH: { rule: 4, severity: "error", title: "malformed path" },
  GW_LINT_RAW_PATH: { rule: 4, severity: "error", title: "basePath + path differs from the raw target" },
  GW_LINT_TARGET: { rule: 5, severity: "error", title: "request target of the wrong form" },
  GW_LINT_QUERY: { rule: 6, severity: "error", title: "malformed query" },
  GW_LINT_SCHEME: { rule: 7, severity: "error", title: "scheme is not http or https" },
  GW_LINT_AUTHORITY: { rule: 7, severity: "error", title: "authority is not host[:port]" },
  GW_LINT_REMOTE_ADDRESS: { rule: 7, severity: "error", title: "remoteAddress is not a string" },
  GW_LINT_REQUEST_HEADERS: { rule: 8, severity: "error", title: "request headers are not a plain object" },
  GW_LINT_REQUEST_HEADER_NAME: { rule: 8, severity: "error", title: "request header name not a lower-case token" },
  GW_LINT_REQUEST_HEADER_VALUE: { rule: 8, severity: "error", title: "malformed request header value" },
  GW_LINT_REQUEST_HEADER_RESERVED: {
    rule: 8,
    severity: "warning",
    title: "request header named like an Object.prototype key",
  },
  GW_LINT_REQUEST_BODY: { rule: 10, severity: "error", title: "request body is not a fresh async iterable" },
  GW_LINT_BODY_READ_TWICE: { rule: 10, severity: "error", title: "request body read twice" },
  GW_LINT_REQUEST_CHUNK: { rule: 10, severity: "error", title: "request body chunk is not a Uint8Array" },
  GW_LINT_REQUEST_LENGTH: { rule: 10, severity: "error", title: "request body length differs from content-length" },
  GW_LINT_SIGNAL: { rule: 11, severity: "error", title: "signal is not an AbortSignal" },
  GW_LINT_ENV: { rule: 12, severity: "error", title: "malformed env" },
  GW_LINT_REQUEST_MUTATED: { rule: 13, severity: "error", title: "request mutated" },
  // Response, checked on the way out (rules 14–21)
  GW_LINT_STATUS: { rule: 14, severity: "error", title: "status not an integer from 100 to 999, or a 1xx" },
  GW_LINT_STATUS_TEXT: { rule: 14, severity: "error", title: "malformed statusText" },
  GW_LINT_HEADERS: { rule: 15, severity: "error", title: "response headers are not a plain object" },
  GW_LINT_HEADER_NAME: { rule: 15, severity: "error", title: "response header name is not a token" },
  GW_LINT_HEADER_VALUE: { rule: 15, severity: "error", title: "malformed response header value" },
  GW_LINT_PSEUDO_HEADER: { rule: 15, severity: "error", title: "pseudo-header or status header" },
  GW_LINT_DUPLICATE_HEADER: { rule: 15, severity: "warning", title: "one header name in two spellings" },
  GW_LINT_SET_COOKIE_JOINED: { rule: 15, severity: "warning", title: "set-cookie values joined with commas" },
  GW_LINT_HOP_BY_HOP: { rule: 16, severity: "error", title: "hop-by-hop response header" },
  GW_LINT_BODILESS_BODY: { rule: 17, severity: "error", title: "body on a 1xx, 204 or 304" },
  GW_LINT_BODILESS_HEADERS: { rule: 17, severity: "error", title: "content headers on a 1xx, 204 or 304" },
  GW_LINT_NOT_MODIFIED_METADATA: { rule: 17, severity: "warning", title: "content metadata on a 304" },
  GW_LINT_HEAD_BODY: { rule: 17, severity: "warning", title: "non-empty body for HEAD" },
  GW_LINT_CONTENT_LENGTH: { rule: 18, severity: "error", title: "malformed content-length" },
  GW_LINT_LENGTH_MISMATCH: { rule: 18, severity: "error", title: "body length differs from content-length" },
  GW_LINT_BODY_KIND: { rule: 20, severity: "error", title: "body of a kind rule 20 does not allow" },
  GW_LINT_CHUNK: { rule: 20, severity: "error", title: "body chunk is not a Uint8Array" },
  GW_LINT_NO_CONTENT_TYPE: { rule: 20, severity: "warning", title: "non-empty body without content-type" },
  GW_LINT_OVERLAPPING_PULL: { rule: 20, severity: "error", title: "pull while another pull is pending" },
  GW_LINT_BODY_ITERATED_TWICE: { rule: 21, severity: "error", title: "response body iterated twice" },
  GW_LINT_READ_AFTER_FINISH: { rule: 21, severity: "error", title: "response body read after it finished" },
  GW_LINT_BODY_NOT_FINISHED: { rule: 21, severity: "error", title: "response body dropped unfinished" },
  // Composition
  GW_LINT_PASS_AFTER_READ: { rule: 30, severity: "warning", title: "pass() after reading the request body" },
} as const satisfies Record<string, LintRule>;

/** A stable lint code from {@link lintRules}. */
export type LintCode = keyof typeof lintRules;

/** The short names of the spec rules lint messages cite, as in `validate: rule 15 (response headers): ...`. */
export const ruleNames: Readonly<Record<number, string>> = {
  1: "application",
  3: "method",
  4: "mount split",
  5: "request target",
  6: "query",
  7: "scheme and authority",
  8: "request headers",
  10: "request body",
  11: "abort signal",
  12: "environment",
  13: "immutable requests",
  14: "status",
  15: "response headers",
  16: "hop-by-hop headers",
  17: "bodiless responses",
  18: "content-length",
  20: "response body",
  21: "finishing bodies",
  25: "malformed responses",
  30: "not mine",
};

/** The message of a finding: `validate: rule 15 (response headers): value of "x-a" contains LF`. */
export function toLintMessage(code: LintCode, detail: string): string {
  const { rule } = lintRules[code];
  return `validate: rule ${rule} (${ruleNames[rule]}): ${detail}`;
}
