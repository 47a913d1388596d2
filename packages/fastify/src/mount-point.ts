import type { IncomingMessage } from "node:http";
import { splitTarget } from "@gangway/core";

/** Where a request sits relative to a plugin's prefix: the gateway request's mount fields. */
export interface MountPoint {
  basePath: string;
  path: string;
  query: string;
  /** The authority an absolute-form target named, if it did. */
  authority?: string;
}

/**
 * Splits a request that a plugin registered under `prefix` matched into `basePath` and `path`
 * (rule 4). `basePath` starts with the mount prefix the Node request already carries (`req.baseUrl`,
 * set by Express and by socketless pairs, so an app in a Fastify in an Express app sees the whole
 * prefix), then the part of the raw path Fastify matched against `prefix`, spelled as the client
 * spelled it: the router may have matched `/%61pi` or `//api` (with `ignoreDuplicateSlashes`) or
 * `/API` (with `caseSensitive: false`) against `/api`, so the prefix's segments are counted on the
 * raw path rather than compared.
 *
 * @example
 * ```ts
 * toMountPoint(req, "/legacy"); // for "/legacy/a?x=1": { basePath: "/legacy", path: "/a", query: "x=1" }
 * ```
 */
export function toMountPoint(req: IncomingMessage, prefix: string): MountPoint {
  const url = req.url ?? "/";
  const outer = (req as { baseUrl?: unknown }).baseUrl;
  const base = typeof outer === "string" && outer !== "/" ? outer : "";
  // No prefix (the common case) and an origin-form target: nothing to match, nothing to copy.
  // Absolute-form, `*` and fragments take splitTarget's way.
  if ((prefix === "" || prefix === "/") && url.charCodeAt(0) === 47 && !url.includes("#")) {
    const q = url.indexOf("?");
    return q === -1
      ? { basePath: base, path: url, query: "" }
      : { basePath: base, path: url.slice(0, q), query: url.slice(q + 1) };
  }
  const target = splitTarget(url, req.method ?? "GET");
  const raw = target.path;
  const cut = prefixEnd(raw, prefix);
  const basePath = base + raw.slice(0, cut);
  let path = raw.slice(cut);
  // At the root a path is never empty (rule 4): an Express mount point reached exactly gives "/".
  if (basePath === "" && path === "") path = "/";
  return { ...target, basePath, path };
}

/** The offset in `raw` where the part matched by `prefix` ends. */
function prefixEnd(raw: string, prefix: string): number {
  if (prefix === "" || prefix === "/") return 0;
  if (raw.startsWith(prefix) && (raw.length === prefix.length || raw.charCodeAt(prefix.length) === 47)) {
    return prefix.length;
  }
  let segments = 0;
  for (let i = 1; i < prefix.length; i++) if (prefix.charCodeAt(i) === 47) segments++;
  if (prefix.charCodeAt(prefix.length - 1) !== 47) segments++;
  // Walk that many segments of the raw path; runs of "/" separate as one.
  let i = 0;
  while (segments > 0 && i < raw.length) {
    while (i < raw.length && raw.charCodeAt(i) === 47) i++;
    while (i < raw.length && raw.charCodeAt(i) !== 47) i++;
    segments--;
  }
  return i;
}
