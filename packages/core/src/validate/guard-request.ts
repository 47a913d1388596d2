import { isBodyUsed } from "../request-body.js";
import type { GatewayRequest, IncomingHeaders } from "../types.js";
import type { Reporter } from "./report.js";
import { LintedRequestBody } from "./wrap-body.js";

/** The request an app behind `validate()` receives, and the read-once body inside it. */
export interface LintedRequest {
  request: GatewayRequest;
  body: LintedRequestBody | null;
}

/**
 * Derives the request handed inward (rule 13): a new object, never the caller's, whose body is a
 * {@link LintedRequestBody} and whose fields, `headers` and `env` report `GW_LINT_REQUEST_MUTATED`
 * on any write. Proxies rather than `Object.freeze`: a frozen object fails with a bare TypeError
 * that names no rule, and `headers` may be Node's own object, which is not ours to freeze. At level
 * "warn" the write goes through after the report, as it would without `validate()`.
 */
export function toLintedRequest(request: GatewayRequest, reporter: Reporter): LintedRequest {
  const { body: original, headers, env, signal } = request;
  const body =
    original !== null && typeof original?.[Symbol.asyncIterator] === "function" && !isBodyUsed(original)
      ? new LintedRequestBody(original, declaredLength(headers), signal, reporter)
      : null;
  const derived: GatewayRequest = {
    ...request,
    body: body ?? original,
    headers: guard(headers, "request.headers", reporter),
    env: guard(env, "request.env", reporter),
  };
  return { request: guard(derived, "request", reporter), body };
}

/** The content-length a request body must match, when it is framed by one. */
function declaredLength(headers: IncomingHeaders | undefined): number | undefined {
  if (typeof headers !== "object" || headers === null || headers["transfer-encoding"] !== undefined) return undefined;
  const length = headers["content-length"];
  return typeof length === "string" && /^\d+$/.test(length) ? Number(length) : undefined;
}

function guard<T>(target: T, name: string, reporter: Reporter): T {
  if (typeof target !== "object" || target === null) return target;
  const mutated = (what: string) =>
    reporter.report("GW_LINT_REQUEST_MUTATED", `the app ${what}: derive a new request ({ ...request, ... }) instead`);
  const at = (key: string | symbol) =>
    typeof key === "string" ? `${name}[${JSON.stringify(key)}]` : `${name}[${String(key)}]`;
  return new Proxy(target, {
    set(object, key, value) {
      mutated(`assigned ${at(key)}`);
      return Reflect.set(object, key, value);
    },
    defineProperty(object, key, descriptor) {
      mutated(`defined ${at(key)}`);
      return Reflect.defineProperty(object, key, descriptor);
    },
    deleteProperty(object, key) {
      mutated(`deleted ${at(key)}`);
      return Reflect.deleteProperty(object, key);
    },
    setPrototypeOf(object, prototype) {
      mutated(`changed the prototype of ${name}`);
      return Reflect.setPrototypeOf(object, prototype);
    },
  });
}
