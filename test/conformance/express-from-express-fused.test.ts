import { serve } from "@gangway/core";
import { fromExpress, toExpress } from "@gangway/express";
import express from "express";
import { httpClient, quietErrors } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * `serve(fromExpress(express().use(toExpress(app))))` fused: `serve()` takes the Node listener
 * fromExpress carries and runs Express on the real request and response (rule 35).
 */
export const fromExpressFusedPath: ConformancePath = {
  name: "serve(fromExpress(express().use(toExpress(app)))) fused",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(fromExpress(express().use(toExpress(app))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

runConformance(fromExpressFusedPath);
