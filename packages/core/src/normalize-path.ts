/**
 * The matching view of a path (rule 33). Paths stay raw (rule 5), but `mount` decides which app may
 * see a request, so two spellings of one path must never reach different apps. This module turns a
 * raw path into the segment keys `mount` compares, and resolves dot segments.
 */

/** A raw path as `mount` matches it. */
export interface PathView {
  /** The path the chosen app gets: the raw path, or it with dot segments removed (rule 33 (d)). */
  readonly path: string;
  /** Whether `path` differs from the raw path because dot segments were removed. */
  readonly rewritten: boolean;
  /**
   * One key per non-empty segment of `path`, in order: empty segments (repeated slashes) are not
   * counted (rule 33 (c)); a segment holding a malformed escape has the key `null`, which equals
   * no prefix segment (rule 33 (f)).
   */
  readonly keys: readonly (string | null)[];
  /** For each key, the offset in `path` where its segment ends: `path.slice(0, ends[i])` is the raw match. */
  readonly ends: readonly number[];
}

const SLASH = 47;
const PERCENT = 37;

/**
 * The key a single segment (no `/` in it) is compared by: escapes of unreserved characters decoded,
 * other escapes with upper-case hex digits, ASCII letters lower-cased when matching ignores case;
 * `null` when the segment holds a `%` not followed by two hex digits. `%2F`, `%5C` and `\` stay
 * what they are: ordinary segment characters, never separators (rule 33 (b)). With `decode` false,
 * unreserved escapes stay escapes too: the key of the segment as spelled.
 *
 * @example
 * ```ts
 * toSegmentKey("%61pi");       // "api"
 * toSegmentKey("v2%2fusers");  // "v2%2Fusers"
 * toSegmentKey("API", false);  // "api"
 * toSegmentKey("%zz");         // null
 * ```
 */
export function toSegmentKey(segment: string, caseSensitive = true, decode = true): string | null {
  let key = segment;
  if (segment.indexOf("%") !== -1) {
    key = "";
    let from = 0;
    for (let i = segment.indexOf("%"); i !== -1; i = segment.indexOf("%", from)) {
      const high = hexValue(segment.charCodeAt(i + 1));
      const low = hexValue(segment.charCodeAt(i + 2));
      if (high === -1 || low === -1) return null;
      const code = high * 16 + low;
      key +=
        segment.slice(from, i) +
        (decode && isUnreserved(code) ? String.fromCharCode(code) : `%${HEX[high]}${HEX[low]}`);
      from = i + 3;
    }
    key += segment.slice(from);
  }
  return caseSensitive ? key : toLowerAscii(key);
}

/**
 * The view `mount` matches a raw path by. When the path has dot segments (`.`, `..`, or spelled with
 * escapes such as `%2e%2e`), they are removed as RFC 3986 §5.2.4 `remove_dot_segments` does, never
 * climbing above the root and keeping every other segment as spelled, and the view describes the
 * result. A path that does not start with `/` (`""`, `*`) has no segments.
 *
 * @example
 * ```ts
 * toPathView("//api/x");       // { path: "//api/x", rewritten: false, keys: ["api", "x"], ends: [5, 7] }
 * toPathView("/api/../admin"); // { path: "/admin", rewritten: true, keys: ["admin"], ends: [6] }
 * ```
 */
export function toPathView(path: string, caseSensitive = true): PathView {
  const keys: (string | null)[] = [];
  const ends: number[] = [];
  if (path.charCodeAt(0) !== SLASH) return { path, rewritten: false, keys, ends };
  let dotted = false;
  for (let start = 1; start <= path.length; ) {
    let end = path.indexOf("/", start);
    if (end === -1) end = path.length;
    if (end > start) {
      const key = toSegmentKey(path.slice(start, end), caseSensitive);
      if (key === "." || key === "..") dotted = true;
      keys.push(key);
      ends.push(end);
    }
    start = end + 1;
  }
  if (!dotted) return { path, rewritten: false, keys, ends };
  // Removing dot segments never creates new ones, so the second view is final.
  const resolved = removeDotSegments(path);
  return { ...toPathView(resolved, caseSensitive), rewritten: true };
}

/**
 * The keys of a raw path as a router reading it literally compares them: split on every `/`, so a
 * repeated slash makes an empty segment; no escape decoded and no dot segment resolved; only the
 * hex digits of escapes, and letters when matching ignores case, folded. `mount` refuses a path
 * whose literal keys and normalized view name different apps (rule 33 (g)).
 *
 * @example
 * ```ts
 * toLiteralKeys("//api/%2e%2E"); // ["", "api", "%2E%2E"]
 * toLiteralKeys("/%61pi");       // ["%61pi"]
 * ```
 */
export function toLiteralKeys(path: string, caseSensitive = true): (string | null)[] {
  if (path.charCodeAt(0) !== SLASH) return [];
  return path
    .slice(1)
    .split("/")
    .map((segment) => toSegmentKey(segment, caseSensitive, false));
}

/**
 * RFC 3986 §5.2.4 `remove_dot_segments` for an absolute path, recognising dot segments after
 * decoding unreserved escapes (`%2e%2E` is `..`). A `..` at the root stays at the root; a path
 * ending in a dot segment keeps a trailing slash, as the RFC's does.
 *
 * @example
 * ```ts
 * removeDotSegments("/api/./x/../y");  // "/api/y"
 * removeDotSegments("/../api/%2e%2e"); // "/"
 * ```
 */
export function removeDotSegments(path: string): string {
  const segments = path.slice(1).split("/");
  const output: string[] = [];
  const last = segments.length - 1;
  segments.forEach((segment, index) => {
    const key = segment.length === 0 ? "" : toSegmentKey(segment);
    if (key === "." || key === "..") {
      if (key === "..") output.pop();
      if (index === last) output.push("");
    } else output.push(segment);
  });
  return `/${output.join("/")}`;
}

/**
 * Whether matching `path` on its raw text gives the same answer as its view: no escapes, no `\`,
 * no repeated slash, no segment starting with a dot. This is the common case, and `mount` then
 * compares prefixes with the raw string, allocating nothing but the request it derives.
 *
 * @example
 * ```ts
 * isPlainPath("/api/users/7"); // true
 * isPlainPath("/api/%2e%2e");  // false
 * ```
 */
export function isPlainPath(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === PERCENT || code === 92 /* "\" */) return false;
    if (code === SLASH) {
      const next = path.charCodeAt(i + 1);
      if (next === SLASH || next === 46 /* "." */) return false;
    }
  }
  return true;
}

const HEX = "0123456789ABCDEF";

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
function isUnreserved(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 45 ||
    code === 46 ||
    code === 95 ||
    code === 126
  );
}

/**
 * Lower-cases ASCII letters only: matching without case is ASCII case-insensitive, as Express's is,
 * and must not fold other characters (`İ`, `K` the Kelvin sign) onto ASCII ones.
 *
 * @example
 * ```ts
 * toLowerAscii("/API/İx"); // "/api/İx"
 * ```
 */
export function toLowerAscii(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : text;
}
