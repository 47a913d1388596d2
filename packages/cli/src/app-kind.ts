/**
 * What kind of application an export holds, told by its shape alone. Nothing is called: a gateway
 * app cannot be told from any other function without calling it, so a function that is not
 * recognisably a framework app *is* taken for a gateway app (spec rule 1).
 */

/** The kinds of application the CLI can serve. */
export type AppKind = "gateway" | "express" | "koa" | "fastify" | "fetch";

/** The adapter package and export that turn each framework kind into a gateway app. */
export const ADAPTERS = {
  express: { name: "an Express app", package: "@gangway/express", export: "fromExpress" },
  koa: { name: "a Koa app", package: "@gangway/koa", export: "fromKoa" },
  fastify: { name: "a Fastify instance", package: "@gangway/fastify", export: "fromFastify" },
} as const;

/** The kinds an export may be, as messages list them. */
export const EXPECTED_KINDS =
  "a gateway app (a function of one request), an Express app, a Koa app, a Fastify instance, or a Fetch handler object ({ fetch })";

/**
 * Tells an export's kind by shape: an Express app is a function with `handle`, `use` and `set`; a
 * Koa app an object with `callback`, a `middleware` array and `use`; a Fastify instance an object
 * with `routing`, `ready`, `register` and `inject`; a Fetch handler an object with a `fetch`
 * method (Hono, itty-router, a Workers module); any other function a gateway app. Anything else
 * (classes included, which cannot be called without `new`) is `undefined`.
 *
 * @example
 * ```ts
 * toAppKind(express()); // "express"
 * toAppKind((request) => text("hi")); // "gateway"
 * toAppKind({ fetch: (request) => new Response("hi") }); // "fetch"
 * ```
 */
export function toAppKind(value: unknown): AppKind | undefined {
  if (typeof value === "function") {
    if (hasMethods(value, "handle", "use", "set")) return "express";
    if (isClass(value)) return undefined;
    return "gateway";
  }
  if (typeof value !== "object" || value === null) return undefined;
  if (hasMethods(value, "callback", "use") && Array.isArray((value as { middleware?: unknown }).middleware)) {
    return "koa";
  }
  if (hasMethods(value, "routing", "ready", "register", "inject")) return "fastify";
  if (hasMethods(value, "fetch")) return "fetch";
  return undefined;
}

/**
 * Says what a value is, for "expected X, got Y" messages.
 *
 * @example
 * ```ts
 * describeValue("hi"); // "a string"
 * describeValue({ port: 3000 }); // "an object with keys port"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "function") return isClass(value) ? `a class (${value.name || "anonymous"})` : "a function";
  if (typeof value !== "object") return `${/^[aeiou]/.test(typeof value) ? "an" : "a"} ${typeof value}`;
  if (typeof (value as { then?: unknown }).then === "function") return "a Promise";
  if (Array.isArray(value)) return "an array";
  const keys = Object.keys(value);
  if (keys.length === 0) return "an empty object";
  const shown = keys.slice(0, 6).join(", ");
  return `an object with keys ${shown}${keys.length > 6 ? ", ..." : ""}`;
}

function hasMethods(value: object, ...names: string[]): boolean {
  return names.every((name) => typeof (value as Record<string, unknown>)[name] === "function");
}

function isClass(value: Function): boolean {
  // Reading the source text is not calling: a class declaration always starts with "class".
  return /^class[\s{]/.test(Function.prototype.toString.call(value));
}
