import { describe } from "./body-reader.js";
import { withLifecycle } from "./compose.js";
import { GatewayError } from "./errors.js";
import { isPlainPath, toLiteralKeys, toPathView, toSegmentKey } from "./normalize-path.js";
import { deriveRequest } from "./request-signal.js";
import { pass } from "./response.js";
import type { GatewayApp, GatewayRequest } from "./types.js";

/** Options for {@link mount}. */
export interface MountOptions {
  /**
   * Compare prefixes with case, as RFC 3986 paths are (the default, `true`). With `false`, segments
   * compare ASCII case-insensitively, like Express's default routing (rule 33 (e)).
   */
  caseSensitive?: boolean;
}

interface Route {
  /** The prefix as the caller wrote it, for error messages. */
  prefix: string;
  /** The segment keys the prefix matches (rule 33). */
  keys: string[];
  /** "/" + keys joined: the raw text a plain path must start with to match. */
  canonical: string;
  app: GatewayApp;
}

const SLASH = 47;

/**
 * Dispatches on the start of the path (rule 29), as Werkzeug's `DispatcherMiddleware` and Rack's
 * `URLMap` do: the app whose prefix matches gets the request with that prefix moved from `path` to
 * `basePath`, so it routes on the rest and builds its own URLs from `basePath`.
 *
 * - Prefixes match whole segments (`/api` matches `/api`, `/api/` and `/api/x`, never `/apix`), the
 *   longest first, and `basePath` accumulates across nested mounts.
 * - Matching uses the normalized view of rule 33 — unreserved escapes decoded, `%2F` and `\` not
 *   separators, repeated slashes as one, dot segments resolved — so no spelling of a path reaches an
 *   app other than the one its normalized form names. A path with dot segments is handed on
 *   resolved, with the raw one in `env["gangway.rawPath"]`.
 * - A path whose raw spelling names another app than its normalized form (`//admin`, `/%61dmin`,
 *   `/api/../admin`) is refused: `GW_ERR_AMBIGUOUS_PATH`, answered 400. A host guard in front saw
 *   the raw path, so routing by either form could bypass it.
 * - Without a match the request goes to `fallback`, or is answered `pass()` ("not mine").
 *
 * Prefixes are checked now: each starts with `/`, does not end with `/`, and has no empty segment,
 * dot segment or malformed escape (a `TypeError` naming it); each app is a function
 * (`GW_ERR_INVALID_APP`).
 *
 * @example
 * ```ts
 * import { mount, serve } from "@gangway/core";
 * const app = mount({ "/api": api, "/api/v2": apiV2, "/admin": admin }, site);
 * await serve(app); // GET /api/users → api sees basePath "/api", path "/users"
 * ```
 */
