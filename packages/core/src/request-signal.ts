import type { GatewayRequest } from "./types.js";

// The signal is made on first read: most apps never look, and an AbortController costs more than
// the rest of the request. One shared accessor keeps every request on the same hidden class (a
// getter in each object literal would make a new one per request). A spread (`{ ...request }`)
// reads it, so derived requests carry the same signal as a plain value; `deriveRequest` keeps it
// lazy instead.
const kSignal = Symbol("gangway.signal");
const lazySignal = {
  enumerable: true,
  configurable: true,
  // Nothing is written back to the request: it may be frozen (rule 13), or a derived object
  // (`Object.create(request)`) whose own slot would hide the signal from the original.
  get(this: { [kSignal]: () => AbortSignal }): AbortSignal {
    return this[kSignal]();
  },
} satisfies PropertyDescriptor;

/**
 * Gives a request under construction a `signal` made only when someone reads it, through one
 * accessor shared by every request (rule 11). `source` is called on every read: it makes the
 * signal on its first call and returns that same signal afterwards. Adapters that build their own
 * gateway request use it, as `toGatewayRequest` does.
 *
 * @example
 * ```ts
 * let controller: AbortController | undefined;
 * const request = defineLazySignal({ method: "GET", path: "/" }, () => (controller ??= new AbortController()).signal);
 * request.signal.aborted; // false; the controller exists from now on
 * ```
 */
export function defineLazySignal<T extends object>(request: T, source: () => AbortSignal): T & { signal: AbortSignal } {
  (request as unknown as { [kSignal]: () => AbortSignal })[kSignal] = source;
  return Object.defineProperty(request, "signal", lazySignal) as T & { signal: AbortSignal };
}

/**
 * `{ ...request, ...changes }` for middleware on the hot path (`mount`, `cascade`): the same
 * fields, but a signal that was not made yet stays unmade. A spread reads every getter, so it
 * would build the request's AbortController for an app that never looks at it.
 *
 * @example
 * ```ts
 * return inner(deriveRequest(request, { basePath: "/api", path: "/users" }));
 * ```
 */
export function deriveRequest(request: GatewayRequest, changes: Partial<GatewayRequest>): GatewayRequest {
  const source = (request as { [kSignal]?: () => AbortSignal })[kSignal];
  // The slot travels with a user's spread too; only our own accessor means "not made yet".
  if (source === undefined || Object.getOwnPropertyDescriptor(request, "signal")?.get !== lazySignal.get) {
    return { ...request, ...changes };
  }
  const derived: Record<string, unknown> = {};
  // Not a spread: a spread clone turns into a slow dictionary once a field is added.
  for (const key in request) if (key !== "signal") derived[key] = request[key as keyof GatewayRequest];
  Object.assign(derived, changes);
  if ("signal" in changes) return derived as unknown as GatewayRequest;
  return defineLazySignal(derived, source) as unknown as GatewayRequest;
}
