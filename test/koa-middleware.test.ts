import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type GatewayApp, GatewayError, json, pass, readText, text } from "@gangway/core";
import { toKoa } from "@gangway/koa";
import { bodyParser } from "@koa/bodyparser";
import cors from "@koa/cors";
import Router from "@koa/router";
import Koa from "koa";
import { koaBody } from "koa-body";
import compress from "koa-compress";
import mount from "koa-mount";
import session from "koa-session";
import serveStatic from "koa-static";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";
import { waitFor } from "./helpers/wait.js";

// A gateway app inside a real Koa host, with real Koa middleware around it: toKoa's direction.

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/** Serves `koa` on 127.0.0.1:0 for one test and returns a client for it. */
async function listen(koa: { callback(): RequestListener }): Promise<HttpClient> {
  const server = createServer(koa.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  open.push(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return client;
}

/** Answers with the request line as the app saw it. */
const whereAmI: GatewayApp = (request) =>
  json({ basePath: request.basePath, path: request.path, query: request.query });

describe("toKoa under koa-mount and @koa/router", () => {
  it("sees koa-mount's prefix as basePath, and keeps /gw apart from /gw/", async () => {
    const client = await listen(new Koa().use(mount("/gw", toKoa(whereAmI))));
    const cases: Array<[string, object]> = [
      ["/gw", { basePath: "/gw", path: "", query: "" }],
      ["/gw/", { basePath: "/gw", path: "/", query: "" }],
      ["/gw/a%2Fb/c?y=%20", { basePath: "/gw", path: "/a%2Fb/c", query: "y=%20" }],
    ];
    for (const [url, expected] of cases) {
      expect(JSON.parse(await (await client.send({ url })).text()), url).toEqual(expected);
    }
  });

  it("accumulates nested koa-mounts, which ctx.mountPath alone would not show", async () => {
    const inner = new Koa().use(mount("/inner", toKoa(whereAmI)));
    const client = await listen(new Koa().use(mount("/outer", inner)));
    const response = await client.send({ url: "/outer/inner/x?q=1" });
    expect(JSON.parse(await response.text())).toEqual({ basePath: "/outer/inner", path: "/x", query: "q=1" });
  });

  it("takes a router wildcard route's prefix, params included, as basePath", async () => {
    const seen: Array<{ id: unknown; basePath: string; path: string }> = [];
    const app: GatewayApp = (request) => {
      const ctx = request.env["koa.ctx"]!;
      seen.push({ id: ctx.params.id, basePath: request.basePath, path: request.path });
      return request.path === "/missing" ? pass() : text(`${request.basePath} | ${request.path}`);
    };
    const router = new Router({ prefix: "/api" });
    router.all("/users/:id{/*rest}", toKoa(app));
    const koa = new Koa().use(router.routes()).use((ctx) => {
      ctx.body = "after the router";
    });
    const client = await listen(koa);
    expect(await (await client.send({ url: "/api/users/7/posts/a%20b?x=1" })).text()).toBe(
      "/api/users/7 | /posts/a%20b",
    );
    expect(await (await client.send({ url: "/api/users/7" })).text()).toBe("/api/users/7 | ");
    expect(await (await client.send({ url: "/api/users/7/" })).text()).toBe("/api/users/7 | /");
    // pass() under a route falls through to what follows the router.
    expect(await (await client.send({ url: "/api/users/7/missing" })).text()).toBe("after the router");
    expect(seen.map((s) => s.id)).toEqual(["7", "7", "7", "7"]);
  });

  it("gives a route without a wildcard the whole path, as it consumed nothing it could name", async () => {
    const router = new Router().get("/exact/:name", toKoa(whereAmI));
    const client = await listen(new Koa().use(router.routes()));
    const seen = JSON.parse(await (await client.send({ url: "/exact/ada" })).text());
    expect(seen).toEqual({ basePath: "", path: "/exact/ada", query: "" });
  });
});

describe("toKoa behind @koa/bodyparser and koa-body (rule 34)", () => {
  const echo: GatewayApp = async (request) =>
    json({ length: request.headers["content-length"] ?? null, body: await readText(request) });

  it("gets the bytes @koa/bodyparser kept for JSON, form and text", async () => {
    const koa = new Koa().use(bodyParser({ enableTypes: ["json", "form", "text"] })).use(toKoa(echo));
    const client = await listen(koa);
    const bodies: Array<[string, string]> = [
      ["application/json", '{ "spaced" : [1, 2] }'],
      ["application/x-www-form-urlencoded", "a=1&b=%20two"],
      ["text/plain; charset=utf-8", "héllo"],
    ];
    for (const [type, body] of bodies) {
      const response = await client.send({ method: "POST", url: "/", headers: { "content-type": type }, body });
      expect(response.status).toBe(200);
      expect(JSON.parse(await response.text()), type).toEqual({
        length: String(Buffer.byteLength(body)),
        body,
      });
    }
  });

  it("streams a body @koa/bodyparser left unread (a type it does not parse)", async () => {
    const koa = new Koa().use(bodyParser()).use(toKoa(echo));
    const client = await listen(koa);
    const response = await client.send({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/octet-stream" },
      body: "raw bytes",
    });
    expect(JSON.parse(await response.text())).toEqual({ length: "9", body: "raw bytes" });
  });

  it("re-encodes what koa-body parsed, with a corrected content-length and no transfer-encoding", async () => {
    const seen: Array<Record<string, unknown>> = [];
    const app: GatewayApp = async (request) => {
      seen.push({ te: request.headers["transfer-encoding"], length: request.headers["content-length"] });
      return text(await readText(request));
    };
    const koa = new Koa().use(koaBody()).use(toKoa(app));
    const client = await listen(koa);
    async function* chunked() {
      yield Buffer.from('{"a": ');
      yield Buffer.from('"x", "n": [1,2]}');
    }
    const response = await client.send({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/json" },
      body: chunked(),
    });
    expect(JSON.parse(await response.text())).toEqual({ a: "x", n: [1, 2] });
    expect(seen[0]).toEqual({ te: undefined, length: String(Buffer.byteLength('{"a":"x","n":[1,2]}')) });

    const form = await client.send({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "tag=a&tag=b&one[]=x&name=%C3%A9",
    });
    expect(new URLSearchParams(await form.text()).getAll("tag")).toEqual(["a", "b"]);
  });

  it("fails fast with GW_ERR_BODY_CONSUMED for what cannot be rebuilt: multipart, nested forms", async () => {
    const codes: unknown[] = [];
    const app: GatewayApp = async (request) => {
      try {
        return text(await readText(request));
      } catch (error) {
        codes.push((error as GatewayError).code);
        throw error;
      }
    };
    const koa = new Koa();
    koa.silent = true;
    koa.use(koaBody({ multipart: true })).use(toKoa(app));
    const client = await listen(koa);
    const boundary = "----gangway";
    const multipart = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="field"',
      "",
      "value",
      `--${boundary}--`,
      "",
    ].join("\r\n");
    const response = await client.send({
      method: "POST",
      url: "/",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: multipart,
    });
    expect(response.status).toBe(500);
    const nested = await client.send({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "user[name]=ada",
    });
    expect(nested.status).toBe(500);
    expect(codes).toEqual(["GW_ERR_BODY_CONSUMED", "GW_ERR_BODY_CONSUMED"]);
    expect(GatewayError.is(new GatewayError("GW_ERR_BODY_CONSUMED"), "GW_ERR_BODY_CONSUMED")).toBe(true);
  });

  it("uses koa-body's includeUnparsed raw text as the original bytes", async () => {
    const koa = new Koa().use(koaBody({ includeUnparsed: true })).use(toKoa(echo));
    const client = await listen(koa);
    const body = '{"keep":   "spacing"}';
    const response = await client.send({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(JSON.parse(await response.text())).toEqual({ length: String(body.length), body });
  });
});

describe("toKoa with koa-static and Koa's conditional GET", () => {
  let root: string;
  const content = "0123456789abcdefghij";
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "gangway-koa-static-"));
    await writeFile(join(root, "file.txt"), content);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // koa-conditional-get in full: Koa's own `ctx.fresh` compares the validators.
  const conditionalGet: Koa.Middleware = async (ctx, next) => {
    await next();
    if (ctx.fresh) {
      ctx.status = 304;
      ctx.body = null;
    }
  };

  it("lets koa-static (defer) serve a file after the gateway app passes", async () => {
    const app: GatewayApp = (request) => (request.path === "/dynamic" ? text("from the app") : pass());
    const koa = new Koa().use(serveStatic(root, { defer: true })).use(toKoa(app));
    const client = await listen(koa);
    expect(await (await client.send({ url: "/dynamic" })).text()).toBe("from the app");
    const file = await client.send({ url: "/file.txt" });
    expect(file.status).toBe(200);
    expect(file.headers["content-length"]).toBe(String(content.length));
    expect(await file.text()).toBe(content);
    const head = await client.send({ method: "HEAD", url: "/file.txt" });
    expect(head.headers["content-length"]).toBe(String(content.length));
    expect((await head.bytes()).byteLength).toBe(0);
    expect((await client.send({ url: "/nowhere" })).status).toBe(404);
  });

  it("turns the app's validators into a 304 upstream, finishing its body unsent; its 206 goes through", async () => {
    let finished = 0;
    const app: GatewayApp = (request) => {
      if (request.headers.range === "bytes=5-9") {
        return {
          status: 206,
          headers: { "content-type": "text/plain", "content-range": `bytes 5-9/${content.length}` },
          body: content.slice(5, 10),
        };
      }
      return {
        status: 200,
        headers: { "content-type": "text/plain", etag: '"v1"', "last-modified": new Date(0).toUTCString() },
        body: (async function* () {
          try {
            yield Buffer.from(content);
          } finally {
            finished++;
          }
        })(),
      };
    };
    const client = await listen(new Koa().use(conditionalGet).use(toKoa(app)));
    const fresh = await client.send({ url: "/file", headers: { "if-none-match": '"v1"' } });
    expect(fresh.status).toBe(304);
    expect((await fresh.bytes()).byteLength).toBe(0);
    await waitFor(() => finished === 1, "the unsent body finished");
    const since = await client.send({ url: "/file", headers: { "if-modified-since": new Date(1000).toUTCString() } });
    expect(since.status).toBe(304);
    const stale = await client.send({ url: "/file", headers: { "if-none-match": '"v0"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(content);
    const range = await client.send({ url: "/file", headers: { range: "bytes=5-9" } });
    expect(range.status).toBe(206);
    expect(range.headers["content-range"]).toBe(`bytes 5-9/${content.length}`);
    expect(await range.text()).toBe("56789");
  });
});

describe("toKoa with koa-compress", () => {
  it("gzips a gateway response the host compresses after await next(), streamed or whole", async () => {
    const long = "gangway ".repeat(1000);
    const app: GatewayApp = (request) =>
      request.path === "/stream"
        ? {
            status: 200,
            headers: { "content-type": "text/plain; charset=utf-8" },
            body: (async function* () {
              yield Buffer.from(long.slice(0, 4000));
              yield Buffer.from(long.slice(4000));
            })(),
          }
        : text(long);
    const koa = new Koa().use(compress({ threshold: 1024 })).use(toKoa(app));
    const client = await listen(koa);
    for (const url of ["/whole", "/stream"]) {
      const response = await client.send({ url, headers: { "accept-encoding": "gzip" } });
      expect(response.headers["content-encoding"], url).toBe("gzip");
      expect(response.headers.vary).toBe("Accept-Encoding");
      expect(gunzipSync(await response.bytes()).toString(), url).toBe(long);
    }
  });
});

describe("toKoa with koa-session", () => {
  it("keeps the host's session cookies and the app's own set-cookie apart, and the session persists", async () => {
    const koa = new Koa();
    koa.keys = ["gangway secret"];
    const app: GatewayApp = (request) => {
      const ctx = request.env["koa.ctx"]!;
      if (request.path === "/login") {
        ctx.session!.user = "ada";
        return text("logged in", { headers: { "set-cookie": ["theme=dark; Path=/", "lang=en; Path=/"] } });
      }
      return text(`user: ${ctx.session?.user ?? "nobody"}`);
    };
    koa.use(session({ signed: true }, koa)).use(toKoa(app));
    const client = await listen(koa);
    const login = await client.send({ url: "/login" });
    const cookies = login.headers["set-cookie"] as string[];
    expect(cookies.filter((c) => c.startsWith("theme=") || c.startsWith("lang="))).toHaveLength(2);
    expect(cookies.some((c) => c.startsWith("koa.sess="))).toBe(true);
    expect(cookies.some((c) => c.startsWith("koa.sess.sig="))).toBe(true);
    const cookie = cookies.map((c) => c.split(";")[0]).join("; ");
    expect(await (await client.send({ url: "/me", headers: { cookie } })).text()).toBe("user: ada");
    expect(await (await client.send({ url: "/me" })).text()).toBe("user: nobody");
  });
});

describe("toKoa with @koa/cors", () => {
  it("leaves preflights to the host and keeps its CORS headers on the app's answers", async () => {
    const koa = new Koa().use(cors({ origin: "https://example.com", credentials: true })).use(toKoa(whereAmI));
    const client = await listen(koa);
    const preflight = await client.send({
      method: "OPTIONS",
      url: "/x",
      headers: { origin: "https://example.com", "access-control-request-method": "PUT" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("https://example.com");
    expect(preflight.headers["access-control-allow-methods"]).toContain("PUT");
    expect(preflight.headers["access-control-allow-credentials"]).toBe("true");

    const simple = await client.send({ url: "/x", headers: { origin: "https://example.com" } });
    expect(simple.status).toBe(200);
    expect(simple.headers["access-control-allow-origin"]).toBe("https://example.com");
    expect(JSON.parse(await simple.text())).toEqual({ basePath: "", path: "/x", query: "" });
  });
});
