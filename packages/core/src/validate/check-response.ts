import { describe, discardBody } from "../body-reader.js";
import { HOP_BY_HOP_HEADERS } from "../hop-by-hop.js";
import { isReadableStream } from "../request-body.js";
import { isPass } from "../response.js";
import type { GatewayRequest, GatewayResponse, ResponseBody } from "../types.js";
import { show, TOKEN } from "./check-request.js";
import type { Reporter } from "./report.js";
import { type LintedRequestBody, wrapResponseBody } from "./wrap-body.js";

/** What {@link lintResponse} needs besides the response. */
export interface ResponseContext {
  /** The request as the validated app received it (before validate's guard). */
  request: GatewayRequest;
  /** The read-once body validate handed inward, to tell whether the app read it. */
  body: LintedRequestBody | null;
  reporter: Reporter;
  /** Milliseconds after `request.signal` aborts by which the response body must be finished. */
  finishTimeout: number;
}

const KNOWN_FIELDS: ReadonlySet<string> = new Set(["status", "statusText", "headers", "body"]);

// HTAB, SP, visible ASCII and obs-text (0x80–0xFF): RFC 9112 reason-phrase.
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

// A cookie pair after a comma ("a=1, b=2"): two cookies joined into one line. An Expires date
// ("Wed, 21 Oct 2026 07:28:00 GMT") has a comma too, but no "name=" after it.
const JOINED_COOKIE = /,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+=/;

// Content metadata a 304 should not carry (RFC 9110 §15.4.5); content-length is allowed but odd.
const NOT_MODIFIED_METADATA = ["content-length", "content-encoding", "content-language", "content-range"];

type BodyKind = "none" | "bytes" | "stream";

/**
 * Checks a response on its way out (rules 1, 14–20, 25, 30) and wraps a streamed body so its
 * chunks, length and finishing are checked as it is consumed (rules 18, 20, 21). At level "error"
 * the first breach rejects, after finishing the refused response's body.
 */
export async function lintResponse(response: unknown, context: ResponseContext): Promise<GatewayResponse> {
  const { reporter } = context;
  if (response === undefined) {
    reporter.report("GW_LINT_NO_RESPONSE", "the app returned without a response (undefined)");
    return response as never;
  }
  if (!isPlainObject(response)) {
    reporter.report("GW_LINT_RESPONSE_SHAPE", `the app returned ${describe(response)}, not a plain object`);
    return response as never;
  }
  const checked = response as GatewayResponse;
  let facts: ResponseFacts;
  try {
    facts = lintFields(checked, context.request.method, reporter);
  } catch (error) {
    // Refused at level "error": the body is nobody else's to finish now (rule 21).
    await discardBody(checked.body);
    throw error;
  }
  if (isPass(checked) && context.body?.used) {
    reporter.report(
      "GW_LINT_PASS_AFTER_READ",
      "the app answered pass() after reading the request body: cascade cannot offer the body to another app",
    );
  }
  if (facts.kind !== "stream") return checked;
  const { signal } = context.request;
  const body = wrapResponseBody(checked.body as AsyncIterable<unknown> | ReadableStream<unknown>, {
    reporter,
    signal,
    finishTimeout: context.finishTimeout,
    // Unsent bodies are finished unread, never compared with content-length (rule 17).
    expectedLength: facts.unsent ? undefined : facts.contentLength,
    needsContentType: !facts.unsent && !facts.hasContentType,
  });
  return { ...checked, body };
}

interface ResponseFacts {
  kind: BodyKind;
  /** The body never reaches the wire: HEAD, 1xx, 204, 205, 304. */
  unsent: boolean;
  contentLength: number | undefined;
  hasContentType: boolean;
}

function lintFields(response: GatewayResponse, method: string, reporter: Reporter): ResponseFacts {
  for (const key of Object.keys(response)) {
    if (!KNOWN_FIELDS.has(key)) {
      reporter.report(
        "GW_LINT_RESPONSE_FIELD",
        `unknown field ${show(key)}: a response has status, statusText, headers, body`,
      );
    }
  }
  const { status, statusText } = response;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    reporter.report("GW_LINT_STATUS", `status ${show(status)} is not an integer from 100 to 999`);
  } else if (status < 200 && status !== 101) {
    reporter.report("GW_LINT_STATUS", `status ${status} is an interim response: those are the server's to send`);
  }
  if (statusText !== undefined && (typeof statusText !== "string" || !REASON_PHRASE.test(statusText))) {
    reporter.report("GW_LINT_STATUS_TEXT", `statusText ${show(statusText)} is not one line of printable text`);
  }
  const headers = lintHeaders(response.headers, status, reporter);
  const kind = lintBodyKind(response.body, reporter);
  const bodiless = status < 200 || status === 204 || status === 304;
  const size = byteLength(response.body);
  if (bodiless) {
    if (size > 0 || kind === "stream") {
      reporter.report("GW_LINT_BODILESS_BODY", `a ${status} response has ${describeBody(response.body)}`);
    }
    if (headers.names.has("content-type")) {
      reporter.report("GW_LINT_BODILESS_HEADERS", `a ${status} response has a content-type`);
    }
    if (status !== 304 && headers.names.has("content-length")) {
      reporter.report("GW_LINT_BODILESS_HEADERS", `a ${status} response has a content-length`);
    }
    if (status === 304) {
      for (const name of NOT_MODIFIED_METADATA) {
        if (headers.names.has(name)) {
          reporter.report(
            "GW_LINT_NOT_MODIFIED_METADATA",
            `a 304 response has ${name}, which describes content it has not`,
          );
        }
      }
    }
  } else if (status === 205) {
    // Reset Content: the server sends content-length 0 and drops the body (rule 17), so neither
    // its length nor its type matter.
  } else if (method === "HEAD") {
    if (size > 0) {
      reporter.report("GW_LINT_HEAD_BODY", `the response to HEAD has ${describeBody(response.body)}; it is never sent`);
    }
  } else if (kind === "bytes") {
    if (headers.contentLength !== undefined && size !== headers.contentLength) {
      reporter.report(
        "GW_LINT_LENGTH_MISMATCH",
        `the body is ${size} bytes, but content-length is ${headers.contentLength}`,
      );
    }
    if (size > 0 && !headers.names.has("content-type")) {
      reporter.report("GW_LINT_NO_CONTENT_TYPE", `a ${size}-byte body has no content-type`);
    }
  }
  return {
    kind,
    unsent: bodiless || status === 205 || method === "HEAD",
    contentLength: headers.contentLength,
    hasContentType: headers.names.has("content-type"),
  };
}

