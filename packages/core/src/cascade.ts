import { describe, discardBody } from "./body-reader.js";
import { withLifecycle } from "./compose.js";
import { GatewayError } from "./errors.js";
import { OnceBody, toRequestBody, unwrapBody } from "./request-body.js";
import { deriveRequest } from "./request-signal.js";
import { isPass, pass } from "./response.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "./types.js";

/** Options for {@link cascade}, given as its last argument. */
export interface CascadeOptions {
  /**
   * Also treat plain `404` and `405` responses as "not mine", not only `pass()`: for apps that
   * answer an unmatched route with an ordinary 404 (Rack::Cascade's default). Default `false`.
   */
  notFound?: boolean;
}

/**
 * Tries apps in order with the same request and returns the first response that is not "not mine"
 * (rule 30), like Rack::Cascade. The body of each skipped response is finished (rule 21).
 *
 * - All apps pass: the last pass is returned. No apps: `pass()`.
 * - Once an app has started reading the request body, cascade stops there and returns that app's
 *   response even if it is a pass: a read-once body cannot be offered to the next app.
 * - A last argument that is not a function holds {@link CascadeOptions}.
 * - An app that throws or rejects ends the cascade with that error.
 *
 * @example
 * ```ts
 * import { cascade, serve } from "@gangway/core";
 * import { fromExpress } from "@gangway/express";
 * // New routes first; whatever they pass falls through to the legacy Express app.
 * await serve(cascade(newApp, fromExpress(legacy)));
 * // Apps that answer unmatched routes with a plain 404 or 405:
 * const either = cascade(staticFiles, api, { notFound: true });
 * ```
 */
export function cascade(...apps: GatewayApp[]): GatewayApp;
export function cascade(...args: [...apps: GatewayApp[], options: CascadeOptions]): GatewayApp;
export function cascade(...args: (GatewayApp | CascadeOptions)[]): GatewayApp {
  const last = args.at(-1);
  const options: CascadeOptions = typeof last === "object" && last !== null ? (args.pop() as CascadeOptions) : {};
  if (options.notFound !== undefined && typeof options.notFound !== "boolean") {
    throw new TypeError(`cascade: options.notFound must be a boolean, got ${describe(options.notFound)}`);
  }
  args.forEach((app, index) => {
    if (typeof app !== "function") {
      throw new GatewayError("GW_ERR_INVALID_APP", `cascade: the app at index ${index} is ${describe(app)}`);
    }
  });
  const apps = args as GatewayApp[];
  const notMine = options.notFound
    ? (response: GatewayResponse) => isPass(response) || response?.status === 404 || response?.status === 405
    : isPass;

  async function cascaded(request: GatewayRequest): Promise<GatewayResponse> {
    if (apps.length === 0) return pass();
    let offered = request;
    // A server's OnceBody goes on untouched, so an adapter can still unwrap the Node request behind
    // it (fusion, rule 35); any other body gets one, so a read shows as `used`.
    if (request.body !== null && !(request.body instanceof OnceBody)) {
      offered = deriveRequest(request, { body: toRequestBody(request.body) });
    }
    const body = offered.body as OnceBody | null;
    const source = unwrapBody(body);
    for (let i = 0; ; i++) {
      const response = await apps[i]!(offered);
      if (i === apps.length - 1 || !notMine(response)) return response;
      if (body !== null && (body.used || sourceWasRead(source))) return response;
      await discardBody(response.body);
    }
  }

  return withLifecycle(cascaded, apps);
}

/**
 * Whether someone read the body's source directly, past the read-once guard: an adapter that
 * unwrapped the Node request to hand it across (fusion) reads the stream itself. A Node stream
 * leaves paused-or-flowing mode set once anything consumed it; a WHATWG stream is locked by a reader.
 */
function sourceWasRead(source: unknown): boolean {
  if (typeof source !== "object" || source === null) return false;
  const stream = source as { readableFlowing?: boolean | null; readableDidRead?: boolean; locked?: boolean };
  return (
    stream.readableDidRead === true ||
    (stream.readableFlowing !== undefined && stream.readableFlowing !== null) ||
    stream.locked === true
  );
}
