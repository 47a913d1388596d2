import { fromNodeListener, type GatewayApp } from "@gangway/core";
import type { FastifyInstance } from "fastify";
import { fallThrough, routeWith } from "./fall-through.js";
import { type FastifyOrigin, kFastifyOrigin } from "./fuse.js";

/** Options for {@link fromFastify}. */
export interface FromFastifyOptions {
  /**
   * Let `serve()`, `toNodeListener()` and `toFastify()` route the real request through the instance
   * when they are handed this app directly (fusion, rule 35).
   * @default true
   */
  fuse?: boolean;
}

/**
 * Makes a Fastify instance a gateway app. Its routes match as if it were mounted at `basePath`:
 * the instance sees `request.url` = `path` + query and `request.originalUrl` = the whole target.
 * It waits for `ready()` once. A request no route matches is a `pass()` ("not mine", rule 30), not
 * Fastify's 404, so `cascade` can try the next app; a 404 a route sends stays a 404. An error
 * Fastify's default error handler would answer with a 5xx rejects the call (rule 27); 4xx errors
 * and errors a `setErrorHandler` answers are responses.
 *
 * Call it before the instance is ready (before `ready()`, `listen()` or `inject()`): Fastify takes
 * no hooks after, and an instance wrapped later answers unmatched requests with its own 404.
 *
 * The app runs `ready()` as its `startup` hook and `close()` as its `shutdown` hook (rule 31).
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { cascade, serve } from "@gangway/core";
 * import { fromFastify } from "@gangway/fastify";
 * const api = Fastify();
 * api.get("/users/:id", async (request) => ({ id: (request.params as { id: string }).id }));
 * await serve(cascade(fromFastify(api), legacyApp));
 * ```
 */
export function fromFastify(instance: FastifyInstance, options: FromFastifyOptions = {}): GatewayApp {
  const key = fallThrough(instance);
  if (key === undefined) {
    process.emitWarning(
      "fromFastify: the instance is already ready, so it answers unmatched requests with its own 404 instead of pass()",
      { code: "GANGWAY_FASTIFY_READY" },
    );
  }
  let booted = false;
  let booting: Promise<void> | undefined;
  // Every request waits on the same boot; a plugin that failed to load rejects each of them.
  const ready = () =>
    (booting ??= Promise.resolve(instance.ready()).then(() => {
      booted = true;
    }));
  const listener: FastifyOrigin["listener"] = (req, res, next) => {
    const route = () => {
      try {
        routeWith(instance, key, req, res, next);
      } catch (error) {
        next(error);
      }
    };
    if (booted) route();
    else ready().then(route, next);
  };
  const app = fromNodeListener(listener, { fuse: options.fuse });
  const origin: FastifyOrigin = { instance, ready, listener };
  return Object.assign(app, {
    ...(options.fuse === false ? {} : { [kFastifyOrigin]: origin }),
    startup: ready,
    shutdown: () => instance.close(),
  });
}
