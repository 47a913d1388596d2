/**
 * A `gangway serve --workers N` worker: started by the cluster primary, it loads and starts the
 * app, listens on the primary's shared socket, reports ready (or why it failed), and drains on
 * the primary's shutdown message or its own SIGTERM. SIGINT is left to the primary: a terminal's
 * Ctrl-C reaches every process of the group, and the primary decides.
 */
import { type AppServer, createAppServer, runStartup } from "../app-server.js";
import { cliErrorCatalogue, toSerializedError } from "../errors.js";
import type { CommandIo } from "../io.js";
import { readChildOptions, type SupervisorMessage, sendToSupervisor } from "../ipc.js";
import { loadNamedApp } from "../load-app.js";
import { useColor } from "../log.js";
import { productionErrorHandler } from "./serve.js";

const options = readChildOptions(process.env);
const io: CommandIo = { cwd: options.cwd, env: process.env, stdout: process.stdout, stderr: process.stderr };
let appServer: AppServer | undefined;
let released: (() => void) | undefined;

/**
 * Resolves once the primary has seen this worker close its listener. Until then the primary may
 * still hand it connections (node:cluster's round-robin sends a socket and waits for the worker
 * to accept it or send it back); a worker that exits in that window loses the socket and its
 * client hangs. IPC is ordered, so once the primary's answer arrives, every socket sent before
 * it has arrived too — and been sent back to another worker.
 */
function release(): Promise<void> {
  if (!process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    released = resolve;
    void sendToSupervisor({ type: "gangway:releasing" });
  });
}

let stopping = false;
const stop = () => {
  if (appServer === undefined) process.exit(0);
  if (stopping) return;
  stopping = true;
  // drain() closes the listener synchronously, before the release request goes out.
  Promise.all([appServer.drain(options.graceMs), release()]).then(
    () => process.exit(0),
    (error: unknown) => {
      io.stderr.write(`gangway serve: the app's shutdown hook failed in worker ${process.pid}: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on("SIGINT", () => {});
process.on("SIGTERM", stop);
process.on("message", (message: SupervisorMessage) => {
  if (message.type === "gangway:shutdown") stop();
  else if (message.type === "gangway:cut") appServer?.cut();
  else if (message.type === "gangway:released") released?.();
});

try {
  const { reference, loaded } = await loadNamedApp(options.app, { cwd: io.cwd, env: io.env, factory: options.factory });
  await runStartup(loaded.app);
  const server = createAppServer(loaded.app, {
    onError: productionErrorHandler(io.stderr),
    accessLog: options.accessLog ? (line) => io.stdout.write(`${line}\n`) : undefined,
    color: useColor(process.stdout, process.env),
  });
  let url: string;
  try {
    url = await server.listen(options.port, options.host);
  } catch (error) {
    await loaded.app.shutdown?.();
    throw error;
  }
  appServer = server;
  await sendToSupervisor({
    type: "gangway:ready",
    url,
    label: reference.label,
    source: reference.source,
    file: reference.file,
    kind: loaded.kind,
  });
} catch (error) {
  const serialized = toSerializedError(error, "GW_CLI_WORKER_FAILED");
  await sendToSupervisor({ type: "gangway:failed", error: serialized });
  process.exit(cliErrorCatalogue[serialized.code]);
}
