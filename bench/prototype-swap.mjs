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
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { parseArgs } from "node:util";
import { describePinning, measureVariant, serveVariant } from "./lib/gc-probe.mjs";
import { workloads } from "./lib/workloads.mjs";

const VARIANTS = {
  node: "raw node:http",
  "node-swapped": "raw node:http, both prototypes swapped per request",
  express: "Express 5 (its own swap)",
  "gw:express": "serve(fromExpress(app)): built on app.request/app.response",
};

const { values } = parseArgs({ options: { serve: { type: "string" }, amount: { type: "string" } } });
if (values.serve !== undefined) await serveNamed(values.serve);
else await compare(Number(values.amount ?? 60_000));

async function serveNamed(name) {
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
  await serveVariant(server);
}

async function compare(amount) {
  describePinning();
  console.log(
    `${amount.toLocaleString("en-US")} hellos per server after ${(amount / 3).toLocaleString("en-US")} of warm-up.\n`,
  );
  console.log("| server | CPU µs/hello | scavenges | survived them, MiB | scavenge pause µs/hello | mark-compacts |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [name, label] of Object.entries(VARIANTS)) {
    const row = await measureVariant(import.meta.url, name, { amount, load: workloads.hello });
    console.log(
      `| ${label} | ${row.cpu.toFixed(1)} | ${row.scavenges} | ${row.survivedMB.toFixed(1)} | ` +
        `${row.pausePerRequest.toFixed(2)} | ${row.markCompacts} |`,
    );
  }
}