export function mount(
  routes: Readonly<Record<string, GatewayApp>>,
  fallback?: GatewayApp,
  options: MountOptions = {},
): GatewayApp {
  if (typeof routes !== "object" || routes === null || Array.isArray(routes)) {
    throw new TypeError(`mount: routes must be an object of prefix → app, got ${describe(routes)}`);
  }
  if (fallback !== undefined && typeof fallback !== "function") {
    throw new GatewayError("GW_ERR_INVALID_APP", `mount: the fallback is ${describe(fallback)}`);
  }
  const caseSensitive = options.caseSensitive ?? true;
  if (typeof caseSensitive !== "boolean") {
    throw new TypeError(`mount: options.caseSensitive must be a boolean, got ${describe(caseSensitive)}`);
  }
  const table = toRouteTable(routes, caseSensitive);

  function mounted(request: GatewayRequest) {
    const { path } = request;
    if (!isPlainPath(path)) return dispatchView(request);
    // The common case: the raw text is its own normalized view, so compare strings directly.
    for (const route of table) {
      const end = route.canonical.length;
      if (
        (path.length === end || path.charCodeAt(end) === SLASH) &&
        (caseSensitive ? path.startsWith(route.canonical) : startsWithFolded(path, route.canonical))
      ) {
        return route.app(
          deriveRequest(request, { basePath: request.basePath + path.slice(0, end), path: path.slice(end) }),
        );
      }
    }
    return fallback ? fallback(request) : pass();
  }

  function dispatchView(request: GatewayRequest) {
    const view = toPathView(request.path, caseSensitive);
    let seen = request;
    if (view.rewritten) {
      // Every app this request reaches gets the resolved path: an app that resolved `..` itself
      // could otherwise climb into a sibling's prefix (rule 33 (d)). The outermost raw path wins.
      const env =
        request.env["gangway.rawPath"] === undefined
          ? { ...request.env, "gangway.rawPath": request.basePath + request.path }
          : request.env;
      seen = deriveRequest(request, { path: view.path, env });
    }
    const route = table.find((candidate) => matches(candidate.keys, view.keys));
    // A guard in front of Gangway (`app.use("/admin", deny)` in the host) read the raw path. When
    // the raw spelling names another app than the normalized one (`//admin`, `/%61dmin`,
    // `/x/../admin`), routing by either would let one side be bypassed: refuse instead (rule 33 (g)).
    const literal = toLiteralKeys(request.path, caseSensitive);
    if (route !== table.find((candidate) => matches(candidate.keys, literal))) {
      throw new GatewayError(
        "GW_ERR_AMBIGUOUS_PATH",
        "the path names one mounted app as spelled and another normalized",
      );
    }
    if (route === undefined) return fallback ? fallback(seen) : pass();
    const end = view.ends[route.keys.length - 1]!;
    return route.app(
      deriveRequest(seen, { basePath: request.basePath + view.path.slice(0, end), path: view.path.slice(end) }),
    );
  }

  // Hooks run in order of appearance, which is the caller's order, not the longest-first table's.
  const apps = Object.values(routes);
  return withLifecycle(mounted, fallback ? [...apps, fallback] : apps);
}

function toRouteTable(routes: Readonly<Record<string, GatewayApp>>, caseSensitive: boolean): Route[] {
  const table: Route[] = [];
  const byCanonical = new Map<string, string>();
  for (const [prefix, app] of Object.entries(routes)) {
    const problem = checkPrefix(prefix);
    if (problem) throw new TypeError(`mount: prefix ${JSON.stringify(prefix)} ${problem}`);
    if (typeof app !== "function") {
      throw new GatewayError("GW_ERR_INVALID_APP", `mount: the app for ${JSON.stringify(prefix)} is ${describe(app)}`);
    }
    const keys = prefix
      .slice(1)
      .split("/")
      .map((segment) => toSegmentKey(segment, caseSensitive)!);
    const canonical = `/${keys.join("/")}`;
    const twin = byCanonical.get(canonical);
    if (twin !== undefined) {
      throw new TypeError(`mount: prefixes ${JSON.stringify(twin)} and ${JSON.stringify(prefix)} match the same paths`);
    }
    byCanonical.set(canonical, prefix);
    table.push({ prefix, keys, canonical, app });
  }
  // Longest first: among prefixes that both match, one is a segment-prefix of the other.
  return table.sort((a, b) => b.keys.length - a.keys.length);
}

/** Why a prefix can never be matched as written, or `undefined` when it is fine. */
function checkPrefix(prefix: string): string | undefined {
  if (prefix.charCodeAt(0) !== SLASH) return 'must start with "/"';
  if (prefix.endsWith("/")) {
    return prefix === "/" ? "is the root: pass the root app as the fallback" : 'must not end with "/"';
  }
  for (const segment of prefix.slice(1).split("/")) {
    if (segment === "") return "has an empty segment (repeated slashes count as one when matching)";
    const key = toSegmentKey(segment);
    if (key === null) return 'holds a "%" not followed by two hex digits';
    if (key === "." || key === "..") return "has a dot segment, which matching resolves away";
    // Requests spelling the prefix either way would be refused as ambiguous (rule 33 (g)).
    if (key !== toSegmentKey(segment, true, false)) return `escapes an unreserved character: write ${key}`;
  }
  return undefined;
}

function matches(prefix: readonly string[], keys: readonly (string | null)[]): boolean {
  if (prefix.length > keys.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== keys[i]) return false;
  return true;
}

/** `path.startsWith(lower)` with ASCII letters of `path` compared lower-cased, without allocating. */
function startsWithFolded(path: string, lower: string): boolean {
  if (path.length < lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let code = path.charCodeAt(i);
    if (code >= 65 && code <= 90) code += 32;
    if (code !== lower.charCodeAt(i)) return false;
  }
  return true;
}
