import { describe } from "./body-reader.js";
import { GatewayError } from "./errors.js";
import type { GatewayApp, LifecycleHooks, Middleware } from "./types.js";

/**
 * Chains middleware into one (rule 28): `compose(a, b, c)(app)` is `a(b(c(app)))`, so the first
 * is outermost — it sees the request first and the response last. `compose()` is the identity.
 * A non-function argument is a `TypeError` now, naming its index, not a crash on the first request.
 *
 * @example
 * ```ts
 * import { compose, serve } from "@gangway/core";
 * const stack = compose(requestLog, auth({ realm: "admin" }), poweredBy);
 * await serve(stack(app));
 * ```
 */
export function compose(...middleware: Middleware[]): Middleware {
  middleware.forEach((entry, index) => {
    if (typeof entry !== "function") {
      throw new TypeError(`compose: middleware at index ${index} is ${describe(entry)}, not a function`);
    }
  });
  // Copied: a caller that later changes its array must not change the stack.
  const stack = [...middleware];
  return (app) => {
    if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `compose got ${describe(app)}`);
    let wrapped = app;
    for (let i = stack.length - 1; i >= 0; i--) wrapped = stack[i]!(wrapped);
    if (typeof wrapped !== "function") {
      throw new GatewayError("GW_ERR_INVALID_APP", `a composed middleware returned ${describe(wrapped)}`);
    }
    return carryHooks(wrapped, app);
  };
}

/**
 * Middleware SHOULD carry over the lifecycle hooks of the app it wraps (rule 28); one that does not
 * would silently drop a database pool's `startup`. So when the stack's product lacks a hook the
 * inner app has, it is wrapped in a function that has it. A product that has its hooks (or an app
 * without any) is returned as it is, so fusion markers on it survive.
 */
function carryHooks(outer: GatewayApp, inner: GatewayApp): GatewayApp {
  const startup = outer.startup ?? inner.startup;
  const shutdown = outer.shutdown ?? inner.shutdown;
  if (startup === outer.startup && shutdown === outer.shutdown) return outer;
  const carried: GatewayApp = (request) => outer(request);
  if (startup) carried.startup = startup;
  if (shutdown) carried.shutdown = shutdown;
  return carried;
}

/**
 * Gives `app` (a function its caller just created) the lifecycle hooks of the apps it contains
 * (rule 31): `startup` runs each distinct hook once, in order of appearance; `shutdown` runs them
 * in reverse. When a `startup` fails, the apps already started are shut down before the error
 * propagates. Apps without hooks give `app` none, so servers skip it. Used by `mount` and `cascade`.
 *
 * @example
 * ```ts
 * const combined = withLifecycle((request) => first(request), [first, second]);
 * await combined.startup?.(); // first.startup, then second.startup
 * ```
 */
export function withLifecycle(app: GatewayApp, parts: readonly GatewayApp[]): GatewayApp {
  const entries: LifecycleHooks[] = [];
  const seenStartup = new Set<unknown>();
  const seenShutdown = new Set<unknown>();
  for (const part of parts) {
    // The same app mounted twice, or two apps sharing one hook, still starts once.
    const startup = part.startup && !seenStartup.has(part.startup) ? part.startup : undefined;
    const shutdown = part.shutdown && !seenShutdown.has(part.shutdown) ? part.shutdown : undefined;
    seenStartup.add(startup);
    seenShutdown.add(shutdown);
    if (startup || shutdown) entries.push({ startup, shutdown });
  }
  if (entries.length === 0) return app;
  const shutDown = async (started: readonly LifecycleHooks[], failure?: unknown) => {
    let first: unknown = failure;
    for (const entry of [...started].reverse()) {
      try {
        await entry.shutdown?.();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== undefined) throw first;
  };
  if (entries.some((entry) => entry.startup)) {
    app.startup = async () => {
      const started: LifecycleHooks[] = [];
      for (const entry of entries) {
        try {
          await entry.startup?.();
        } catch (error) {
          await shutDown(started, error);
        }
        started.push(entry);
      }
    };
  }
  if (entries.some((entry) => entry.shutdown)) app.shutdown = () => shutDown(entries);
  return app;
}
