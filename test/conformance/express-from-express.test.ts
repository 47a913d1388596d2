import { type Middleware, serve } from "@gangway/core";
import { fromExpress, toExpress } from "@gangway/express";
import express from "express";
import { httpClient, quietErrors } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

const passThrough: Middleware = (next) => (request) => next(request);

/**
 * The app inside Express, that Express app made a gateway app again and served by `serve()`:
 * `serve(passThrough(fromExpress(express().use(toExpress(app)))))`. The pass-through middleware
 * defeats fusion, so Express runs on fromNodeListener's socketless request and response.
 */
export const fromExpressPath: ConformancePath = {
  name: "serve(passThrough(fromExpress(express().use(toExpress(app)))))",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(passThrough(fromExpress(express().use(toExpress(app)))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

runConformance(fromExpressPath);
