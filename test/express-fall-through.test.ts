import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { cascade, type GatewayApp, inject, isPass, json, pass, serve, text } from "@gangway/core";
import { fromExpress, toExpress } from "@gangway/express";
import express, { type ErrorRequestHandler } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

async function listen(listener: RequestListener): Promise<HttpClient> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  open.push(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return client;
}

/** A gateway app that answers /gw/* and passes everything else. */
const gateway: GatewayApp = (request) =>
  request.path.startsWith("/gw/") ? json({ app: "gateway", path: request.path }) : pass();

describe("a gateway app in the middle of an Express stack", () => {
  it("runs the route before it, answers its own paths, and passes the rest to the route after it", async () => {
    const calls: string[] = [];
    const host = express()
      .get("/before", (_req, res) => {
        res.send("route before");
      })
      .use((req, _res, next) => {
        calls.push(req.path);
        next();
      })
      .use(toExpress(gateway))
      .get("/after", (_req, res) => {
        res.send("route after");
      });
    const client = await listen(host);
    expect(await (await client.send({ url: "/before" })).text()).toBe("route before");
    expect(await (await client.send({ url: "/gw/x" })).text().then(JSON.parse)).toEqual({
      app: "gateway",
      path: "/gw/x",
    });
    expect(await (await client.send({ url: "/after" })).text()).toBe("route after");
    const unknown = await client.send({ url: "/nowhere" });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("Cannot GET /nowhere");
    // The middleware in front saw everything the route before did not answer.
    expect(calls).toEqual(["/gw/x", "/after", "/nowhere"]);
  });

  it("hands the app's error to the host's 4-arity error handler", async () => {
    const failure = new Error("ledger unavailable");
    let seen: unknown;
    const handler: ErrorRequestHandler = (error, req, res, _next) => {
      seen = error;
      res.status(503).json({ error: (error as Error).message, at: req.originalUrl });
    };
    const host = express()
      .use(
        "/api",
        toExpress(async () => {
          throw failure;
        }),
      )
      .use(handler);
    const client = await listen(host);
    const response = await client.send({ url: "/api/balance" });
    expect(response.status).toBe(503);
    expect(await response.text().then(JSON.parse)).toEqual({ error: "ledger unavailable", at: "/api/balance" });
    expect(seen).toBe(failure);
  });
});

describe("an Express app wrapped as a gateway app", () => {
  const legacy = () =>
    express()
      .get("/users/:id", (req, res) => {
        res.json({ id: req.params.id });
      })
      .get("/missing", (_req, res) => {
        res.status(404).send("no such thing");
      })
      .get("/boom", () => {
        throw new Error("legacy failure");
      });

  it("answers pass() when no route matched, and its own 404 as a response", async () => {
    const app = fromExpress(legacy());
    const unmatched = await app({
      method: "GET",
      scheme: "http",
      authority: "localhost",
      basePath: "",
      path: "/nowhere",
      query: "",
      headers: { host: "localhost" },
      body: null,
      signal: new AbortController().signal,
      env: {},
    });
    expect(isPass(unmatched)).toBe(true);
    const own = await inject(app, { url: "/missing" });
    expect(own.status).toBe(404);
    expect(await own.text()).toBe("no such thing");
  });

  it("lets cascade try the next app when the Express app matched nothing", async () => {
    const next: GatewayApp = (request) => text(`fallback for ${request.path}`);
    const app = cascade(fromExpress(legacy()), next);
    expect(await (await inject(app, { url: "/users/7" })).json()).toEqual({ id: "7" });
    expect(await (await inject(app, { url: "/other" })).text()).toBe("fallback for /other");
    // A 404 the Express app produced itself is an answer, not a fall-through.
    expect(await (await inject(app, { url: "/missing" })).text()).toBe("no such thing");
  });

  it("rejects with the Express app's unhandled error, the very object", async () => {
    await expect(inject(fromExpress(legacy()), { url: "/boom" })).rejects.toThrow("legacy failure");
  });

  it("falls through the gateway back into the outer Express app, served by serve()", async () => {
    const outer = express()
      .use(toExpress(cascade(fromExpress(legacy()), pass)))
      .get("/outer", (_req, res) => {
        res.send("outer route");
      });
    const server = await serve(fromExpress(outer), { onError: () => {} });
    open.push(() => server.close());
    const client = new HttpClient(server.url);
    open.push(async () => client.close());
    expect(await (await client.send({ url: "/users/9" })).text().then(JSON.parse)).toEqual({ id: "9" });
    expect(await (await client.send({ url: "/outer" })).text()).toBe("outer route");
    const unmatched = await client.send({ url: "/neither" });
    expect(unmatched.status).toBe(404);
    expect(await unmatched.text()).toBe("Not Found");
  });
});
