import { describe } from "./body-reader.js";
import { GatewayError } from "./errors.js";
import type { GatewayResponse } from "./types.js";

/**
 * The checks every consumer of a response makes before sending it (rules 14, 25): a plain object
 * with an integer status from 100 to 999. `validate()` checks much more; these are the ones a
 * server cannot do without.
 *
 * @example
 * ```ts
 * const response = checkResponse(await app(request));
 * ```
 */
export function checkResponse(response: unknown): GatewayResponse {
  if (typeof response !== "object" || response === null) {
    throw new GatewayError("GW_ERR_INVALID_RESPONSE", `the app returned ${describe(response)}`);
  }
  const { status } = response as GatewayResponse;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new GatewayError("GW_ERR_INVALID_STATUS", `got ${String(status)}`);
  }
  return response as GatewayResponse;
}

/** Whether a response with this status and method carries no body on the wire (rule 17). */
export function isBodiless(status: number, method?: string): boolean {
  return method === "HEAD" || status < 200 || status === 204 || status === 205 || status === 304;
}
