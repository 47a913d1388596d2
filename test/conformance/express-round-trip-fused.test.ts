import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fromExpress, toExpress } from "@gangway/express";
import express from "express";
import { httpClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * Express → gateway → Express fused: `toExpress(fromExpress(inner))` runs the inner Express app
 * on the outer one's own request and response, as a native mount would (rule 35).
 */
export const roundTripFusedPath: ConformancePath = {
  name: "express().use(toExpress(fromExpress(express().use(toExpress(app))))) fused",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = createServer(express().use(toExpress(fromExpress(express().use(toExpress(app))))));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return httpClient(`http://127.0.0.1:${port}`, async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
  },
};

runConformance(roundTripFusedPath);
