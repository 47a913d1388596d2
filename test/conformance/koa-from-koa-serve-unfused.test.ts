import { type Middleware, serve } from "@gangway/core";
import { fromKoa, toKoa } from "@gangway/koa";
import Koa from "koa";
import { httpClient, quietErrors, warmUp } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

// Any middleware in between switches fusion off (rule 35): the Koa app runs on a socketless pair.
const passThrough: Middleware = (next) => (request) => next(request);

/** As `serve(fromKoa(koa))`, with a pass-through middleware between: the unfused path. */
const fromKoaServeUnfusedPath: ConformancePath = {
  name: "serve(passThrough(fromKoa(new Koa().use(toKoa(app))))), unfused",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(passThrough(fromKoa(new Koa().use(toKoa(app)))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

await warmUp(fromKoaServeUnfusedPath);
runConformance(fromKoaServeUnfusedPath);
