import cluster, { type Worker } from "node:cluster";
import { GatewayError, type GatewayRequest } from "@gangway/core";
import { type AppServer, createAppServer, runStartup } from "../app-server.js";
import type { ServeOptions } from "../args.js";
import { toProductionError } from "../error-page.js";
import { cliErrorCatalogue, formatCliError, type SerializedCliError } from "../errors.js";
import { type CommandIo, describeSource, onStopSignals, siblingModule } from "../io.js";
import { CHILD_OPTIONS_ENV, type ChildMessage, type ChildOptions, type SupervisorMessage } from "../ipc.js";
import { loadNamedApp } from "../load-app.js";
import { useColor } from "../log.js";

/**
 * `gangway serve [app]`: production serving. With one worker (the default) the app runs in this
 * process; with more, this process is a `node:cluster` primary that holds the listening socket,
 * forks the workers, replaces any that dies once serving, and halts the whole command if one fails
 * to load or start (re-forking a broken app forever helps no one — gunicorn halts too). SIGTERM or
 * SIGINT stops gracefully: no new connections, in-flight requests get `--grace` seconds, the app's
 * `shutdown` hook runs, exit 0. A second signal cuts the remaining connections.
 *
 * @example
 * ```ts
 * const code = await serveCommand(parsed.options, { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function serveCommand(options: ServeOptions, io: CommandIo): Promise<number> {
  if (options.workers > 1) return servePrimary(options, io);
  const { reference, loaded } = await loadNamedApp(options.app, { cwd: io.cwd, env: io.env, factory: options.factory });
  await runStartup(loaded.app);
  const appServer = createAppServer(loaded.app, {
    onError: productionErrorHandler(io.stderr),
    accessLog: options.log ? (line) => io.stdout.write(`${line}\n`) : undefined,
    color: useColor(io.stdout, io.env),
  });
  let url: string;
  try {
    url = await appServer.listen(options.port, options.host);
  } catch (error) {
    await loaded.app.shutdown?.();
    throw error;
  }
  io.stdout.write(
    `gangway serve: ${describeSource(reference.label, reference.source)} (${loaded.kind} app) listening on ${url} (pid ${process.pid})\n`,
  );
  return stopOnSignal(appServer, options.grace, io);
}

/**
 * The error handler of production serving: log the error with its stack to stderr (client
 * errors and disconnects excepted), answer without one.
 *
 * @example
 * ```ts
 * createAppServer(app, { onError: productionErrorHandler(process.stderr) });
 * ```
 */
export function productionErrorHandler(stderr: CommandIo["stderr"]) {
  return (error: unknown, request: GatewayRequest | undefined) => {
    if (!(GatewayError.is(error) && error.status < 500)) {
      const where = request ? ` in ${request.method} ${request.basePath}${request.path}` : "";
      stderr.write(
        `gangway serve: error${where}: ${error instanceof Error && error.stack ? error.stack : String(error)}\n`,
      );
    }
    return toProductionError(error);
  };
}

/**
 * Drains `appServer` on the first SIGTERM/SIGINT and cuts what is left on the second; resolves to
 * the exit code: 0, or 1 if the app's `shutdown` hook failed.
 */
function stopOnSignal(appServer: AppServer, graceSeconds: number, io: CommandIo): Promise<number> {
  return new Promise((resolve) => {
    const off = onStopSignals((count, signal) => {
      if (count > 1) return appServer.cut();
      // drain() stops accepting before it returns, so whoever reads this line finds the port closed.
      const drained = appServer.drain(graceSeconds * 1000);
      io.stdout.write(`gangway serve: ${signal}, finishing in-flight requests (up to ${graceSeconds}s)\n`);
      drained.then(
        () => {
          off();
          resolve(0);
        },
        (error: unknown) => {
          io.stderr.write(`gangway serve: the app's shutdown hook failed: ${String(error)}\n`);
          off();
          resolve(1);
        },
      );
    });
  });
}

