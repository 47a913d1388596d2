import type { ServerResponse } from "node:http";
import type { GatewayResponse } from "../../types.js";
import { closeConnection, sendResponse } from "../send-response.js";

/**
 * Answers on the Node side for a listener that handed its request back before responding — with
 * `pass()` for `next()`, with `errorResponse(error)` for `next(error)` or a throw — so that a
 * fused listener answers the client exactly as a server answers the unfused path's result, and a
 * socketless response still finishes and closes. Whatever the listener had prepared on `res`
 * (headers, a status message) is dropped first: the unfused path starts from a fresh response too.
 *
 * @example
 * ```ts
 * answer(res, req.method ?? "GET", pass());
 * ```
 */
export function answer(res: ServerResponse, method: string, response: GatewayResponse): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  // writeHead falls back to the standard reason phrase only when none was set.
  res.statusMessage = undefined as unknown as string;
  sendResponse(res, method, response).catch(() => closeConnection(res));
}
