import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { HOP_BY_HOP_HEADERS } from "../../hop-by-hop.js";
import type { OutgoingHeaders } from "../../types.js";

/**
 * The response headers a listener committed with `writeHead(status, [reason], given)` — explicit or
 * implied by the first write — captured structurally rather than parsed back out of `_header`.
 *
 * Node keeps `setHeader()` headers in a map that `getHeaders()` copies. When that map exists,
 * `writeHead` merges `given` into it, so it holds everything; when no header was ever set,
 * `writeHead` serialises `given` directly and the map stays empty — then `given` is the whole set
 * (srvx and light-my-request both tripped on this). Names come out lower-cased, repeated names as
 * one list, `set-cookie` always a list entry per cookie. The hop-by-hop headers of rule 16 and the
 * names `connection` lists are dropped; so is what Node adds on its own (`date`, `connection`,
 * `transfer-encoding`), which was never in either source.
 *
 * @example
 * ```ts
 * res.setHeader("set-cookie", ["a=1", "b=2"]);
 * res.writeHead(200, { "Content-Type": "text/plain" });
 * captureHeaders(res, { "Content-Type": "text/plain" });
 * // { "set-cookie": ["a=1", "b=2"], "content-type": "text/plain" }
 * ```
 */
export function captureHeaders(res: ServerResponse, given: unknown): OutgoingHeaders {
  const set = res.getHeaders() as OutgoingHeaders;
  let progressive = false;
  for (const _ in set) {
    progressive = true;
    break;
  }
  const headers = progressive || given === undefined || given === null ? set : fromGiven(given);
  return withoutHopByHop(headers);
}

/** `writeHead`'s own header argument: an object, `[name, value]` pairs, or a flat name-value list. */
function fromGiven(given: unknown): OutgoingHeaders {
  // A null prototype: a header named __proto__ stays a header.
  const headers = Object.create(null) as OutgoingHeaders;
  if (Array.isArray(given)) {
    if (given.length > 0 && Array.isArray(given[0])) {
      for (const [name, value] of given as [string, unknown][]) add(headers, name, value);
    } else {
      for (let i = 0; i < given.length; i += 2) add(headers, given[i] as string, given[i + 1]);
    }
  } else {
    const object = given as OutgoingHttpHeaders;
    for (const name of Object.keys(object)) add(headers, name, object[name]);
  }
  return headers;
}

function add(headers: OutgoingHeaders, name: string, value: unknown): void {
  if (value === undefined) return;
  const key = name.toLowerCase();
  const previous = headers[key];
  const next = value as string | number | string[];
  if (previous === undefined) headers[key] = next;
  else headers[key] = [...toList(previous), ...toList(next)];
}

function toList(value: string | number | readonly string[]): string[] {
  return Array.isArray(value) ? [...value] : [String(value)];
}

function withoutHopByHop(headers: OutgoingHeaders): OutgoingHeaders {
  let found = false;
  for (const name in headers) {
    if (HOP_BY_HOP_HEADERS.has(name)) {
      found = true;
      break;
    }
  }
  if (!found) return headers;
  // `connection` may name more per-hop headers (RFC 9110 §7.6.1); they go too.
  const listed = new Set<string>();
  for (const item of toList(headers.connection ?? [])) {
    for (const token of item.split(",")) listed.add(token.trim().toLowerCase());
  }
  for (const name in headers) {
    if (HOP_BY_HOP_HEADERS.has(name) || listed.has(name)) delete headers[name];
  }
  return headers;
}

/**
 * Node's `rawHeaders` for a headers object: alternating names and values, one pair per list item.
 *
 * @example
 * ```ts
 * toRawHeaders({ host: "a", "set-cookie": ["x=1", "y=2"] });
 * // ["host", "a", "set-cookie", "x=1", "set-cookie", "y=2"]
 * ```
 */
export function toRawHeaders(headers: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (typeof value === "string") raw.push(name, value);
    else if (value !== undefined) for (const item of value) raw.push(name, item);
  }
  return raw;
}
