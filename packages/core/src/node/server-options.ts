import type { ServerOptions } from "node:http";
import type { GatewayApp } from "../types.js";
import { type FusedNodeListener, kMessageClasses } from "./from-node-listener.js";
import { classOptions, type MessageClasses } from "./node-prototypes.js";
import { kNodeListener } from "./to-node-listener.js";

type FusedApp = GatewayApp & { [kNodeListener]?: FusedNodeListener & { [kMessageClasses]?: MessageClasses } };

/**
 * The `http.createServer()` options to serve `app` with, as `serve()` uses them: for the direct
 * product of `fromExpress` (any `fromNodeListener` product given `prototypes`), the server builds
 * its `req`/`res` on the app's own prototypes, so the listener that `toNodeListener(app)` returns
 * finds them in place instead of swapping them per request, which V8 makes costly
 * (`NodePrototypes`). Empty for any other app, or with `fuse: false`, when no listener of the
 * app's own runs on the server's messages.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { toNodeListener, toServerOptions } from "@gangway/core";
 * import { fromExpress } from "@gangway/express";
 * const app = fromExpress(legacy);
 * createServer(toServerOptions(app), toNodeListener(app)).listen(3000);
 * ```
 */
export function toServerOptions(app: GatewayApp, options: { fuse?: boolean } = {}): ServerOptions {
  if (options.fuse === false) return {};
  return classOptions((app as FusedApp)[kNodeListener]?.[kMessageClasses]);
}
