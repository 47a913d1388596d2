import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Middleware } from "@gangway/core";
import { fromExpress, toExpress } from "@gangway/express";
import express from "express";
import { httpClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

const passThrough: Middleware = (next) => (request) => next(request);

/**
 * Express → gateway → Express: the app in an inner Express app, wrapped as a gateway app and
 * mounted in an outer Express server. The pass-through middleware defeats fusion, so the inner
 * Express app runs on a socketless pair built from the outer one's gateway request.
 */
export const roundTripPath: ConformancePath = {
  name: "express().use(toExpress(passThrough(fromExpress(express().use(toExpress(app))))))",
  transport: "http",
  errors: "respond",
  async start(app) {
    const inner = fromExpress(express().use(toExpress(app)));
    const server = createServer(express().use(toExpress(passThrough(inner))));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return httpClient(`http://127.0.0.1:${port}`, async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
  },
};

runConformance(roundTripPath);
