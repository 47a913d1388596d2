import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Middleware } from "@gangway/core";
import { fromKoa, toKoa } from "@gangway/koa";
import Koa from "koa";
import { httpClient, warmUp } from "./paths.js";
import { type ConformancePath, type PathClient, runConformance } from "./suite.js";

// Any middleware in between switches fusion off (rule 35).
const passThrough: Middleware = (next) => (request) => next(request);

/** Serves a Koa host on 127.0.0.1:0 behind the shared HTTP client. */
async function listenKoa(koa: Koa): Promise<PathClient> {
  // The behaviours provoke errors on purpose: keep Koa's default logger quiet.
  koa.silent = true;
  const server = createServer(koa.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return httpClient(`http://127.0.0.1:${port}`, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

/** Koa → gateway → Koa with a pass-through middleware between: the inner Koa app on a socketless pair. */
const koaRoundTripUnfusedPath: ConformancePath = {
  name: "new Koa().use(toKoa(passThrough(fromKoa(new Koa().use(toKoa(app)))))), unfused",
  transport: "http",
  errors: "respond",
  async start(app) {
    return listenKoa(new Koa().use(toKoa(passThrough(fromKoa(new Koa().use(toKoa(app)))))));
  },
};

await warmUp(koaRoundTripUnfusedPath);
runConformance(koaRoundTripUnfusedPath);
