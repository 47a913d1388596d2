import { describe } from "../body-reader.js";
import { GatewayError } from "../errors.js";
import type { GatewayApp, GatewayRequest, GatewayResponse, RequestBody } from "../types.js";
import { fromFetchHeaders, toFetchHeaders } from "./headers.js";
import { kFetchApp, kFetchHandler } from "./markers.js";
import { type PullSource, toReadableStream } from "./readable-stream.js";

/**
 * A Fetch handler: Hono's `app.fetch`, itty-router, Remix's request handler, a Workers `fetch`
 * export. Arguments after the request (a Workers `env`, an execution context) are the host's; the
 * Gangway adapters pass only the request.
 */
export type FetchHandler = (request: Request, ...rest: any[]) => Response | Promise<Response>;

/** Options for {@link fromFetch}. */
export interface FromFetchOptions {
  /**
   * Hand the app inside a `toFetch` product back instead of wrapping it (fusion, rule 35).
   * Default `true`.
   */
  fuse?: boolean;
  /**
   * Build the `Request` URL from `path` alone, leaving the mount prefix out, as Hono's
   * `app.mount()` does. Default `false`: the URL is the full one the client asked for, since a
   * Fetch handler has nowhere to keep a prefix, and a handler that builds links needs all of it.
   */
  stripBasePath?: boolean;
}

/**
 * Each streaming response body, with the `Request` its handler was given. undici's `Request`
 * follows the signal it was built with (the gateway request's) through a WeakRef to its own
 * AbortController: once the `Request` is collected, `request.signal` — all most handlers keep —
 * never aborts again. So the `Request` must live as long as the response can still be running: the
 * handler's call (the app's frame holds it across the await) and then the body (this map holds it
 * for as long as the body is reachable, which its consumer ensures until the end).
 */
const followers = new WeakMap<object, Request>();

