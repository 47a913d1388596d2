/**
 * What a Koa host costs a streamed response before any app inside it runs, and so how close an
 * Express app inside Koa can come to Express on its own server.
 *
 *   node bench/koa-respond.mjs [--rounds 5] [--echoes 15000] [--streams 6000]
 *
 * Koa 3's `respond()` sends a stream body with `stream.pipeline(body, res)`, where a node:http or
 * Express handler pipes (`body.pipe(res)`). On Node 20 a pipeline makes an AbortController per call
 * and aborts it when the streams finish, which builds a DOMException and its stack trace. The probe
 * serves the bench's 64 KiB echo and 1 MiB stream from six servers, each in its own process, in
 * interleaved rounds, and prints the median CPU per request and what the scavenges did:
 *
 * - raw node:http piping the body into `res`, and the same handler with `stream.pipeline`;
 * - the bench's native Koa and Express apps;
 * - `serve(fromExpress(app))`: the Express app at its cheapest (on its own prototypes);
 * - `new Koa().use(toKoa(fromExpress(app)))`: the Express app inside Koa.
 *
 * From them it derives a floor for Express in Koa: the Koa host's own answer (native Koa) plus what
 * the Express app adds over raw node:http at its cheapest. Its ratio to native Express is the most
 * any Express-in-Koa path can reach on this Node and Koa (docs/performance.md, ninth round).
 */
import { createServer } from "node:http";
import { pipeline, Readable } from "node:stream";
import { parseArgs } from "node:util";
import { BYTES_TYPE, CHUNKS_BY_PATH, chunks } from "./apps/payload.mjs";
import { describePinning, measureVariant, serveVariant } from "./lib/gc-probe.mjs";
import { median } from "./lib/stats.mjs";
import { workloads } from "./lib/workloads.mjs";

const VARIANTS = {
  pipe: "raw node:http, `body.pipe(res)`",
  pipeline: "raw node:http, `stream.pipeline(body, res)` (Koa's respond)",
  koa: "native Koa 3 (`ctx.body = stream`)",
  express: "native Express 5",
  "gw:express": "serve(fromExpress(app))",
  "gw:express-in-koa": "new Koa().use(toKoa(fromExpress(app)))",
};

const { values } = parseArgs({
  options: {
    serve: { type: "string" },
    rounds: { type: "string" },
    echoes: { type: "string" },
    streams: { type: "string" },
  },
});
if (values.serve !== undefined) await serveVariant(await buildServer(values.serve));
else
  await compare(Number(values.rounds ?? 5), {
    echo: Number(values.echoes ?? 15_000),
    stream: Number(values.streams ?? 6_000),
  });

async function buildServer(name) {
  if (name === "pipe" || name === "pipeline") {
    const send = name === "pipe" ? (body, res) => body.pipe(res) : (body, res) => pipeline(body, res, () => {});
    return createServer((req, res) => {
      res.setHeader("content-type", BYTES_TYPE);
      const path = req.url ?? "/";
      send(req.method === "POST" ? req : Readable.from(chunks(CHUNKS_BY_PATH[path] ?? 0)), res);
    });
  }
  if (name === "koa") return createServer((await import("./apps/koa.mjs")).createKoaApp().callback());
  const app = (await import("./apps/express.mjs")).createExpressApp();
  if (name === "express") return createServer(app);
  const { fromExpress } = await import("@gangway/express");
  if (name === "gw:express") {
    const { serve } = await import("@gangway/core");
    return (await serve(fromExpress(app), { port: 0 })).server;
  }
  const { default: Koa } = await import("koa");
  const { toKoa } = await import("@gangway/koa");
  return createServer(new Koa().use(toKoa(fromExpress(app))).callback());
}

async function compare(rounds, amounts) {
  describePinning();
  console.log(
    `${rounds} interleaved rounds; per server and round, ${amounts.echo.toLocaleString("en-US")} echoes ` +
      `and ${amounts.stream.toLocaleString("en-US")} streams, each after a third as many of warm-up.\n`,
  );
  const names = Object.keys(VARIANTS);
  for (const workload of ["echo", "stream"]) {
    const runs = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      // A B C … then reversed, as the bench interleaves, so drift over the run lands on every server.
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        runs[name].push(
          await measureVariant(import.meta.url, name, { amount: amounts[workload], load: workloads[workload] }),
        );
      }
    }
    const cpu = Object.fromEntries(names.map((name) => [name, median(runs[name].map((run) => run.cpu))]));
    console.log(
      `### ${workload === "echo" ? "POST /echo, 64 KiB streamed back" : "GET /stream, 1 MiB in 64 KiB chunks"}\n`,
    );
    console.log(
      "| server | CPU µs/req (median) | scavenges | survived them, MiB | scavenge pause µs/req | mark-compacts |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const name of names) {
      const at = (key) => median(runs[name].map((run) => run[key]));
      console.log(
        `| ${VARIANTS[name]} | ${cpu[name].toFixed(1)} | ${at("scavenges")} | ${at("survivedMB").toFixed(1)} | ` +
          `${at("pausePerRequest").toFixed(2)} | ${at("markCompacts")} |`,
      );
    }
    const floor = cpu.koa + cpu["gw:express"] - cpu.pipe;
    console.log(
      `\nKoa's pipeline over a pipe: ${(cpu.pipeline - cpu.pipe).toFixed(1)} µs/req. ` +
        `Floor for Express in Koa: native Koa + (serve(fromExpress) − raw pipe) = ${floor.toFixed(1)} µs/req, ` +
        `at most ${(cpu.express / floor).toFixed(2)}× native Express; measured ${(cpu.express / cpu["gw:express-in-koa"]).toFixed(2)}×.\n`,
    );
  }
}
