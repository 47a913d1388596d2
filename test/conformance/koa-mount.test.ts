import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toKoa } from "@gangway/koa";
import Koa from "koa";
import mount from "koa-mount";
import { httpClient } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * The app under koa-mount at "/gw" in a Koa host: every URL is sent under "/gw", and the app sees
 * "/gw" as `basePath` and the rest as `path`.
 */
const koaMountPath: ConformancePath = {
  name: 'koa-mount("/gw", toKoa(app)) in a Koa host',
  transport: "http",
  errors: "respond",
  async start(app) {
    const koa = new Koa();
    koa.silent = true;
    koa.use(mount("/gw", toKoa(app)));
    const server = createServer(koa.callback());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = await httpClient(`http://127.0.0.1:${port}`, async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return {
      send: (request) => client.send({ ...request, url: `/gw${request.url}` }),
      close: () => client.close(),
    };
  },
};

runConformance(koaMountPath);
