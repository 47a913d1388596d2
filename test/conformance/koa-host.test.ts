import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toKoa } from "@gangway/koa";
import Koa from "koa";
import { httpClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/** The app as Koa middleware in a real Koa host: `new Koa().use(toKoa(app))` on node:http. */
export const koaHostPath: ConformancePath = {
  name: "toKoa(app) in a Koa host",
  transport: "http",
  errors: "respond",
  async start(app) {
    const koa = new Koa();
    // The behaviours provoke errors on purpose: keep Koa's default logger quiet.
    koa.silent = true;
    koa.use(toKoa(app));
    const server = createServer(koa.callback());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return httpClient(`http://127.0.0.1:${port}`, async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
  },
};

runConformance(koaHostPath);
