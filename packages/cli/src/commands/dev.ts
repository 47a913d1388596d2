import { type ChildProcess, fork } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Socket } from "node:net";
import { dirname, relative } from "node:path";
import { listenOn } from "../app-server.js";
import type { DevOptions } from "../args.js";
import { cliErrorCatalogue, formatCliError, type SerializedCliError } from "../errors.js";
import { type CommandIo, describeSource, onStopSignals, siblingModule } from "../io.js";
import {
  CHILD_OPTIONS_ENV,
  type ChildMessage,
  type ChildOptions,
  SOCKET_MESSAGE,
  type SupervisorMessage,
} from "../ipc.js";
import { watchSources } from "../watch.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** How long an old child's in-flight requests get after a reload or Ctrl-C. */
const DEV_GRACE_MS = 3000;

interface DevChild {
  readonly process: ChildProcess;
  readonly initial: boolean;
  readonly started: number;
  ready: boolean;
  failure?: SerializedCliError;
}

/**
 * `gangway dev [app]`: a supervisor that owns the listening socket and a child process that runs
 * the app. Each accepted connection is handed to the current child (`child.send(msg, socket)`);
 * when a source file changes a new child loads the app, and only once it is ready do new
 * connections go to it and the old child drain and exit — so the port never closes, and a broken
 * edit leaves an error page rather than a dead port. Requests are logged one line each, the app is
 * wrapped in `validate()` and errors answer with their stack.
 *
 * @example
 * ```ts
 * const code = await devCommand(parsed.options, { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function devCommand(options: DevOptions, io: CommandIo): Promise<number> {
  const childOptions = (initial: boolean): ChildOptions => ({
    app: options.app,
    cwd: io.cwd,
    factory: options.factory,
    verbose: options.verbose,
    port: options.port,
    host: options.host,
    graceMs: DEV_GRACE_MS,
    accessLog: true,
    initial,
  });
  const children = new Set<DevChild>();
  const queue: Socket[] = [];
  let current: DevChild | undefined;
  let next: DevChild | undefined;
  // Why no child is serving, when none is: requests get a 503 saying so.
  let down: string | undefined;
  let stopping = false;
  let exitCode = 0;
  let lastCrash: number | undefined;
  let announced = false;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const fallback = createHttpServer((_req, res) => {
    const body = `gangway dev: the app is not running (${down ?? "starting"}). Save a file to reload.\n`;
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });

  const hand = (child: DevChild, socket: Socket) => {
    child.process.send(SOCKET_MESSAGE, socket, {}, (error) => {
      if (error) socket.destroy();
    });
  };
  const route = (socket: Socket) => {
    if (stopping) socket.destroy();
    else if (current?.ready) hand(current, socket);
    else if (down !== undefined) {
      fallback.emit("connection", socket);
      socket.resume();
    } else queue.push(socket);
  };
  const flush = () => {
    for (const socket of queue.splice(0)) route(socket);
  };
  const send = (child: DevChild, message: SupervisorMessage) => {
    if (child.process.connected) child.process.send(message);
  };

  const listener = createServer({ pauseOnConnect: true }, route);
  const url = await listenOn(listener, options.port, options.host);

  const start = (initial: boolean) => {
    const child: DevChild = {
      process: fork(siblingModule(import.meta.url, "dev-child"), [], {
        env: { ...io.env, [CHILD_OPTIONS_ENV]: JSON.stringify(childOptions(initial)) },
        stdio: "inherit",
      }),
      initial,
      started: performance.now(),
      ready: false,
    };
    children.add(child);
    next = child;
    child.process.on("message", (message: ChildMessage) => onMessage(child, message));
    child.process.once("exit", (code, signal) => onExit(child, code, signal));
  };

  const onMessage = (child: DevChild, message: ChildMessage) => {
    if (message.type === "gangway:failed") child.failure = message.error;
    else if (message.type === "gangway:load-error") {
      io.stderr.write(formatCliError(message.error, { verbose: options.verbose }));
      io.stderr.write("  serving an error page until the next change\n");
    } else if (message.type === "gangway:ready") {
      child.ready = true;
      if (next !== child || stopping) return send(child, { type: "gangway:shutdown" });
      const previous = current;
      current = child;
      next = undefined;
      down = undefined;
      flush();
      if (previous) send(previous, { type: "gangway:shutdown" });
      if (message.file && relative(io.cwd, message.file).startsWith("..")) watcher.add(dirname(message.file));
      if (!announced) {
        announced = true;
        const validated = message.validated ? "validate() on" : "validate() unavailable in this @gangway/core";
        const kind = message.kind ? ` (${message.kind} app)` : "";
        io.stdout.write(
          `gangway dev: ${describeSource(message.label, message.source)}${kind} on ${url}\n` +
            `  development server: reloads on change, ${validated}, stacks shown — use gangway serve in production\n`,
        );
        if (!LOOPBACK.has(options.host)) {
          io.stderr.write(
            `  warning: listening on ${options.host}, so anyone who can reach it sees the error pages and their source paths\n`,
          );
        }
      } else if (message.file) {
        io.stdout.write(`gangway dev: reloaded in ${Math.round(performance.now() - child.started)}ms\n`);
      }
    }
  };

  const onExit = (child: DevChild, code: number | null, signal: NodeJS.Signals | null) => {
    children.delete(child);
    const how = signal ? `on ${signal}` : `with code ${code}`;
    if (stopping) {
      if (children.size === 0) finish(exitCode);
      return;
    }
    if (child === next) {
      next = undefined;
      if (child.initial) {
        // The first load failed: the command fails with its message, as serve does.
        const failure = child.failure ?? {
          code: "GW_CLI_WORKER_FAILED" as const,
          message: `the app process exited ${how} before it was ready`,
          hints: ["the app module may call process.exit() while loading"],
        };
        io.stderr.write(formatCliError(failure, { verbose: options.verbose }));
        return stop(cliErrorCatalogue[failure.code]);
      }
      if (child.failure) io.stderr.write(formatCliError(child.failure, { verbose: options.verbose }));
      io.stderr.write(`gangway dev: the app process exited ${how} before it was ready; waiting for a change\n`);
      if (!current) down = `it exited ${how} while loading`;
      flush();
    } else if (child === current) {
      current = undefined;
      // Restart once; an app that keeps exiting would only exit again, so then wait for an edit.
      const now = performance.now();
      if (lastCrash !== undefined && now - lastCrash < 5000) {
        io.stderr.write(`gangway dev: the app process exited ${how} again; waiting for a change\n`);
        down = `it exited ${how}`;
        flush();
      } else {
        io.stderr.write(`gangway dev: the app process exited ${how}; restarting\n`);
        lastCrash = now;
        start(false);
      }
    }
  };

  const watcher = watchSources(
    (files) => {
      if (stopping) return;
      const shown = files.map((file) => relative(io.cwd, file) || file).slice(0, 3);
      io.stdout.write(`gangway dev: ${shown.join(", ")}${files.length > 3 ? ", ..." : ""} changed, reloading\n`);
      if (next) next.process.kill("SIGKILL");
      lastCrash = undefined;
      start(false);
    },
    { debounceMs: 80 },
  );
  watcher.add(io.cwd);
  for (const path of options.watch) watcher.add(path, { anyFile: true });

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    watcher.close();
    listener.close();
    fallback.closeAllConnections();
    for (const socket of queue.splice(0)) socket.destroy();
    for (const child of children) {
      if (child.ready) send(child, { type: "gangway:shutdown" });
      else child.process.kill("SIGKILL");
    }
    setTimeout(() => {
      for (const child of children) child.process.kill("SIGKILL");
    }, DEV_GRACE_MS + 2000).unref();
    if (children.size === 0) finish(exitCode);
  };
  const offSignals = onStopSignals((count) => {
    if (count === 1) return stop(0);
    for (const child of children) send(child, { type: "gangway:cut" });
  });

  start(true);
  const code = await finished;
  offSignals();
  return code;
}
