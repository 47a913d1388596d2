/**
 * One scenario's server, in a process of its own: `node bench/server.mjs <scenario>`. Listens on
 * 127.0.0.1, port 0, and prints `{"port":…,"pid":…}` on stdout — or `{"skipped":"<reason>"}` when
 * the scenario cannot be built (a package missing or failing to load) — then serves until SIGTERM.
 */
import { findScenario, toServer } from "./scenarios.mjs";

const HOST = "127.0.0.1";
const name = process.argv[2];

// Exiting through process.exit lets `node --cpu-prof` write its profile.
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));

const scenario = findScenario(name);
if (scenario === undefined) {
  console.log(JSON.stringify({ skipped: `no scenario named ${JSON.stringify(name)}` }));
  process.exit(2);
}

let server;
try {
  server = toServer(await scenario.build({ host: HOST }));
} catch (error) {
  console.log(JSON.stringify({ skipped: reasonOf(error) }));
  process.exit(3);
}
if (!server.listening) {
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, resolve);
  });
}
// Pipelined load opens many connections at once; keep-alive for the whole run.
server.keepAliveTimeout = 60_000;
console.log(JSON.stringify({ port: server.address().port, pid: process.pid }));

function reasonOf(error) {
  const message = error instanceof Error ? error.message : String(error);
  // A package that is not built shows up as a module-not-found naming its dist/ entry.
  const unbuilt = /node_modules\/((?:@[^/]+\/)?[^/]+)\/dist\//.exec(message);
  if (error?.code === "ERR_MODULE_NOT_FOUND" && unbuilt) return `${unbuilt[1]} is not built (run pnpm build)`;
  return `${error?.code ? `${error.code}: ` : ""}${message.split("\n")[0]}`;
}