interface HeaderFacts {
  /** Lower-case names present with a value. */
  names: Set<string>;
  contentLength: number | undefined;
}

function lintHeaders(headers: unknown, status: number, reporter: Reporter): HeaderFacts {
  const facts: HeaderFacts = { names: new Set(), contentLength: undefined };
  if (headers === undefined) return facts;
  if (!isPlainObject(headers)) {
    reporter.report("GW_LINT_HEADERS", `headers are ${describe(headers)}, not a plain object`);
    return facts;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    const lower = name.toLowerCase();
    if (name[0] === ":" || lower === "status") {
      reporter.report("GW_LINT_PSEUDO_HEADER", `header ${show(name)}: status goes in response.status, never a header`);
      continue;
    }
    if (!TOKEN.test(name)) {
      reporter.report("GW_LINT_HEADER_NAME", `header name ${show(name)} is not a token`);
      continue;
    }
    if (HOP_BY_HOP_HEADERS.has(lower) && !(lower === "upgrade" && status === 101)) {
      reporter.report(
        "GW_LINT_HOP_BY_HOP",
        `header ${show(name)} is hop-by-hop: framing and connections are the server's`,
      );
    }
    if (facts.names.has(lower)) {
      reporter.report("GW_LINT_DUPLICATE_HEADER", `header ${show(name)} appears twice in different case`);
    }
    facts.names.add(lower);
    lintHeaderValue(name, value, reporter);
    if (lower === "set-cookie") {
      for (const cookie of [value].flat()) {
        if (typeof cookie === "string" && JOINED_COOKIE.test(cookie)) {
          reporter.report(
            "GW_LINT_SET_COOKIE_JOINED",
            `set-cookie ${show(cookie)} looks like cookies joined with commas: give one array entry per cookie`,
          );
        }
      }
    }
    if (lower === "content-length" && facts.contentLength === undefined) {
      facts.contentLength = toContentLength(value);
      if (facts.contentLength === undefined) {
        reporter.report("GW_LINT_CONTENT_LENGTH", `content-length ${show(value)} is not one non-negative integer`);
      }
    }
  }
  return facts;
}

function lintHeaderValue(name: string, value: unknown, reporter: Reporter): void {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) reporter.report("GW_LINT_HEADER_VALUE", `value of ${show(name)} is ${value}`);
    return;
  }
  const values = Array.isArray(value) ? value : [value];
  for (const entry of values) {
    if (typeof entry !== "string") {
      reporter.report(
        "GW_LINT_HEADER_VALUE",
        `value of ${show(name)} is ${describe(entry)}, not a string, number or list of strings`,
      );
      continue;
    }
    const forbidden = /[\r\n\0]/.exec(entry);
    if (forbidden) {
      const char = forbidden[0] === "\r" ? "CR" : forbidden[0] === "\n" ? "LF" : "NUL";
      reporter.report("GW_LINT_HEADER_VALUE", `value of ${show(name)} contains ${char}`);
    } else if (/[^\0-\xff]/.test(entry)) {
      reporter.report(
        "GW_LINT_HEADER_VALUE",
        `value of ${show(name)} holds characters above U+00FF: encode them (RFC 8187, percent-encoding)`,
      );
    }
  }
}

function lintBodyKind(body: unknown, reporter: Reporter): BodyKind {
  if (body === null || body === undefined) return "none";
  if (typeof body === "string" || body instanceof Uint8Array) return "bytes";
  if (isReadableStream(body)) return "stream";
  if (typeof (body as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function") return "stream";
  const sync = typeof (body as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
  reporter.report(
    "GW_LINT_BODY_KIND",
    `the body is ${describe(body)}${sync ? ", a synchronous iterable" : ""}: use a string, Uint8Array, AsyncIterable<Uint8Array> or ReadableStream`,
  );
  return "none";
}

function toContentLength(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === "string" && /^\d+$/.test(value)) {
    const length = Number(value);
    return Number.isSafeInteger(length) ? length : undefined;
  }
  return undefined;
}

function byteLength(body: ResponseBody | undefined): number {
  if (typeof body === "string") return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

function describeBody(body: ResponseBody | undefined): string {
  const size = byteLength(body);
  return size > 0 ? `a ${size}-byte body` : "a streamed body";
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
