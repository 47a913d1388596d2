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
  if (progressive) return toPlain(set) ?? withoutHopByHop(set);
  if (given === undefined || given === null) return {};
  return withoutHopByHop(fromGiven(given, {}) ?? (fromGiven(given, Object.create(null)) as OutgoingHeaders));
}

/**
 * `headers` copied into a plain object, or `undefined` when a hop-by-hop header or one named
 * `__proto__` needs the general path. Why copy: Node's header maps have a null prototype, which
 * V8 keeps as a dictionary, and every later walk over the headers (the hop-by-hop check, the
 * server's `writeHead`) costs about five times as much on one.
 */
function toPlain(headers: OutgoingHeaders): OutgoingHeaders | undefined {
  const plain: OutgoingHeaders = {};
  for (const name in headers) {
    if (name === "__proto__" || HOP_BY_HOP_HEADERS.has(name)) return undefined;
    plain[name] = headers[name] as OutgoingHeaders[string];
  }
  return plain;
}

/**
 * `writeHead`'s own header argument — an object, `[name, value]` pairs, or a flat name-value list —
 * added to `into`: a plain object (see {@link toPlain}) unless a header is named `__proto__`, which
 * returns `undefined` so the caller starts again with a null-prototype one, where it stays a header.
 */
function fromGiven(given: unknown, into: OutgoingHeaders): OutgoingHeaders | undefined {
  if (Array.isArray(given)) {
    if (given.length > 0 && Array.isArray(given[0])) {
      for (const [name, value] of given as [string, unknown][]) if (!add(into, name, value)) return undefined;
    } else {
      for (let i = 0; i < given.length; i += 2) if (!add(into, given[i] as string, given[i + 1])) return undefined;
    }
  } else {
    const object = given as OutgoingHttpHeaders;
    for (const name of Object.keys(object)) if (!add(into, name, object[name])) return undefined;
  }
  return into;
}

/** Adds one header, lower-cased, joining a repeated name into a list; `false` for `__proto__` on a plain object. */
function add(headers: OutgoingHeaders, name: string, value: unknown): boolean {
  if (value === undefined) return true;
  const key = name.toLowerCase();
  if (key === "__proto__" && Object.getPrototypeOf(headers) !== null) return false;
  const previous = headers[key];
  const next = value as string | number | string[];
  // A function is Object.prototype's (a header named `constructor`), not a header seen before.
  if (previous === undefined || typeof previous === "function") headers[key] = next;
  else headers[key] = [...toList(previous), ...toList(next)];
  return true;
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
