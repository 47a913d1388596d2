/**
 * The gateway interface as TypeScript types. `docs/spec.md` is the normative text; rule numbers
 * in these comments point there.
 */

/**
 * Request headers in Node's shape (rule 8): lower-case names; `set-cookie` is a list; other
 * duplicates are joined as Node joins them. A Node `IncomingMessage`'s `headers` already is one,
 * so a server hands it over without a copy.
 */
export interface IncomingHeaders {
  [name: string]: string | string[] | undefined;
}

/**
 * Response headers (rule 15): a value is a string, a number, or a list of strings — every
 * `set-cookie` stays its own list entry, never joined with commas.
 */
export interface OutgoingHeaders {
  [name: string]: string | number | readonly string[] | undefined;
}

/** A request body: read once, chunk by chunk (rule 10). A Node `IncomingMessage` is one. */
export type RequestBody = AsyncIterable<Uint8Array>;

/** Every body kind a response may carry (rule 20). */
export type ResponseBody = string | Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null;

/**
 * The extension bag of a request (rule 12). Keys contain a dot; `gangway.*` is reserved.
 * Adapters add their keys by declaration merging, so `request.env["express.req"]` is typed
 * wherever `@gangway/express` is imported.
 *
 * @example
 * ```ts
 * declare module "@gangway/core" {
 *   interface GatewayEnv { "myauth.user"?: { id: string } }
 * }
 * ```
 */
export interface GatewayEnv {
  /** The spec version a Gangway server speaks, "1.0" (rule 2). */
  "gangway.version"?: string;
  /** The raw path before `mount` normalised dot segments (rule 33). */
  "gangway.rawPath"?: string;
  [key: `${string}.${string}`]: unknown;
}

/**
 * What an app receives: plain data. Middleware derives new requests with `{ ...request, ... }`
 * and never mutates the one it was given (rule 13).
 */
export interface GatewayRequest {
  /** Upper-case method token, e.g. "GET" (rule 3). */
  readonly method: string;
  /** The scheme at this hop (rule 7). */
  readonly scheme: "http" | "https";
  /** `host[:port]` from the Host header, else the server's address (rule 7). */
  readonly authority: string;
  /** The mount prefix already consumed; "" at the root, never ends in "/" (rule 4). */
  readonly basePath: string;
  /** The rest of the path, raw (still percent-encoded); "" only when `basePath` is not (rule 4). */
  readonly path: string;
  /** The raw query string without "?"; "" when there is none (rule 6). */
  readonly query: string;
  /** Lower-case request headers in Node's shape (rule 8). */
  readonly headers: IncomingHeaders;
  /** The request body, read once; `null` when the request has none (rule 10). */
  readonly body: RequestBody | null;
  /** Aborts when the client goes away before the response completes (rule 11). */
  readonly signal: AbortSignal;
  /** The client's address as this hop saw it (rule 7). */
  readonly remoteAddress?: string;
  /** The extension bag (rule 12). */
  readonly env: GatewayEnv;
}

/** What an app returns (rules 14–22). */
export interface GatewayResponse {
  /** An integer from 100 to 999 (rule 14). */
  status: number;
  /** The reason phrase; the status code's standard text when left out (rule 14). */
  statusText?: string;
  /** Response headers (rules 15, 16). */
  headers?: OutgoingHeaders;
  /** The body; `null` or left out for none (rule 20). */
  body?: ResponseBody | undefined;
}

/**
 * A gateway application (rule 1): called once per request, many times and concurrently.
 * It may carry the optional lifecycle hooks of rule 31.
 *
 * @example
 * ```ts
 * import { text, type GatewayApp } from "@gangway/core";
 * export const app: GatewayApp = (request) => text(`hello from ${request.path}`);
 * ```
 */
export type GatewayApp = ((request: GatewayRequest) => GatewayResponse | Promise<GatewayResponse>) & LifecycleHooks;

/** Optional hooks an app may carry (rule 31): run once per process by servers that support them. */
export interface LifecycleHooks {
  /** Runs before the server listens; a rejection stops the server from starting. */
  startup?: () => void | Promise<void>;
  /** Runs once when the server shuts down gracefully. */
  shutdown?: () => void | Promise<void>;
}

/**
 * Middleware wraps an app and returns an app (rule 28), playing both sides: a server to the app
 * inside, an app to the server outside.
 *
 * @example
 * ```ts
 * import type { Middleware } from "@gangway/core";
 * const poweredBy: Middleware = (next) => async (request) => {
 *   const response = await next(request);
 *   return { ...response, headers: { ...response.headers, "x-powered-by": "gangway" } };
 * };
 * ```
 */
export type Middleware = (next: GatewayApp) => GatewayApp;
