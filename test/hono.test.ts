import { fromFetch, type GatewayApp, json, mount, type RunningServer, serve, text, toFetch } from "@gangway/core";
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";
import { waitFor } from "./helpers/wait.js";

/** Holds a producer at a known point until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

const streamState = { gate: gate(), aborted: 0, signalAborted: 0 };

/** A real Hono app: route params, a JSON body, three cookies and a streamed response. */
function honoApp(base = "/"): Hono {
  const app = new Hono().basePath(base);
  app.get("/users/:id", (c) => c.json({ id: c.req.param("id"), q: c.req.query("q") ?? null, path: c.req.path }));
  app.post("/echo", async (c) => c.json({ got: await c.req.json<unknown>(), type: c.req.header("content-type") }, 201));
  app.get("/cookies", (c) => {
    c.header("set-cookie", "a=1; Path=/", { append: true });
    c.header("set-cookie", "b=2; HttpOnly", { append: true });
    c.header("set-cookie", "c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT", { append: true });
    return c.text("three cookies");
  });
  app.get("/stream", (c) => {
    c.req.raw.signal.addEventListener("abort", () => streamState.signalAborted++);
    return stream(c, async (out) => {
      out.onAbort(() => {
        streamState.aborted++;
      });
      await out.write("first\n");
      await streamState.gate.wait;
      await out.write("last\n");
    });
  });
  return app;
}

const running: Array<{ server: RunningServer; client: HttpClient }> = [];
async function start(app: GatewayApp): Promise<HttpClient> {
  const server = await serve(app);
  const client = new HttpClient(server.url);
  running.push({ server, client });
  return client;
}
afterEach(async () => {
  for (const { server, client } of running.splice(0)) {
    client.close();
    await server.close();
  }
  streamState.gate.open();
  streamState.gate = gate();
  streamState.aborted = 0;
  streamState.signalAborted = 0;
});

describe("a Hono app served through fromFetch(), over HTTP", () => {
  it("routes with params and query, and reads a JSON body with c.req.json()", async () => {
    const client = await start(fromFetch(honoApp()));
    const user = await client.send({ url: "/users/42?q=x%20y" });
    expect(user.status).toBe(200);
    expect(user.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(await user.text())).toEqual({ id: "42", q: "x y", path: "/users/42" });

    const echo = await client.send({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hello: ["wörld", 1] }),
    });
    expect(echo.status).toBe(201);
    expect(echo.statusText).toBe("Created");
    expect(JSON.parse(await echo.text())).toEqual({ got: { hello: ["wörld", 1] }, type: "application/json" });
  });

  it("sends every cookie Hono appended as its own set-cookie line", async () => {
    const client = await start(fromFetch(honoApp()));
    const response = await client.send({ url: "/cookies" });
    expect(response.headers["set-cookie"]).toEqual([
      "a=1; Path=/",
      "b=2; HttpOnly",
      "c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
    ]);
    expect(await response.text()).toBe("three cookies");
  });

  it("streams a hono/streaming response chunk by chunk", async () => {
    const client = await start(fromFetch(honoApp()));
    const response = await client.send({ url: "/stream" });
    expect(response.status).toBe(200);
    const iterator = response.body[Symbol.asyncIterator]();
    // The first chunk arrives while the handler is still held before its last write.
    expect(Buffer.from((await iterator.next()).value!).toString()).toBe("first\n");
    streamState.gate.open();
    let rest = "";
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest += Buffer.from(r.value).toString();
    expect(rest).toBe("last\n");
    expect(streamState.aborted).toBe(0);
  });

  it("aborts Hono's stream and its request signal when the client goes away", async () => {
    const client = await start(fromFetch(honoApp()));
    const response = await client.send({ url: "/stream" });
    await response.body[Symbol.asyncIterator]().next();
    response.abort();
    await waitFor(() => streamState.aborted === 1 && streamState.signalAborted === 1, "Hono's onAbort and signal");
  });

  it("answers Hono's own 404 for a route it does not have", async () => {
    const client = await start(fromFetch(honoApp()));
    const response = await client.send({ url: "/nowhere" });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("404 Not Found");
  });
});

describe("a Hono app inside mount()", () => {
  it("sees the full URL, so a Hono app built with basePath() routes under the prefix", async () => {
    const client = await start(mount({ "/hono": fromFetch(honoApp("/hono")) }, () => text("gateway fallback")));
    const user = await client.send({ url: "/hono/users/7?q=1" });
    expect(JSON.parse(await user.text())).toEqual({ id: "7", q: "1", path: "/hono/users/7" });
    const cookies = await client.send({ url: "/hono/cookies" });
    expect(cookies.headers["set-cookie"]).toHaveLength(3);
    await cookies.bytes();
    const outside = await client.send({ url: "/users/7" });
    expect(await outside.text()).toBe("gateway fallback");
  });

  it("sees only the rest of the path with stripBasePath, as Hono's own app.mount() would show it", async () => {
    const client = await start(mount({ "/plain": fromFetch(honoApp(), { stripBasePath: true }) }));
    const user = await client.send({ url: "/plain/users/7" });
    expect(JSON.parse(await user.text())).toEqual({ id: "7", q: null, path: "/users/7" });
  });
});

describe("a gateway app behind toFetch(), driven by Fetch", () => {
  const gatewayApp: GatewayApp = async (request) => {
    if (request.path === "/cookies") {
      return {
        status: 200,
        headers: { "content-type": "text/plain", "set-cookie": ["a=1", "b=2; Secure", "c=3; SameSite=Lax"] },
        body: (async function* () {
          yield Buffer.from("streamed ");
          yield Buffer.from("cookies");
        })(),
      };
    }
    return json({ basePath: request.basePath, path: request.path, query: request.query, host: request.headers.host });
  };

  it("answers undici's own Request with a Response: every cookie, the streamed body", async () => {
    const handler = toFetch(gatewayApp);
    const response = await handler(new Request("http://example.test/cookies"));
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2; Secure", "c=3; SameSite=Lax"]);
    expect(await response.text()).toBe("streamed cookies");
    const seen = await (await handler(new Request("http://example.test/a%2Fb?x=1"))).json();
    expect(seen).toEqual({ basePath: "", path: "/a%2Fb", query: "x=1", host: "example.test" });
  });

  it("runs inside Hono's app.mount(), which strips the prefix, served over HTTP", async () => {
    const outer = new Hono();
    outer.mount("/gw", toFetch(gatewayApp));
    outer.get("/", (c) => c.text("hono root"));
    const client = await start(fromFetch(outer));
    const seen = JSON.parse(await (await client.send({ url: "/gw/inner?x=1" })).text());
    expect(seen).toMatchObject({ basePath: "", path: "/inner", query: "x=1" });
    const cookies = await client.send({ url: "/gw/cookies" });
    expect(cookies.headers["set-cookie"]).toEqual(["a=1", "b=2; Secure", "c=3; SameSite=Lax"]);
    expect(await cookies.text()).toBe("streamed cookies");
    expect(await (await client.send({ url: "/" })).text()).toBe("hono root");
  });
});
