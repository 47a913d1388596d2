import { METHODS } from "node:http";
import { describe } from "../body-reader.js";
import { isBodyUsed } from "../request-body.js";
import type { GatewayRequest } from "../types.js";
import type { Reporter } from "./report.js";

/** An RFC 9110 token: method and header names. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);

// host[:port]: an IP literal in brackets, or a reg-name / IPv4 (unreserved, sub-delims and
// escapes, RFC 3986 §3.2.2), then an optional port. No userinfo: Host never carries one.
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+(?:%25[\w.~-]+)?\]|[\w.~!$&'()*+,;=%-]+)(?::\d*)?$/;

// CR, LF or NUL: what no header value may hold, in either direction.
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

/**
 * Checks a request on its way in (rules 3–12): what a server, adapter or middleware handed the
 * app. At level "error" the first breach throws, before the app is called.
 */
export function lintRequest(request: GatewayRequest, reporter: Reporter): void {
  lintMethod(request.method, reporter);
  lintTarget(request, reporter);
  lintOrigin(request, reporter);
  lintHeaders(request.headers, reporter);
  const { body, signal, env } = request;
  if (body !== null && typeof (body as Partial<AsyncIterable<unknown>>)?.[Symbol.asyncIterator] !== "function") {
    reporter.report("GW_LINT_REQUEST_BODY", `body is ${describe(body)}, not null or an AsyncIterable<Uint8Array>`);
  } else if (isBodyUsed(body)) {
    // A read body handed inward would fail on the app's first read, or look empty.
    reporter.report("GW_LINT_REQUEST_BODY", "the body handed to the app was already read");
  }
  const abortSignal = signal as Partial<AbortSignal> | null;
  if (typeof abortSignal?.aborted !== "boolean" || typeof abortSignal.addEventListener !== "function") {
    reporter.report("GW_LINT_SIGNAL", `signal is ${describe(signal)}, not an AbortSignal`);
  }
  lintEnv(env, reporter);
  lintRawTarget(request, reporter);
}

function lintMethod(method: unknown, reporter: Reporter): void {
  if (typeof method !== "string" || !TOKEN.test(method)) {
    reporter.report("GW_LINT_METHOD", `method ${show(method)} is not a non-empty token`);
  } else if (method !== method.toUpperCase()) {
    reporter.report("GW_LINT_METHOD_UNUSUAL", `method ${show(method)} is not upper case`);
  } else if (!KNOWN_METHODS.has(method)) {
    reporter.report("GW_LINT_METHOD_UNUSUAL", `method ${show(method)} is not one Node knows`);
  }
}

