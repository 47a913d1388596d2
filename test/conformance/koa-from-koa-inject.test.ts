import { fromKoa, toKoa } from "@gangway/koa";
import Koa from "koa";
import { injectClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/** A Koa app around the app under test, wrapped by `fromKoa`, called through `inject()`: no socket. */
const fromKoaInjectPath: ConformancePath = {
  name: "inject(fromKoa(new Koa().use(toKoa(app))))",
  transport: "inject",
  errors: "reject",
  async start(app) {
    return injectClient(fromKoa(new Koa().use(toKoa(app))));
  },
};

runConformance(fromKoaInjectPath);