function servePrimary(options: ServeOptions, io: CommandIo): Promise<number> {
  const childOptions: ChildOptions = {
    app: options.app,
    cwd: io.cwd,
    factory: options.factory,
    verbose: options.verbose,
    port: options.port,
    host: options.host,
    graceMs: options.grace * 1000,
    accessLog: options.log,
    initial: true,
  };
  cluster.setupPrimary({ exec: siblingModule(import.meta.url, "serve-worker"), args: [] });
  const workerEnv = { ...io.env, [CHILD_OPTIONS_ENV]: JSON.stringify(childOptions) };

  return new Promise((resolve) => {
    const ready = new Set<number>();
    const failures = new Map<number, SerializedCliError>();
    let announced = false;
    let stopping = false;
    let exitCode = 0;
    let forceTimer: NodeJS.Timeout | undefined;

    // cluster.workers keeps an exited worker until its IPC channel's disconnect is processed too.
    const live = () =>
      Object.values(cluster.workers ?? {}).filter(
        (worker): worker is Worker => worker !== undefined && !worker.isDead(),
      );
    const send = (worker: Worker, message: SupervisorMessage) => {
      if (worker.isConnected()) worker.send(message);
    };

    const fork = () => {
      const worker = cluster.fork(workerEnv);
      worker.on("message", (message: ChildMessage) => {
        if (message.type === "gangway:ready") {
          ready.add(worker.id);
          if (!announced && ready.size >= options.workers) {
            announced = true;
            io.stdout.write(
              `gangway serve: ${describeSource(message.label, message.source)} (${message.kind} app) listening on ${message.url} (${options.workers} workers, primary pid ${process.pid})\n`,
            );
          }
          // A stop that came while this worker was loading: it missed the broadcast.
          if (stopping) send(worker, { type: "gangway:shutdown" });
        } else if (message.type === "gangway:releasing") {
          send(worker, { type: "gangway:released" });
        } else if (message.type === "gangway:failed") {
          failures.set(worker.id, message.error);
          halt(message.error);
        }
      });
      return worker;
    };

    // A worker that fails to load or start brings the command down instead of being re-forked.
    const halt = (error: SerializedCliError) => {
      if (stopping) return;
      stopping = true;
      exitCode = cliErrorCatalogue[error.code];
      io.stderr.write(formatCliError(error, { verbose: options.verbose }));
      for (const worker of live()) worker.process.kill("SIGTERM");
      forceTimer = setTimeout(() => killAll("SIGKILL"), 5000);
      if (live().length === 0) finish();
    };

    const killAll = (signal: NodeJS.Signals) => {
      for (const worker of live()) worker.process.kill(signal);
    };

    const onExit = (worker: Worker, code: number | null, signal: string | null) => {
      const wasReady = ready.delete(worker.id);
      const how = signal ? `on ${signal}` : `with code ${code}`;
      if (stopping) {
        if (!failures.has(worker.id) && code !== 0 && code !== null && exitCode === 0) exitCode = 1;
        if (live().length === 0) finish();
        return;
      }
      if (!wasReady) {
        halt(
          failures.get(worker.id) ?? {
            code: "GW_CLI_WORKER_FAILED",
            message: `a worker exited ${how} before it was ready`,
            hints: ["the app module may call process.exit() while loading; run with --workers 1 to see it directly"],
          },
        );
        return;
      }
      io.stderr.write(`gangway serve: worker ${worker.process.pid} exited ${how}; starting a new one\n`);
      fork();
    };

    const offSignals = onStopSignals((count, signal) => {
      if (count > 1) {
        for (const worker of live()) send(worker, { type: "gangway:cut" });
        return;
      }
      if (stopping) return;
      stopping = true;
      io.stdout.write(`gangway serve: ${signal}, finishing in-flight requests (up to ${options.grace}s)\n`);
      for (const worker of live()) send(worker, { type: "gangway:shutdown" });
      // Workers cut their own connections at the grace deadline; this only catches a hung one.
      forceTimer = setTimeout(() => killAll("SIGKILL"), options.grace * 1000 + 5000);
      if (live().length === 0) finish();
    });

    const finish = () => {
      clearTimeout(forceTimer);
      offSignals();
      cluster.off("exit", onExit);
      resolve(exitCode);
    };

    cluster.on("exit", onExit);
    for (let i = 0; i < options.workers; i++) fork();
  });
}
