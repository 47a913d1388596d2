import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fromKoa, toKoa } from "@gangway/koa";
import Koa from "koa";
import { httpClient, warmUp } from "./paths.js";
import { type ConformancePath, type PathClient, runConformance } from "./suite.js";

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

/**
 * Koa → gateway → Koa: a Koa host runs `toKoa(fromKoa(inner))`, where the inner Koa app runs the
 * app under test. Fused: the inner app's middleware runs in the host's chain on the real
 * `req`/`res` (rule 35).
 */
const koaRoundTripPath: ConformancePath = {
  name: "new Koa().use(toKoa(fromKoa(new Koa().use(toKoa(app))))), fused",
  transport: "http",
  errors: "respond",
  async start(app) {
    return listenKoa(new Koa().use(toKoa(fromKoa(new Koa().use(toKoa(app))))));
  },
};

await warmUp(koaRoundTripPath);
runConformance(koaRoundTripPath);
