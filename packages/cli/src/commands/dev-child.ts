/**
 * A `gangway dev` child: one per load of the app. The supervisor keeps the listening socket and
 * hands this process each accepted connection; a reload is a new child, so every load starts from
 * a fresh module cache. The first child of a run exits on a load error (the command fails with
 * its message); a later one serves an error page instead, until the next change replaces it.
 */
import type { Socket } from "node:net";
import type { GatewayApp, GatewayRequest } from "@gangway/core";
import * as core from "@gangway/core";
import type { AppKind } from "../app-kind.js";
import { type AppServer, createAppServer, runStartup } from "../app-server.js";
import { renderErrorPage, toErrorPage } from "../error-page.js";
import { cliErrorCatalogue, formatCliError, toSerializedError } from "../errors.js";
import { readChildOptions, SOCKET_MESSAGE, type SupervisorMessage, sendToSupervisor } from "../ipc.js";
import { loadNamedApp } from "../load-app.js";
import { useColor } from "../log.js";

const options = readChildOptions(process.env);
let appServer: AppServer | undefined;
const early: Socket[] = [];

// Ctrl-C reaches the whole process group; the supervisor decides when this child stops. If the
// supervisor itself dies, the IPC channel closes and the child goes with it.
process.on("SIGINT", () => {});
process.on("disconnect", () => process.exit(0));
process.on("message", (message: SupervisorMessage | string, handle: unknown) => {
  if (message === SOCKET_MESSAGE && handle) {
    if (appServer) appServer.server.emit("connection", handle);
    else early.push(handle as Socket);
  } else if (typeof message === "object" && message.type === "gangway:shutdown") {
    void (appServer?.drain(options.graceMs) ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`gangway dev: the app's shutdown hook failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  } else if (typeof message === "object" && message.type === "gangway:cut") appServer?.cut();
});

let served: GatewayApp;
let hooks: GatewayApp | undefined;
let info: { label: string; source: string; file: string | undefined; kind: AppKind | undefined; validated: boolean };
try {
  const { reference, loaded } = await loadNamedApp(options.app, {
    cwd: options.cwd,
    env: process.env,
    factory: options.factory,
  });
  await runStartup(loaded.app);
  const validate = (core as Record<string, unknown>).validate;
  served = typeof validate === "function" ? (validate(loaded.app) as GatewayApp) : loaded.app;
  hooks = loaded.app;
  info = {
    label: reference.label,
    source: reference.source,
    file: reference.file,
    kind: loaded.kind,
    validated: typeof validate === "function",
  };
} catch (error) {
  const serialized = toSerializedError(error, "GW_CLI_WORKER_FAILED");
  if (options.initial) {
    await sendToSupervisor({ type: "gangway:failed", error: serialized });
    process.exit(cliErrorCatalogue[serialized.code]);
  }
  await sendToSupervisor({ type: "gangway:load-error", error: serialized });
  const page = () =>
    renderErrorPage(500, "the app could not be loaded", [formatCliError(serialized, { verbose: true })]);
  served = page;
  info = { label: options.app ?? "the app", source: "argument", file: undefined, kind: undefined, validated: false };
}

appServer = createAppServer(served, {
  onError: (error: unknown, request: GatewayRequest | undefined) => {
    const where = request ? ` in ${request.method} ${request.basePath}${request.path}` : "";
    process.stderr.write(
      `gangway dev: error${where}: ${error instanceof Error && error.stack ? error.stack : String(error)}\n`,
    );
    return toErrorPage(error, request);
  },
  accessLog: (line) => process.stdout.write(`${line}\n`),
  color: useColor(process.stdout, process.env),
  ...(hooks ? { hooks } : {}),
});
for (const socket of early.splice(0)) appServer.server.emit("connection", socket);
await sendToSupervisor({ type: "gangway:ready", url: undefined, ...info });