function lintTarget(request: GatewayRequest, reporter: Reporter): void {
  const { basePath, path, query, method } = request;
  if (typeof basePath !== "string" || (basePath !== "" && (basePath[0] !== "/" || basePath.endsWith("/")))) {
    reporter.report(
      "GW_LINT_BASE_PATH",
      `basePath ${show(basePath)} is not "" nor starts with "/" without ending in one`,
    );
  }
  if (typeof path !== "string" || (path !== "" && path !== "*" && path[0] !== "/")) {
    reporter.report("GW_LINT_PATH", `path ${show(path)} is not "" nor starts with "/"`);
  } else if (path === "" && basePath === "") {
    reporter.report("GW_LINT_PATH", 'path and basePath are both ""');
  }
  if (path === "*" && (method !== "OPTIONS" || basePath !== "" || query !== "")) {
    reporter.report("GW_LINT_TARGET", `the target "*" reached the app with ${show(method)}, not a bare OPTIONS`);
  }
  for (const [name, value] of [
    ["basePath", basePath],
    ["path", path],
  ] as const) {
    if (typeof value === "string" && /[?#]/.test(value)) {
      reporter.report("GW_LINT_TARGET", `${name} ${show(value)} holds a raw "?" or "#": the target was not split`);
    }
  }
  if (typeof query !== "string" || query[0] === "?" || query.includes("#")) {
    reporter.report("GW_LINT_QUERY", `query ${show(query)} is not a string without a leading "?" or a "#"`);
  }
}

function lintOrigin(request: GatewayRequest, reporter: Reporter): void {
  const { scheme, authority, remoteAddress } = request;
  if (scheme !== "http" && scheme !== "https") {
    reporter.report("GW_LINT_SCHEME", `scheme ${show(scheme)} is not "http" or "https"`);
  }
  if (typeof authority !== "string" || !AUTHORITY.test(authority)) {
    reporter.report("GW_LINT_AUTHORITY", `authority ${show(authority)} is not host[:port]`);
  }
  if (remoteAddress !== undefined && typeof remoteAddress !== "string") {
    reporter.report("GW_LINT_REMOTE_ADDRESS", `remoteAddress is ${describe(remoteAddress)}, not a string or absent`);
  }
}

function lintHeaders(headers: unknown, reporter: Reporter): void {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    reporter.report("GW_LINT_REQUEST_HEADERS", `headers are ${describe(headers)}, not an object`);
    return;
  }
  const prototype = Object.getPrototypeOf(headers);
  if (prototype !== Object.prototype && prototype !== null) {
    // What a header named __proto__ assigned with `=` does: the headers now inherit from its value.
    reporter.report("GW_LINT_REQUEST_HEADERS", "the headers object has a foreign prototype (a __proto__ header?)");
  }
  for (const name of Object.keys(headers)) {
    const value = (headers as Record<string, unknown>)[name];
    if (!TOKEN.test(name) || name !== name.toLowerCase()) {
      reporter.report("GW_LINT_REQUEST_HEADER_NAME", `header name ${show(name)} is not a lower-case token`);
    } else if (Object.hasOwn(Object.prototype, name)) {
      // Legal on the wire and kept as an own property, but `headers[name]` and `name in headers`
      // read Object.prototype instead in apps that forget Object.hasOwn.
      reporter.report(
        "GW_LINT_REQUEST_HEADER_RESERVED",
        `header ${show(name)} shadows an Object.prototype key: read headers with Object.hasOwn`,
      );
    }
    if (value === undefined) continue;
    if (name === "set-cookie") {
      if (!Array.isArray(value) || !value.every(isHeaderString)) {
        reporter.report("GW_LINT_REQUEST_HEADER_VALUE", "set-cookie is not an array of strings without CR, LF or NUL");
      }
    } else if (!isHeaderString(value)) {
      reporter.report(
        "GW_LINT_REQUEST_HEADER_VALUE",
        `value of ${show(name)} is ${typeof value === "string" ? "a string with CR, LF or NUL" : describe(value)}, not a string`,
      );
    }
  }
}

function lintEnv(env: unknown, reporter: Reporter): void {
  if (typeof env !== "object" || env === null || Array.isArray(env)) {
    reporter.report("GW_LINT_ENV", `env is ${describe(env)}, not an object`);
    return;
  }
  for (const key of Object.keys(env)) {
    if (!key.includes(".")) reporter.report("GW_LINT_ENV", `env key ${show(key)} has no dot ("owner.name")`);
  }
  const version = (env as Record<string, unknown>)["gangway.version"];
  if (version !== undefined && (typeof version !== "string" || !/^\d+\.\d+$/.test(version))) {
    reporter.report("GW_LINT_ENV", `env["gangway.version"] is ${show(version)}, not "major.minor"`);
  }
}

/**
 * Where the raw target is known (`node.req.url` on a request no mount has split yet), basePath +
 * path and query must be exactly its two halves (rules 4–6). Absolute-form targets and targets a
 * mount normalised (`gangway.rawPath`, rule 33) are compared as far as they can be.
 */
function lintRawTarget(request: GatewayRequest, reporter: Reporter): void {
  const { basePath, path, query, env } = request;
  if (basePath !== "" || typeof path !== "string" || typeof query !== "string" || typeof env !== "object") return;
  const url = (env?.["node.req"] as { url?: unknown } | undefined)?.url;
  if (typeof url !== "string" || url[0] !== "/") return;
  // A fragment never belongs to a target; servers drop it, so it is not the app's to see.
  const target = url.split("#", 1)[0]!;
  const q = target.indexOf("?");
  const rawPath = q === -1 ? target : target.slice(0, q);
  const rawQuery = q === -1 ? "" : target.slice(q + 1);
  const seen = typeof env["gangway.rawPath"] === "string" ? env["gangway.rawPath"] : path;
  if (seen !== rawPath) {
    reporter.report("GW_LINT_RAW_PATH", `basePath + path is ${show(seen)}, but node.req.url has ${show(rawPath)}`);
  }
  if (query !== rawQuery) {
    reporter.report("GW_LINT_RAW_PATH", `query is ${show(query)}, but node.req.url has ${show(rawQuery)}`);
  }
}

function isHeaderString(value: unknown): boolean {
  return typeof value === "string" && !FORBIDDEN_IN_VALUE.test(value);
}

/** A value as a message shows it: strings quoted and cut short, others described. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === undefined) return String(value);
  return describe(value);
}
