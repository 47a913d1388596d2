import { splitTarget } from "@gangway/core";
import type { ParameterizedContext } from "koa";

/** Where a request stands under a Koa host: the prefix the host consumed, and the rest. */
export interface MountView {
  /** The consumed prefix: "" at the root, never ending in "/" (rule 4). */
  basePath: string;
  /** The rest of the raw path. */
  path: string;
  /** The raw query, without "?". */
  query: string;
  /** The authority of an absolute-form request target, when it had one (rule 7). */
  authority?: string;
}

/** The slice of a @koa/router layer this module reads; @koa/router keeps its layers untyped on ctx. */
interface RouterLayer {
  path?: unknown;
  regexp?: unknown;
  paramNames?: ReadonlyArray<{ type?: string }>;
}

/**
 * Splits a Koa request into `basePath` and `path` as a natively mounted app would see them.
 *
 * - koa-mount (and anything else that strips a prefix from `ctx.path`, as `fromKoa` does) leaves
 *   `ctx.originalUrl` whole: the part of its path in front of the current `ctx.path` was consumed.
 *   Nested mounts accumulate, which `ctx.mountPath` (the innermost prefix only) would not show.
 * - @koa/router keeps `ctx.path` whole and records the matched route in `ctx.routerPath`. Under a
 *   route ending in a wildcard (`router.all("/gw{/*rest}", toKoa(app))`) the wildcard's raw text is
 *   the app's path and everything the route matched before it joins `basePath`. Any other route
 *   consumes nothing.
 *
 * @example
 * ```ts
 * // koa-mount at "/gw", request "/gw/a?x=1"
 * toMountView(ctx); // { basePath: "/gw", path: "/a", query: "x=1" }
 * ```
 */
export function toMountView(ctx: ParameterizedContext): MountView {
  const url = ctx.req.url ?? "/";
  const originalUrl = typeof ctx.originalUrl === "string" ? ctx.originalUrl : url;
  // The original target is what the client sent: refuse a malformed one (rule 36).
  const original = splitTarget(originalUrl, ctx.method);
  let basePath = "";
  let path = original.path;
  let query = original.query;
  if (url !== originalUrl) {
    const q = url.indexOf("?");
    const current = q === -1 ? url : url.slice(0, q);
    query = q === -1 ? "" : url.slice(q + 1);
    [basePath, path] = splitMount(original.path, current);
  }
  const routed = splitRoute(ctx, path);
  if (routed !== undefined) {
    basePath += routed[0];
    path = routed[1];
  }
  // A prefix ending in "/" (koa-mount("/gw/") leaves "a" for "/gw/a") gives its slash to the path.
  while (basePath.endsWith("/")) {
    basePath = basePath.slice(0, -1);
    path = `/${path}`;
  }
  if (path !== "" && path !== "*" && !path.startsWith("/")) path = `/${path}`;
  if (basePath === "" && path === "") path = "/";
  const view: MountView = { basePath, path, query };
  if (original.authority !== undefined) view.authority = original.authority;
  return view;
}

/** Splits `original` where the current path begins, when the host consumed a prefix. */
function splitMount(original: string, current: string): [string, string] {
  if (current === original) return ["", current];
  if (current.length > 0 && current.length < original.length && original.endsWith(current)) {
    return [original.slice(0, original.length - current.length), current];
  }
  // koa-mount turns the bare prefix ("/gw") into "/": all of it was consumed.
  if (current === "/") return [original, ""];
  // A rewrite, not a mount: the app sees the rewritten path.
  return ["", current];
}

/** The part of `path` a @koa/router wildcard route consumed, and the wildcard's raw rest. */
function splitRoute(ctx: ParameterizedContext, path: string): [string, string] | undefined {
  const pattern = (ctx as { routerPath?: unknown }).routerPath;
  if (typeof pattern !== "string" || !pattern.includes("*")) return undefined;
  const matched = (ctx as { matched?: unknown }).matched;
  if (!Array.isArray(matched)) return undefined;
  let layer: RouterLayer | undefined;
  for (let i = matched.length - 1; i >= 0 && layer === undefined; i--) {
    if ((matched[i] as RouterLayer).path === pattern) layer = matched[i] as RouterLayer;
  }
  if (!(layer?.regexp instanceof RegExp) || !Array.isArray(layer.paramNames)) return undefined;
  // The router matched the same raw path, so its captures are raw too (its params are decoded).
  const match = layer.regexp.exec(path);
  if (match === null) return undefined;
  let rest: string | undefined;
  let wildcard = false;
  layer.paramNames.forEach((key, i) => {
    if (key.type !== "wildcard") return;
    wildcard = true;
    rest ??= match[i + 1];
  });
  if (!wildcard) return undefined;
  // The route matched without its optional wildcard: the whole path was the prefix.
  if (rest === undefined) return [path, ""];
  let end = path.length;
  if (!path.endsWith(rest)) {
    // path-to-regexp lets a trailing slash follow the capture.
    if (!path.endsWith(`${rest}/`)) return undefined;
    end -= 1;
  }
  const cut = end - rest.length;
  return [path.slice(0, cut), path.slice(cut)];
}
