import { gunzipSync } from "node:zlib";
import { fromNodeListener, type GatewayApp, mount, type NodeListener, type RunningServer, serve } from "@gangway/core";
import compression from "compression";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";

// Real Node middleware on fromNodeListener's socketless pair, served over HTTP both ways: unfused
// (every request crosses the socketless IncomingMessage/ServerResponse) and fused (rule 35).
const running: { server: RunningServer; client: HttpClient }[] = [];
afterEach(async () => {
  for (const { server, client } of running.splice(0)) {
    client.close();
    await server.close();
  }
});

async function start(app: GatewayApp, fuse: boolean): Promise<HttpClient> {
  const server = await serve(app, { fuse, onError: () => {} });
  const client = new HttpClient(server.url);
  running.push({ server, client });
  return client;
}

function expressApp(): NodeListener {
  const app = express();
  app.use(express.json());
  app.post("/echo", (req, res) => {
    res.cookie("a", "1").cookie("b", "2");
    res.json({
      body: req.body,
      url: req.url,
      baseUrl: req.baseUrl,
      originalUrl: req.originalUrl,
      ip: req.ip,
      protocol: req.protocol,
      hostname: req.hostname,
    });
  });
  return app as unknown as NodeListener;
}

describe.each([
  ["socketless", false],
  ["fused", true],
])("Express on fromNodeListener (%s)", (_name, fuse) => {
  it("parses a JSON body with express.json() and sees the mount as Express would", async () => {
    const client = await start(mount({ "/api": fromNodeListener(expressApp()) }), fuse);
    const response = await client.send({
      method: "POST",
      url: "/api/echo?x=1",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hello: "wörld" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    const seen = JSON.parse(await response.text());
    expect(seen).toMatchObject({ body: { hello: "wörld" }, url: "/echo?x=1", protocol: "http", hostname: "127.0.0.1" });
    // `mount` stands between serve() and the app, so even the fused case crosses the socketless pair.
    expect(seen).toMatchObject({ baseUrl: "/api", originalUrl: "/api/echo?x=1" });
    expect(seen.ip).toMatch(/127\.0\.0\.1/);
  });

  it("parses a chunked JSON body that has no content-length", async () => {
    const client = await start(fromNodeListener(expressApp()), fuse);
    async function* parts() {
      yield Buffer.from('{"chunked":');
      yield Buffer.from("true}");
    }
    const response = await client.send({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/json" },
      body: parts(),
    });
    expect(JSON.parse(await response.text()).body).toEqual({ chunked: true });
  });

  it("answers a route Express does not have as a plain 404 Not Found, without Express's headers", async () => {
    const client = await start(fromNodeListener(expressApp()), fuse);
    const response = await client.send({ url: "/nowhere" });
    expect(response.status).toBe(404);
    expect(response.headers["x-powered-by"]).toBeUndefined();
    expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("Not Found");
  });

  it("streams through middleware that wraps res.writeHead, write and end (compression)", async () => {
    const app = express();
    app.use(compression({ threshold: 0 }));
    app.get("/text", (_req, res) => {
      res.type("text/plain");
      res.write("a".repeat(1000));
      setImmediate(() => res.end("b".repeat(1000)));
    });
    const client = await start(fromNodeListener(app as unknown as NodeListener), fuse);
    const response = await client.send({ url: "/text", headers: { "accept-encoding": "gzip" } });
    expect(response.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(await response.bytes()).toString()).toBe(`${"a".repeat(1000)}${"b".repeat(1000)}`);
  });

  it("rejects a malformed JSON body with Express's 400, answered by Express's own error path", async () => {
    const app = express();
    app.use(express.json());
    app.post("/echo", (req, res) => res.json(req.body));
    app.use((error: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(error.status ?? 500).send("bad json");
    });
    const client = await start(fromNodeListener(app as unknown as NodeListener), fuse);
    const response = await client.send({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("bad json");
  });
});
