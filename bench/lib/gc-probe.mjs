/**
 * One server variant measured over a fixed request count, with V8's GC trace on: the server's CPU
 * per request and what the young-generation collections (scavenges) did meanwhile. The probe
 * scripts (`prototype-swap.mjs`, `koa-respond.mjs`) run each variant through it, so their figures
 * are taken the same way: the bench's young generation (16 MiB semi-spaces), the server and the
 * load pinned apart, a third of the count as warm-up before the measured requests.
 *
 * A variant's process is the probe script itself, started with `--serve <name>`; it calls
 * {@link serveVariant} with its server.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { BYTES_TYPE } from "../apps/payload.mjs";
import { cpuMicros } from "./proc.mjs";
import { pinning } from "./processes.mjs";

/**
 * The variant side: listens on 127.0.0.1, port 0, prints `{port, pid}`, and prints `MEASURE` when
 * the parent says the warm-up is over, so the parent knows where the warm-up's GC lines end.
 */
export async function serveVariant(server) {
  if (!server.listening) {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
  }
  server.keepAliveTimeout = 60_000;
  process.on("SIGTERM", () => process.exit(0));
  process.stdin.on("data", () => console.log("MEASURE"));
  console.log(JSON.stringify({ port: server.address().port, pid: process.pid }));
}

/**
 * Starts `script --serve <name>`, puts `amount / 3` requests of `load` (one of the bench's
 * workloads, `lib/workloads.mjs`) on it as warm-up, then `amount` measured ones. Returns the
 * server's CPU µs per request and, over the measured requests, the scavenges, the MiB that survived
 * them, their pause per request, and the mark-compacts.
 */
export async function measureVariant(script, name, { amount, load }) {
  const args = [
    "--trace-gc-nvp",
    "--min-semi-space-size=16",
    "--max-semi-space-size=16",
    fileURLToPath(script),
    "--serve",
    name,
  ];
  const [command, argv] =
    pinning === undefined ? [process.execPath, args] : ["taskset", ["-c", pinning.server, process.execPath, ...args]];
  const child = spawn(command, argv, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  let address;
  let measuring = false;
  const gcLines = [];
  await new Promise((resolve) => {
    lines.on("line", (line) => {
      if (line.startsWith("{")) {
        address = JSON.parse(line);
        resolve();
      } else if (line === "MEASURE") measuring = true;
      else if (measuring && line.includes("gc=")) gcLines.push(line);
    });
  });
  const url = `http://127.0.0.1:${address.port}${load.path}`;
  await hammer(url, load, Math.round(amount / 3));
  child.stdin.write("\n");
  await new Promise((resolve) => setTimeout(resolve, 100));
  const before = cpuMicros(address.pid);
  await hammer(url, load, amount);
  const cpu = (cpuMicros(address.pid) - before) / amount;
  await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill("SIGTERM");
  await once(child, "exit");
  const field = (line, key) => Number(new RegExp(`(?:^|\\s)${key}=([^ ]+)`).exec(line)?.[1] ?? 0);
  const scavenges = gcLines.filter((line) => / gc=s /.test(` ${line} `));
  return {
    cpu,
    scavenges: scavenges.length,
    survivedMB: scavenges.reduce((sum, line) => sum + field(line, "new_space_survived"), 0) / 2 ** 20,
    pausePerRequest: (scavenges.reduce((sum, line) => sum + field(line, "pause"), 0) * 1000) / amount,
    markCompacts: gcLines.filter((line) => / gc=mc /.test(` ${line} `)).length,
  };
}

/** Prints where the server and the load run, for the head of a probe's report. */
export function describePinning() {
  if (pinning !== undefined) console.log(`Pinning: servers on core ${pinning.server}, load on core ${pinning.load}.`);
}

async function hammer(url, load, amount) {
  // autocannon in a process of its own, on the load core, so the server's core is its alone.
  const { method, connections, pipelining, bodySize } = load;
  const options = { method, connections, pipelining };
  const body = bodySize === undefined ? "" : `body: Buffer.alloc(${bodySize}, 120), `;
  const headers = bodySize === undefined ? "" : `headers: { "content-type": ${JSON.stringify(BYTES_TYPE)} }, `;
  const script =
    `import("autocannon").then(({ default: a }) => a({ url: ${JSON.stringify(url)}, ${body}${headers}` +
    `...${JSON.stringify(options)}, amount: ${amount} }))`;
  const args = ["--input-type=module", "-e", script];
  const [command, argv] =
    pinning === undefined ? [process.execPath, args] : ["taskset", ["-c", pinning.load, process.execPath, ...args]];
  const child = spawn(command, argv, { stdio: "ignore", cwd: fileURLToPath(new URL("..", import.meta.url)) });
  await once(child, "exit");
}
