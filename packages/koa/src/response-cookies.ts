import type { OutgoingHttpHeader } from "node:http";
import type { Response as KoaResponse } from "koa";

type BodyAccessor = { get: () => unknown; set: (value: unknown) => void };
// One descriptor per response prototype (null: the prototype has no `body` accessor), so each
// request's defineProperty installs the same getter and setter: V8 then keeps every response on
// one hidden class, where a setter made per request would give each its own (and cost a closure).
const descriptors = new WeakMap<object, PropertyDescriptor | null>();

/**
 * Koa 3 copies the headers of a Fetch `Response` body with `headers.get()`, which folds every
 * `set-cookie` into one comma-joined line, and with `set()`, which replaces the cookies the app
 * set before. This keeps them apart (rule 15): the `Response`'s cookies come from
 * `getSetCookie()` and are appended to the earlier ones; its `statusText` becomes `ctx.message`.
 *
 * @example
 * ```ts
 * const ctx = koa.createContext(req, res);
 * keepResponseCookies(ctx.response);
 * ```
 */
export function keepResponseCookies(response: KoaResponse): void {
  const descriptor = bodyDescriptor(response);
  if (descriptor !== null) Object.defineProperty(response, "body", descriptor);
}

/** The `body` accessor that keeps cookies apart, made once per response prototype. */
function bodyDescriptor(response: object): PropertyDescriptor | null {
  const proto = Object.getPrototypeOf(response) as object | null;
  if (proto === null) return null;
  const known = descriptors.get(proto);
  if (known !== undefined) return known;
  const accessor = bodyAccessor(proto);
  const descriptor: PropertyDescriptor | null =
    accessor === undefined
      ? null
      : {
          configurable: true,
          enumerable: true,
          get: accessor.get,
          set(this: KoaResponse, value: unknown) {
            if (!isFetchResponse(value)) {
              accessor.set.call(this, value);
              return;
            }
            const earlier = this.res.getHeader("set-cookie");
            accessor.set.call(this, value);
            const cookies = value.headers.getSetCookie();
            if (cookies.length > 0) this.res.setHeader("set-cookie", [...toList(earlier), ...cookies]);
            if (value.statusText !== "") this.message = value.statusText;
          },
        };
  descriptors.set(proto, descriptor);
  return descriptor;
}

/**
 * Whether `value` is a Fetch `Response`, checked without touching the global for strings, bytes and
 * streams: Node loads its Fetch implementation on the first access, tens of milliseconds.
 */
function isFetchResponse(value: unknown): value is Response {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return false;
  if (typeof (value as { pipe?: unknown }).pipe === "function") return false;
  return value instanceof Response;
}

/** Koa's own `body` accessor, found on the prototype chain from `proto`. */
function bodyAccessor(proto: object): BodyAccessor | undefined {
  for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p)) {
    const descriptor = Object.getOwnPropertyDescriptor(p, "body");
    if (descriptor?.get && descriptor.set) return { get: descriptor.get, set: descriptor.set };
  }
  return undefined;
}

function toList(value: OutgoingHttpHeader | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}
