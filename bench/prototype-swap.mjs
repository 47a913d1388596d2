/**
 * What changing the prototype of `req`/`res` after node:http built them costs, as Express does on
 * every request (`Object.setPrototypeOf(req, app.request)` in `app.handle`).
 *
 *   node bench/prototype-swap.mjs [--amount 60000]
 *
 * Four servers answer the same hello, each in its own process with V8's GC trace on and the bench's
 * young generation (16 MiB semi-spaces): raw node:http; raw node:http that swaps both prototypes per
 * request to objects over node:http's own; the bench's native Express app; and that app through
 * `serve(fromExpress(app))`, which builds `req`/`res` on `app.request`/`app.response` so that
 * Express's swap finds them in place. For each it prints the server's CPU per hello and what the
 * young-generation collections (scavenges) did over the measured requests: how many ran, how much
 * survived them, and their pause per hello. A message whose prototype changed survives scavenges
 * with all it reaches (docs/performance.md, seventh round).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuMicros } from "./lib/proc.mjs";
import { pinning } from "./lib/processes.mjs";

const VARIANTS = {
  node: "raw node:http",
  "node-swapped": "raw node:http, both prototypes swapped per request",
  express: "Express 5 (its own swap)",
  "gw:express": "serve(fromExpress(app)): built on app.request/app.response",
};

const { values } = parseArgs({ options: { serve: { type: "string" }, amount: { type: "string" } } });
if (values.serve !== undefined) await serveVariant(values.serve);
else await compare(Number(values.amount ?? 60_000));

async function serveVariant(name) {
  let server;
  if (name === "node" || name === "node-swapped") {
    const requestPrototype = Object.create(IncomingMessage.prototype);
    const responsePrototype = Object.create(ServerResponse.prototype);
    const swap = name === "node-swapped";
    server = createServer((req, res) => {
      if (swap) {
        Object.setPrototypeOf(req, requestPrototype);
        Object.setPrototypeOf(res, responsePrototype);
      }
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": 13 });
      res.end("Hello, World!");
    });
  } else {
    const { createExpressApp } = await import("./apps/express.mjs");
    const app = createExpressApp();
    if (name === "express") server = createServer(app);
    else {
      const { serve } = await import("@gangway/core");
      const { fromExpress } = await import("@gangway/express");
      server = (await serve(fromExpress(app), { port: 0 })).server;
    }
  }
  if (!server.listening) {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
  }
  server.keepAliveTimeout = 60_000;
  process.on("SIGTERM", () => process.exit(0));
  // The marker tells the parent where the warm-up's GC lines end.
  process.stdin.on("data", () => console.log("MEASURE"));
  console.log(JSON.stringify({ port: server.address().port, pid: process.pid }));
}

async function compare(amount) {
  if (pinning !== undefined) console.log(`Pinning: servers on core ${pinning.server}, load on core ${pinning.load}.`);
  console.log(
    `${amount.toLocaleString("en-US")} hellos per server after ${(amount / 3).toLocaleString("en-US")} of warm-up.\n`,
  );
  console.log("| server | CPU µs/hello | scavenges | survived them, MiB | scavenge pause µs/hello | mark-compacts |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [name, label] of Object.entries(VARIANTS)) {
    const row = await measureVariant(name, amount);
    console.log(
      `| ${label} | ${row.cpu.toFixed(1)} | ${row.scavenges} | ${row.survivedMB.toFixed(1)} | ` +
        `${row.pausePerHello.toFixed(2)} | ${row.markCompacts} |`,
    );
  }
}

async function measureVariant(name, amount) {
  const args = [
    "--trace-gc-nvp",
    "--min-semi-space-size=16",
    "--max-semi-space-size=16",
    fileURLToPath(import.meta.url),
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
  const ready = new Promise((resolve) => {
    lines.on("line", (line) => {
      if (line.startsWith("{")) {
        address = JSON.parse(line);
        resolve();
      } else if (line === "MEASURE") measuring = true;
      else if (measuring && line.includes("gc=")) gcLines.push(line);
    });
  });
  await ready;
  const url = `http://127.0.0.1:${address.port}/hello`;
  await hammer(url, Math.round(amount / 3));
  child.stdin.write("\n");
  await new Promise((resolve) => setTimeout(resolve, 100));
  const before = cpuMicros(address.pid);
  await hammer(url, amount);
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
    pausePerHello: (scavenges.reduce((sum, line) => sum + field(line, "pause"), 0) * 1000) / amount,
    markCompacts: gcLines.filter((line) => / gc=mc /.test(` ${line} `)).length,
  };
}

async function hammer(url, amount) {
  // The bench's hello load: 100 connections, 10 pipelined requests each.
  const [command, argv] = loadCommand(url, amount);
  const child = spawn(command, argv, { stdio: "ignore", cwd: fileURLToPath(new URL(".", import.meta.url)) });
  await once(child, "exit");
}

function loadCommand(url, amount) {
  // autocannon in a process of its own, on the load core, so the server's core is its alone.
  const script = `import("autocannon").then(({ default: a }) => a({ url: ${JSON.stringify(url)}, connections: 100, pipelining: 10, amount: ${amount} }))`;
  const args = ["--input-type=module", "-e", script];
  return pinning === undefined
    ? [process.execPath, args]
    : ["taskset", ["-c", pinning.load, process.execPath, ...args]];
}
