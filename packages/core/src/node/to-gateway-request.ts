import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { GatewayError } from "../errors.js";
import { defineLazySignal, type SignalSource } from "../request-signal.js";
import type { GatewayEnv, GatewayRequest } from "../types.js";
import { fromReadable } from "./readable-iterator.js";

declare module "../types.js" {
  interface GatewayEnv {
    /** The Node request a Node server received; not authoritative once middleware derived a new request (rule 12). */
    "node.req"?: IncomingMessage;
    /** The Node response of that request. */
    "node.res"?: import("node:http").ServerResponse;
  }
}

/**
 * Splits a raw request target into path and query (rules 4–6, 36). Absolute-form targets are
 * reduced to origin-form; `*` is kept for OPTIONS; anything else that is not origin-form is
 * `GW_ERR_INVALID_URL`.
 *
 * @example
 * ```ts
 * splitTarget("/a/b?x=1", "GET"); // { path: "/a/b", query: "x=1" }
 * ```
 */
export function splitTarget(target: string, method: string): { path: string; query: string; authority?: string } {
  let authority: string | undefined;
  if (target.charCodeAt(0) !== 47 /* "/" */) {
    if (target === "*" && method === "OPTIONS") return { path: "*", query: "" };
    const match = /^https?:\/\/([^/?#]+)(.*)$/i.exec(target);
    if (!match) throw new GatewayError("GW_ERR_INVALID_URL", JSON.stringify(target.slice(0, 64)));
    authority = match[1];
    target = match[2] || "/";
    if (target.charCodeAt(0) !== 47) target = `/${target}`;
  }
  // A fragment never belongs to a request target (RFC 9112 §3.2): refuse it rather than guess (rule 36).
  if (target.includes("#")) throw new GatewayError("GW_ERR_INVALID_URL", "a request target has no fragment");
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q + 1);
  return authority === undefined ? { path, query } : { path, query, authority };
}

/** Whether a Node request carries a body (rule 10): a transfer-encoding, or a non-zero content-length. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * Builds the gateway request for a Node request (rules 3–13). The headers object is Node's own
 * (no copy); the body is the `IncomingMessage` behind a read-once guard; `signal` may be given as
 * a function, called whenever someone reads `request.signal`: it makes the signal on its first call
 * and must return that same signal on every later one; or as a {@link SignalSource} (the response's
 * `watchClient`), which the socketless pair can also watch without making the signal.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const request = toGatewayRequest(req, controller.signal, { "node.req": req });
 * ```
 */
export function toGatewayRequest(
  req: IncomingMessage,
  signal: AbortSignal | SignalSource | (() => AbortSignal),
  env: GatewayEnv,
): GatewayRequest {
  const method = req.method ?? "GET";
  const { path, query, authority } = splitTarget(req.url ?? "/", method);
  const socket = req.socket;
  const request: Omit<GatewayRequest, "signal"> = {
    method,
    scheme: (socket as TLSSocket).encrypted ? "https" : "http",
    authority: authority ?? req.headers.host ?? `${socket.localAddress ?? "localhost"}:${socket.localPort ?? 80}`,
    basePath: "",
    path,
    query,
    headers: req.headers,
    body: hasBody(req) ? fromReadable(req) : null,
    remoteAddress: socket.remoteAddress,
    env,
  };
  if (signal instanceof AbortSignal) {
    (request as { signal?: AbortSignal }).signal = signal;
    return request as GatewayRequest;
  }
  return defineLazySignal(request, signal);
}
