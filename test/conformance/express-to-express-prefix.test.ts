import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toExpress } from "@gangway/express";
import express from "express";
import { httpClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * The app mounted under a prefix in a real Express server: `express().use("/gw", toExpress(app))`.
 * Every URL is sent under "/gw", so the behaviours run unchanged and the app sees "/gw" in
 * `basePath` (Express's `req.baseUrl`) and the rest in `path`.
 */
export const toExpressPrefixPath: ConformancePath = {
  name: 'express().use("/gw", toExpress(app))',
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = createServer(express().use("/gw", toExpress(app)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = await httpClient(`http://127.0.0.1:${port}`, async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    return {
      send: (request) => client.send({ ...request, url: `/gw${request.url}` }),
      close: () => client.close(),
    };
  },
};

runConformance(toExpressPrefixPath);
