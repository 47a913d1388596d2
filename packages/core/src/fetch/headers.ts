import { HOP_BY_HOP_HEADERS } from "../hop-by-hop.js";
import type { IncomingHeaders, OutgoingHeaders } from "../types.js";

/**
 * Node-shaped headers (rule 8 or rule 15) as a Fetch `Headers`: a list value becomes one
 * `append` per entry, so every `set-cookie` stays its own field; `undefined` is absent. Hop-by-hop
 * fields (rules 9, 16) are left out: framing belongs to each hop, and undici refuses to send
 * `connection` or `transfer-encoding` on, should a Fetch app forward the request.
 */
export function toFetchHeaders(source: IncomingHeaders | OutgoingHeaders | undefined): Headers {
  const headers = new Headers();
  if (source === undefined) return headers;
  for (const name of Object.keys(source)) {
    const value = source[name];
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name.toLowerCase())) continue;
    if (typeof value === "object") for (const entry of value) headers.append(name, entry);
    else headers.append(name, String(value));
  }
  return headers;
}

/**
 * A Fetch `Headers` in Node's shape: lower-case names, `set-cookie` as a list from
 * `getSetCookie()` (never `get("set-cookie")`, which joins cookies with commas), every other field
 * as `Headers` combined it — `", "` between repeats, and `"; "` for `cookie`, as Node does too.
 * Names go in as own data properties, so a field named `__proto__` stays a header (rule 8).
 */
export function fromFetchHeaders(source: Headers, options: { dropHopByHop: boolean }): IncomingHeaders {
  const headers: IncomingHeaders = {};
  // A Headers from a polyfill may predate getSetCookie(); iteration yields each cookie separately.
  const cookies: string[] | undefined = typeof source.getSetCookie === "function" ? source.getSetCookie() : undefined;
  const collected: string[] = [];
  for (const [name, value] of source) {
    if (name === "set-cookie") {
      if (cookies === undefined) collected.push(value);
    } else if (!(options.dropHopByHop && HOP_BY_HOP_HEADERS.has(name))) setOwn(headers, name, value);
  }
  const setCookie = cookies ?? collected;
  if (setCookie.length > 0) headers["set-cookie"] = setCookie;
  return headers;
}

function setOwn(target: IncomingHeaders, name: string, value: string): void {
  if (name === "__proto__") {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else target[name] = value;
}
