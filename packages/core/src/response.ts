import type { GatewayResponse, OutgoingHeaders } from "./types.js";

/** Options shared by the response helpers. */
export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: OutgoingHeaders;
}

function withType(init: ResponseInit | undefined, type: string, body: string): GatewayResponse {
  const headers: OutgoingHeaders = { "content-type": type, ...init?.headers };
  const response: GatewayResponse = { status: init?.status ?? 200, headers, body };
  if (init?.statusText !== undefined) response.statusText = init.statusText;
  return response;
}

/**
 * A `text/plain` response.
 *
 * @example
 * ```ts
 * const app: GatewayApp = () => text("hello, world!");
 * ```
 */
export function text(body: string, init?: ResponseInit): GatewayResponse {
  return withType(init, "text/plain; charset=utf-8", body);
}

/**
 * An `text/html` response.
 *
 * @example
 * ```ts
 * const app: GatewayApp = () => html("<h1>hello</h1>");
 * ```
 */
export function html(body: string, init?: ResponseInit): GatewayResponse {
  return withType(init, "text/html; charset=utf-8", body);
}

/**
 * An `application/json` response of `JSON.stringify(value)`.
 *
 * @example
 * ```ts
 * const app: GatewayApp = () => json({ ok: true }, { status: 201 });
 * ```
 */
export function json(value: unknown, init?: ResponseInit): GatewayResponse {
  return withType(init, "application/json; charset=utf-8", JSON.stringify(value) ?? "null");
}

/**
 * A redirect to `location` (302 unless told otherwise).
 *
 * @example
 * ```ts
 * const app: GatewayApp = (request) => redirect(`${request.basePath}/login`, 303);
 * ```
 */
export function redirect(
  location: string,
  status: 301 | 302 | 303 | 307 | 308 = 302,
  init?: ResponseInit,
): GatewayResponse {
  return { status, headers: { ...init?.headers, location }, body: null };
}

/**
 * A response without a body: 204 unless told otherwise.
 *
 * @example
 * ```ts
 * const app: GatewayApp = () => empty(); // 204 No Content
 * ```
 */
export function empty(status = 204, init?: ResponseInit): GatewayResponse {
  const response: GatewayResponse = { status, headers: { ...init?.headers }, body: null };
  if (init?.statusText !== undefined) response.statusText = init.statusText;
  return response;
}

// A registered symbol, so a pass() made by one copy of @gangway/core is recognised by another.
const kPass = Symbol.for("gangway.pass");

/**
 * "Not mine" (rule 30): a 404 marked as not handled here, so a host framework or `cascade` can try
 * elsewhere — Rack's `x-cascade: pass`. On the wire it is an ordinary 404.
 *
 * @example
 * ```ts
 * const app: GatewayApp = (request) => request.path === "/hello" ? text("hi") : pass();
 * ```
 */
export function pass(): GatewayResponse {
  return {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: "Not Found",
    [kPass]: true,
  } as GatewayResponse;
}

/**
 * Whether `response` is a {@link pass} ("not mine") rather than a 404 the app meant.
 *
 * @example
 * ```ts
 * const response = await app(request);
 * if (isPass(response)) return next();
 * ```
 */
export function isPass(response: GatewayResponse | null | undefined): boolean {
  return typeof response === "object" && response !== null && (response as { [kPass]?: boolean })[kPass] === true;
}
