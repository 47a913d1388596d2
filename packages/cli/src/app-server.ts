import { createServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import {
  type GatewayApp,
  type LifecycleHooks,
  type NodeListenerOptions,
  toNodeListener,
  toServerOptions,
} from "@gangway/core";
import { CliError, messageOf } from "./errors.js";
import { withAccessLog } from "./log.js";

/** Options for {@link createAppServer}. */
export interface AppServerOptions {
  /** Observes app errors and may answer them (see `toNodeListener`). */
  onError: NonNullable<NodeListenerOptions["onError"]>;
  /** Writes one line per request; leave out for no access log. */
  accessLog?: ((line: string) => void) | undefined;
  /** Colour the access log. */
  color?: boolean;
  /** Whose `shutdown` hook a drain runs; default the app's own (a wrapper may not carry hooks). */
  hooks?: LifecycleHooks;
}

/** A Node server for one app, with the lifecycle the CLI needs. */
export interface AppServer {
  readonly server: Server;
  /** Listens on `host:port` and resolves to the URL actually bound. */
  listen(port: number, host: string): Promise<string>;
  /**
   * Graceful stop: stop accepting, let in-flight requests finish (new requests on kept-alive
   * connections get `connection: close`), close idle connections as they appear, cut whatever is
   * left after `graceMs`, then run the app's `shutdown` hook (rule 31). Runs once.
   */
  drain(graceMs: number): Promise<void>;
  /** Cuts every connection now, ending a `drain` that is still waiting. */
  cut(): void;
}

/**
 * Runs an app's `startup` hook (rule 31), turning a failure into a {@link CliError} so the
 * process exits non-zero without listening.
 *
 * @example
 * ```ts
 * await runStartup(app);
 * await appServer.listen(8000, "127.0.0.1");
 * ```
 */
export async function runStartup(app: GatewayApp): Promise<void> {
  try {
    await app.startup?.();
  } catch (error) {
    throw new CliError("GW_CLI_STARTUP_FAILED", `the app's startup hook failed: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Makes the Node server for an app: `toNodeListener` with the given error handler, an optional
 * access log, connection tracking for a graceful drain.
 *
 * @example
 * ```ts
 * const appServer = createAppServer(app, { onError: (error) => void console.error(error) });
 * const url = await appServer.listen(8000, "127.0.0.1");
 * process.once("SIGTERM", () => void appServer.drain(30_000).then(() => process.exit(0)));
 * ```
 */
export function createAppServer(app: GatewayApp, options: AppServerOptions): AppServer {
  const listener = toNodeListener(app, { onError: options.onError });
  let draining = false;
  const logged = options.accessLog
    ? withAccessLog(listener, options.accessLog, { color: options.color ?? false })
    : listener;
  // Built on a fused Express app's own prototypes, as serve() builds them (core's toServerOptions).
  const server = createServer(toServerOptions(app), (req, res) => {
    // A request that arrives on a kept-alive connection while draining is the last on it.
    if (draining) res.setHeader("connection", "close");
    logged(req, res);
  });
  const connections = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
  });

  let drained: Promise<void> | undefined;
  const drain = (graceMs: number) => {
    drained ??= (async () => {
      draining = true;
      if (server.listening) server.close();
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          // Each response that finishes leaves an idle connection behind: close it promptly.
          server.closeIdleConnections();
          if (connections.size === 0) finish();
        }, 25);
        const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
        const finish = () => {
          clearInterval(poll);
          clearTimeout(deadline);
          resolve();
        };
        server.closeIdleConnections();
        if (connections.size === 0) finish();
      });
      await (options.hooks ?? app).shutdown?.();
    })();
    return drained;
  };

  return {
    server,
    listen: (port, host) => listenOn(server, port, host),
    drain,
    cut: () => server.closeAllConnections(),
  };
}

/**
 * Listens on `host:port` and resolves to the URL bound; "address in use" and "permission denied"
 * become {@link CliError}s that say so.
 *
 * @example
 * ```ts
 * const url = await listenOn(net.createServer(), 3000, "127.0.0.1"); // "http://127.0.0.1:3000"
 * ```
 */
export function listenOn(server: NetServer, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      const message =
        error.code === "EADDRINUSE"
          ? `${where} is already in use`
          : error.code === "EACCES"
            ? `no permission to listen on ${where}`
            : `cannot listen on ${where}: ${error.message}`;
      const hints = error.code === "EADDRINUSE" ? ["stop the other server, or pick another port with --port"] : [];
      reject(new CliError("GW_CLI_LISTEN_FAILED", message, { hints }));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address() as AddressInfo;
      const shown = address.family === "IPv6" || host.includes(":") ? `[${host}]` : host;
      resolve(`http://${shown}:${address.port}`);
    });
  });
}
