import { serve } from "@gangway/core";
import { fromKoa, toKoa } from "@gangway/koa";
import Koa from "koa";
import { httpClient, quietErrors, warmUp } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * A Koa app (the app under test as its one middleware) wrapped by `fromKoa` and served by
 * `serve()`. Fused: the server hands its real `req`/`res` to the Koa app (rule 35).
 */
const fromKoaServePath: ConformancePath = {
  name: "serve(fromKoa(new Koa().use(toKoa(app)))), fused",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(fromKoa(new Koa().use(toKoa(app))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

await warmUp(fromKoaServePath);
runConformance(fromKoaServePath);
