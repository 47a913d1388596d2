import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { GatewayApp } from "../types.js";
import { toServerOptions } from "./server-options.js";
import { type NodeListenerOptions, toServerListener } from "./to-node-listener.js";

/** Options for {@link serve}. */
export interface ServeOptions extends NodeListenerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on. Default "127.0.0.1"; use "0.0.0.0" or "::" to accept other machines. */
  host?: string;
  /** Closes the server when it aborts. */
  signal?: AbortSignal;
}

/** A running server from {@link serve}. */
export interface RunningServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  /** The underlying Node server. */
  readonly server: Server;
  /**
   * Stops accepting connections, lets in-flight requests finish, closes idle keep-alive
   * connections, then runs the app's `shutdown` hook (rule 31).
   */
  close(): Promise<void>;
}

/**
 * Serves a gateway app over HTTP. Runs the app's `startup` hook first (rule 31); resolves once the
 * server listens.
 *
 * @example
 * ```ts
 * import { serve, text } from "@gangway/core";
 * const server = await serve(() => text("hello"), { port: 3000 });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 * ```
 */
export async function serve(app: GatewayApp, options: ServeOptions = {}): Promise<RunningServer> {
  const listener = toServerListener(app, options);
  await app.startup?.();
  // A fused Express app puts its own prototypes under every req/res: built on them, the swap is a no-op.
  const server = createServer(toServerOptions(app, options), listener);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, family } = server.address() as AddressInfo;
  const shown = family === "IPv6" || host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve, reject) => {
      options.signal?.removeEventListener("abort", close);
      server.close((error) => (error ? reject(error) : resolve()));
      // Connections idle between keep-alive requests would hold close() open indefinitely.
      server.closeIdleConnections();
    }).then(() => app.shutdown?.());
    return closing;
  };
  if (options.signal?.aborted) await close();
  else options.signal?.addEventListener("abort", close, { once: true });
  return { url: `http://${shown}:${port}`, server, close };
}