// Methods undici's Request constructor refuses ("forbidden methods" of the Fetch standard).
const UNREPRESENTABLE_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * Makes a Fetch handler (Hono, itty-router, Remix, anything `(request: Request) => Response`) a
 * gateway app. The handler gets a real global `Request` whose URL is
 * `${scheme}://${authority}${basePath}${path}?${query}` (the full URL: see `stripBasePath`), whose
 * body streams from `request.body` one chunk per read, and whose signal aborts with
 * `request.signal`. Its `Response` comes back with the status, `statusText`, every `set-cookie`
 * kept separate, and the body streaming. A handler that throws or rejects rejects the app.
 *
 * `fromFetch(toFetch(app))` is `app` itself, unless `fuse: false` (rule 35). The one difference
 * fusion makes is for the better: `app` sees the mount prefix in `basePath` rather than in `path`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { fromFetch, mount, serve } from "@gangway/core";
 * const hono = new Hono().basePath("/hono").get("/hi/:name", (c) => c.text(`hi ${c.req.param("name")}`));
 * await serve(mount({ "/hono": fromFetch(hono) }), { port: 3000 });
 * ```
 */
export function fromFetch(handler: FetchHandler | { fetch: FetchHandler }, options: FromFetchOptions = {}): GatewayApp {
  const fetch = toHandlerFunction(handler);
  const fused = (fetch as { [kFetchApp]?: GatewayApp })[kFetchApp];
  if (fused !== undefined && options.fuse !== false) return fused;
  const stripBasePath = options.stripBasePath === true;
  const app = async function fetchApp(request: GatewayRequest): Promise<GatewayResponse> {
    if (UNREPRESENTABLE_METHODS.has(request.method)) {
      // Fetch cannot carry these methods at all; 501 is the status for a method a server does
      // not implement (RFC 9110 §15.6.2), and the handler could not have answered otherwise.
      finishUnread(request.body);
      return { status: 501, headers: { "content-type": "text/plain; charset=utf-8" }, body: "Not Implemented" };
    }
    const fetchRequest = toRequest(request, stripBasePath);
    const response = fromResponse(await fetch(fetchRequest));
    // Held past the await, and then by the body, for the reason `followers` gives.
    if (response.body !== null && typeof response.body === "object") followers.set(response.body, fetchRequest);
    return response;
  };
  Object.defineProperty(app, kFetchHandler, { value: fetch });
  return app;
}

function toHandlerFunction(handler: FetchHandler | { fetch: FetchHandler }): FetchHandler {
  if (typeof handler === "function") return handler;
  if (typeof handler === "object" && handler !== null && typeof handler.fetch === "function") {
    // Called as a method, so a class-based app keeps its `this`.
    const object = handler;
    const bound: FetchHandler = (request, ...rest) => object.fetch(request, ...rest);
    return bound;
  }
  throw new TypeError(`fromFetch: expected a Fetch handler or an object with a fetch method, got ${describe(handler)}`);
}

/** The Fetch `Request` for a gateway request. */
function toRequest(request: GatewayRequest, stripBasePath: boolean): Request {
  const { method, path, query } = request;
  if (path === "*") {
    // OPTIONS * (rule 5) has no URL form; a Fetch Request always has a URL path.
    throw new GatewayError("GW_ERR_INVALID_URL", "a Fetch handler cannot receive the target *");
  }
  const prefix = stripBasePath ? "" : request.basePath;
  const target = prefix + path || "/";
  let url: URL;
  try {
    url = new URL(`${request.scheme}://${request.authority}${target}${query === "" ? "" : `?${query}`}`);
  } catch (error) {
    // A host header that makes no URL (rule 36: a bad target is the client's mistake, not a crash).
    throw new GatewayError("GW_ERR_INVALID_URL", JSON.stringify(request.authority.slice(0, 64)), { cause: error });
  }
  const init: RequestInit & { duplex?: "half" } = {
    method,
    headers: toFetchHeaders(request.headers),
    signal: request.signal,
  };
  if (request.body !== null) {
    // Fetch refuses a body on GET and HEAD, so it is dropped there and finished (spec, "Fetch interop").
    if (method === "GET" || method === "HEAD") finishUnread(request.body);
    else {
      init.body = toReadableStream(lazySource(request.body));
      init.duplex = "half";
    }
  }
  return new Request(url, init);
}

/**
 * A pull source over a request body that starts iterating only on the first read, so a handler
 * that never reads the body leaves it unread (`isBodyUsed` stays false for `cascade`).
 */
function lazySource(body: RequestBody): PullSource {
  let iterator: AsyncIterator<Uint8Array> | undefined;
  let done = false;
  return {
    async read() {
      if (done) return null;
      iterator ??= body[Symbol.asyncIterator]();
      let result: IteratorResult<Uint8Array>;
      try {
        result = await iterator.next();
      } catch (error) {
        done = true;
        throw error;
      }
      if (result.done) {
        done = true;
        return null;
      }
      return result.value;
    },
    async finish() {
      if (done) return;
      done = true;
      await iterator?.return?.();
    },
  };
}

function finishUnread(body: RequestBody | null): void {
  if (body === null) return;
  try {
    void body[Symbol.asyncIterator]()
      .return?.()
      ?.catch(() => {});
  } catch {
    // Already read by someone else: nothing of ours to finish.
  }
}

/** The gateway response for a Fetch `Response`. */
function fromResponse(response: Response): GatewayResponse {
  // Checked by shape, not instanceof: a Response from a ponyfill or another realm is a Response too.
  if (typeof (response as Partial<Response> | null)?.headers?.get !== "function") {
    throw new GatewayError("GW_ERR_INVALID_RESPONSE", `the Fetch handler returned ${describe(response)}`);
  }
  const result: GatewayResponse = {
    status: response.status,
    headers: fromFetchHeaders(response.headers, { dropHopByHop: true }),
    body: response.body,
  };
  // Fetch's default is "", meaning none: the server then sends the standard phrase (rule 14).
  if (response.statusText !== "") result.statusText = response.statusText;
  return result;
}
