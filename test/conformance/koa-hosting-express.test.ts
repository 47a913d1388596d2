import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fromExpress, toExpress } from "@gangway/express";
import { toKoa } from "@gangway/koa";
import express from "express";
import Koa from "koa";
import { httpClient, warmUp } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * An Express app mounted in Koa: `new Koa().use(toKoa(fromExpress(expressApp)))`, where the Express
 * app runs the app under test. Errors travel up Koa's chain to its default error response.
 */
const expressInKoaPath: ConformancePath = {
  name: "new Koa().use(toKoa(fromExpress(express().use(toExpress(app)))))",
  transport: "http",
  errors: "respond",
  async start(app) {
    const koa = new Koa();
    // The behaviours provoke errors on purpose: keep Koa's default logger quiet.
    koa.silent = true;
    koa.use(toKoa(fromExpress(express().use(toExpress(app)))));
    const server = createServer(koa.callback());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return httpClient(`http://127.0.0.1:${port}`, async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
  },
};

await warmUp(expressInKoaPath);
runConformance(expressInKoaPath);
