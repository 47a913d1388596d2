import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { toExpress } from "@gangway/express";
import { fromKoa } from "@gangway/koa";
import express, { type ErrorRequestHandler } from "express";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "../helpers/http-client.js";

/*
 * What the conformance run on the fused cross paths cannot see: that Koa in Express is fused at
 * all, and that fusion changes nothing the Express host observes — its later routes, its error
 * middleware, its own headers and cookies, its prefix — compared with `fuse: false`.
 */

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

async function listen(app: express.Express): Promise<HttpClient> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  open.push(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return client;
}

/** A Koa app that records the Node request it got, with a route, a cookie and a failure. */
function legacy(seen: IncomingMessage[]) {
  return new Koa().use(async (ctx, next) => {
    if (ctx.path === "/hello") {
      seen.push(ctx.req);
      ctx.cookies.set("inner", "1", { httpOnly: false });
      ctx.body = `hello ${ctx.path}|${ctx.originalUrl}|${(ctx as { mountPath?: string }).mountPath ?? ""}`;
    } else if (ctx.path === "/fail") throw new Error("before the head");
    else await next();
  });
}

/** An Express host with a later route and an error middleware, recording what they saw. */
function host(fuse: boolean, prefix: string, before?: express.RequestHandler) {
  const seen: IncomingMessage[] = [];
  const hostRequests: IncomingMessage[] = [];
  const errors: string[] = [];
  const app = express();
  app.use((req, _res, next) => {
    hostRequests.push(req);
    next();
  });
  if (before !== undefined) app.use(before);
  app.use(prefix, toExpress(fromKoa(legacy(seen)), { fuse }));
  app.use((req, res) => {
    // The host's own request and response, as Express left them: its prototypes, its headers.
    res.status(418).send(`host ${req.app === app} ${res.getHeader("x-powered-by")} ${req.originalUrl}`);
  });
  const onError: ErrorRequestHandler = (error: Error, _req, res, _next) => {
    errors.push(error.message);
    res.status(500).send(`host error ${res.getHeader("x-powered-by")}`);
  };
  app.use(onError);
  return { app, seen, hostRequests, errors };
}

describe("toExpress(fromKoa(app)): cross-pair fusion", () => {
  for (const fuse of [true, false]) {
    describe(fuse ? "fused" : "unfused (fuse: false)", () => {
      it("answers a route with the host's headers under Koa's", async () => {
        const { app, seen, hostRequests } = host(fuse, "/");
        const client = await listen(app);
        const response = await client.send({ url: "/hello?x=1" });
        expect([response.status, await response.text()]).toEqual([200, "hello /hello|/hello?x=1|"]);
        expect([response.headers["x-powered-by"], response.headers["set-cookie"]]).toEqual([
          "Express",
          ["inner=1; path=/"],
        ]);
        // Fused, Koa got the host's own request; unfused, a socketless one.
        expect(seen[0] === hostRequests[0]).toBe(fuse);
      });

      it("falls through to the host's next route with its req/res as Express left them", async () => {
        const { app } = host(fuse, "/");
        const client = await listen(app);
        const response = await client.send({ url: "/nothing?q" });
        expect([response.status, await response.text()]).toEqual([418, "host true Express /nothing?q"]);
      });

      it("hands an error before the head to the host's error middleware, once", async () => {
        const { app, errors } = host(fuse, "/");
        const client = await listen(app);
        const response = await client.send({ url: "/fail" });
        expect([response.status, await response.text()]).toEqual([500, "host error Express"]);
        expect(errors).toEqual(["before the head"]);
      });

      it("under app.use('/gw', …), shows Koa the prefix as the unfused path does", async () => {
        const { app } = host(fuse, "/gw");
        const client = await listen(app);
        const response = await client.send({ url: "/gw/hello?x=1" });
        expect(await response.text()).toBe("hello /hello|/gw/hello?x=1|/gw");
        const passed = await client.send({ url: "/gw/nothing" });
        expect(await passed.text()).toBe("host true Express /gw/nothing");
      });

      it("keeps a cookie the host set before, with Koa's after it", async () => {
        const { app, seen, hostRequests } = host(fuse, "/", (_req, res, next) => {
          res.cookie("host", "1");
          next();
        });
        const client = await listen(app);
        const response = await client.send({ url: "/hello" });
        expect(response.headers["set-cookie"]).toEqual(["host=1; Path=/", "inner=1; path=/"]);
        // Over a host cookie the unfused path runs, fuse or not: it appends where Koa would replace.
        expect(seen[0] === hostRequests[0]).toBe(false);
      });
    });
  }
});
