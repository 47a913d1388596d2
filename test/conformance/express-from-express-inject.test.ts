import { fromExpress, toExpress } from "@gangway/express";
import express from "express";
import { injectClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * `inject(fromExpress(express().use(toExpress(app))))`: no socket anywhere. An error the app
 * throws travels `next(error)` through Express to fromExpress, which rejects the call with it.
 */
export const fromExpressInjectPath: ConformancePath = {
  name: "inject(fromExpress(express().use(toExpress(app))))",
  transport: "inject",
  errors: "reject",
  async start(app) {
    return injectClient(fromExpress(express().use(toExpress(app))));
  },
};

runConformance(fromExpressInjectPath);
