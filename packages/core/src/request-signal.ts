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
  get(this: { [kSignal]: SignalSource | (() => AbortSignal) }): AbortSignal {
    const source = this[kSignal];
    return typeof source === "function" ? source() : source.signal();
  },
} satisfies PropertyDescriptor;

/**
 * Annex B's `__defineGetter__`, taken from `Object.prototype` so that it also serves an object
 * without that prototype. It defines the accessor `lazySignal` describes (enumerable, configurable,
 * no setter) without reading a descriptor object first, as `Object.defineProperty` must: ~400
 * fewer machine instructions per request (docs/performance.md, "Instructions per request").
 */
const defineGetter = (Object.prototype as unknown as { __defineGetter__(name: string, get: () => unknown): void })
  .__defineGetter__;

/**
 * Where a lazy `request.signal` comes from when it can also be watched without being made:
 * `watchClient` is one. Gangway's own consumers (the socketless pair) watch it through
 * {@link onAbort}; an AbortController and its listener cost more than the rest of their request.
 *
 * @example
 * ```ts
 * const client = watchClient(res);
 * const request = defineLazySignal({ method: "GET", path: "/" }, client);
 * ```
 */
export interface SignalSource {
  /** The signal, made on the first call; the same one afterwards. */
  signal(): AbortSignal;
  /** Whether the signal aborted, or would have: read without making it. */
  readonly aborted: boolean;
  /**
   * Calls `listener` once, when the signal aborts or would have; at once if it already did.
   * Returns the function that stops watching.
   */
  onAbort(listener: () => void): () => void;
}

/**
 * Gives a request under construction a `signal` made only when someone reads it, through one
 * accessor shared by every request (rule 11). `source` (a function, or a {@link SignalSource}'s
 * `signal`) is called on every read: it makes the signal on its first call and returns that same
 * signal afterwards. Adapters that build their own gateway request use it, as `toGatewayRequest`
 * does, with the `watchClient` of their response as the source.
 *
 * @example
 * ```ts
 * let controller: AbortController | undefined;
 * const request = defineLazySignal({ method: "GET", path: "/" }, () => (controller ??= new AbortController()).signal);
 * request.signal.aborted; // false; the controller exists from now on
 * ```
 */
export function defineLazySignal<T extends object>(
  request: T,
  source: SignalSource | (() => AbortSignal),
): T & { signal: AbortSignal } {
  (request as unknown as { [kSignal]: SignalSource | (() => AbortSignal) })[kSignal] = source;
  defineGetter.call(request, "signal", lazySignal.get);
  return request as T & { signal: AbortSignal };
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
  const source = lazySourceOf(request);
  if (source === undefined) return { ...request, ...changes };
  const derived: Record<string, unknown> = {};
  // Not a spread: a spread clone turns into a slow dictionary once a field is added.
  for (const key in request) if (key !== "signal") derived[key] = request[key as keyof GatewayRequest];
  Object.assign(derived, changes);
  if ("signal" in changes) return derived as unknown as GatewayRequest;
  return defineLazySignal(derived, source) as unknown as GatewayRequest;
}

/**
 * Calls `listener` once when `request.signal` aborts (at once if it has), and returns the function
 * that stops watching. A signal not made yet stays unmade when its source can be watched without
 * it ({@link SignalSource}); any other signal is watched through `addEventListener`.
 *
 * @example
 * ```ts
 * const stop = onAbort(request, () => socket.destroy());
 * // ... once the response is complete:
 * stop();
 * ```
 */
export function onAbort(request: GatewayRequest, listener: () => void): () => void {
  const source = lazySourceOf(request);
  if (source !== undefined && typeof source !== "function") return source.onAbort(listener);
  const signal = request.signal;
  if (signal.aborted) {
    listener();
    return noop;
  }
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/**
 * `request.signal.aborted`, without making a signal that is not made yet when its source can tell
 * ({@link SignalSource}).
 *
 * @example
 * ```ts
 * if (isAborted(request)) return Promise.reject(request.signal.reason);
 * ```
 */
export function isAborted(request: GatewayRequest): boolean {
  const source = lazySourceOf(request);
  if (source !== undefined && typeof source !== "function") return source.aborted;
  return request.signal.aborted;
}

function noop(): void {}

/** The source of a request's signal while it is still unmade: our accessor, on the request itself. */
function lazySourceOf(request: GatewayRequest): SignalSource | (() => AbortSignal) | undefined {
  const source = (request as { [kSignal]?: SignalSource | (() => AbortSignal) })[kSignal];
  // The slot travels with a user's spread too, next to a plain signal that may be another one:
  // only our own accessor means "not made yet".
  if (source === undefined || Object.getOwnPropertyDescriptor(request, "signal")?.get !== lazySignal.get) {
    return undefined;
  }
  return source;
}
