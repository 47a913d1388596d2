import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { toExpress } from "@gangway/express";
import { fromKoa, toKoa } from "@gangway/koa";
import express from "express";
import Koa from "koa";
import { httpClient } from "./paths.js";
import type { ConformancePath, PathClient } from "./suite.js";

/*
 * Cross pairs: one framework's app mounted in another's host, through a gateway app in between.
 * Each runs fused (rule 35: the host hands the wrapped framework its real req/res) and unfused
 * (`fuse: false`: through the socketless pair), so both variants stay covered.
 */

/** Listens on 127.0.0.1:0; `prefix` goes in front of every target the behaviours send. */
async function listen(listener: RequestListener, prefix = "", after?: () => Promise<void>): Promise<PathClient> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = await httpClient(`http://127.0.0.1:${port}`, async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await after?.();
  });
  return prefix === ""
    ? client
    : { ...client, send: (request) => client.send({ ...request, url: prefix + request.url }) };
}

/**
 * A Koa app mounted in Express: `express().use(prefix, toExpress(fromKoa(new Koa().use(toKoa(app)))))`.
 * Errors take Express's way: `next(error)` to its final handler.
 */
export function koaInExpressPath(fuse: boolean, prefix = ""): ConformancePath {
  const mount = prefix === "" ? "" : `"${prefix}", `;
  return {
    name: `express().use(${mount}toExpress(fromKoa(new Koa().use(toKoa(app)))${fuse ? "" : ", { fuse: false }"}))`,
    transport: "http",
    errors: "respond",
    start(app) {
      const middleware = toExpress(fromKoa(new Koa().use(toKoa(app))), { fuse });
      return listen(prefix === "" ? express().use(middleware) : express().use(prefix, middleware), prefix);
    },
  };
}
