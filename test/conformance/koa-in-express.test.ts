import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toExpress } from "@gangway/express";
import { fromKoa, toKoa } from "@gangway/koa";
import express from "express";
import Koa from "koa";
import { httpClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * A Koa app mounted in Express: `express().use(toExpress(fromKoa(koaApp)))`, where the Koa app
 * runs the app under test. Errors take Express's way: `next(error)` to its final handler.
 */
const koaInExpressPath: ConformancePath = {
  name: "express().use(toExpress(fromKoa(new Koa().use(toKoa(app)))))",
  transport: "http",
  errors: "respond",
  async start(app) {
    const host = express().use(toExpress(fromKoa(new Koa().use(toKoa(app)))));
    const server = createServer(host);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return httpClient(`http://127.0.0.1:${port}`, async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
  },
};

/**
 * One streamed request through the whole stack before the behaviours run, so that V8 has compiled
 * it and Node has loaded what it loads lazily: the abort behaviour's 10 ms pacing then measures the
 * path, not its cold start.
 */
async function warmUp(path: ConformancePath): Promise<void> {
  const client = await path.start(() => ({
    status: 200,
    body: (async function* () {
      yield Buffer.from("warm");
    })(),
  }));
  await (await client.send({ url: "/" })).bytes();
  await client.close();
}

await warmUp(koaInExpressPath);
runConformance(koaInExpressPath);
