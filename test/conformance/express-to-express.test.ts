import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toExpress } from "@gangway/express";
import express from "express";
import { httpClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * The app inside a real Express server: `express().use(toExpress(app))`. Errors take Express's
 * own way — `next(error)` to its final handler, which answers 500 without a stack in production.
 */
export const toExpressPath: ConformancePath = {
  name: "express().use(toExpress(app))",
  transport: "http",
  errors: "respond",
  async start(app) {
    const host = express().use(toExpress(app));
    const server = createServer(host);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return httpClient(`http://127.0.0.1:${port}`, async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
  },
};

runConformance(toExpressPath);
