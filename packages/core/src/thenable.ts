/**
 * Whether a value is a promise or another thenable: what an app or a listener returned when it
 * answers later. Paths that answer a synchronous result in the same turn ask this first, since an
 * `await` on a plain value still costs a microtask turn per request.
 *
 * @example
 * ```ts
 * const result = app(request);
 * if (isThenable(result)) return result.then(send);
 * send(result);
 * ```
 */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as PromiseLike<T>).then === "function";
}
