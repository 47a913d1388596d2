import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { inject, mount, serve, text } from "@gangway/core";
import { fromKoa } from "@gangway/koa";
import { bodyParser } from "@koa/bodyparser";
import cors from "@koa/cors";
import Router from "@koa/router";
import Koa from "koa";
import { koaBody } from "koa-body";
import compress from "koa-compress";
import session from "koa-session";
import serveStatic from "koa-static";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";

// A Koa app with real Koa middleware, wrapped by fromKoa and served by Gangway: fromKoa's direction.
// Each case runs twice: fused (`serve(fromKoa(koa))`, the real req/res) and unfused under a mount
// (`serve(mount({ "/koa": fromKoa(koa) }))`, a socketless req/res below a prefix).

type Mode = { name: string; prefix: string };
const modes: Mode[] = [
  { name: "serve(fromKoa(koa)), fused", prefix: "" },
  { name: 'serve(mount({ "/koa": fromKoa(koa) })), unfused', prefix: "/koa" },
];

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/** Serves the Koa app as `mode` says; a request no one answers gets the fallback's text. */
async function start(koa: Koa<any, any>, mode: Mode): Promise<HttpClient> {
  const app = mode.prefix === "" ? fromKoa(koa) : mount({ [mode.prefix]: fromKoa(koa) }, () => text("fallback"));
  const server = await serve(app, { onError: () => {} });
  const client = new HttpClient(server.url);
  open.push(async () => {
    client.close();
    await server.close();
  });
  return client;
}

for (const mode of modes) {
  const p = mode.prefix;

  describe(`${mode.name}: @koa/router`, () => {
    it("routes with prefixes and params on the path below the mount, and passes what it does not match", async () => {
      const router = new Router({ prefix: "/api" });
      router.get("/users/:id", (ctx) => {
        ctx.body = { id: ctx.params.id, path: ctx.path, originalUrl: ctx.originalUrl, url: router.url("user", 7) };
      });
      router.get("user", "/people/:id", (ctx) => {
        ctx.body = ctx.params.id;
      });
      const koa = new Koa().use(router.routes()).use(router.allowedMethods());
      const client = await start(koa, mode);
      const user = await client.send({ url: `${p}/api/users/a%20b?x=1` });
      expect(JSON.parse(await user.text())).toEqual({
        id: "a b",
        path: "/api/users/a%20b",
        originalUrl: `${p}/api/users/a%20b?x=1`,
        url: "/api/people/7",
      });
      const wrongMethod = await client.send({ method: "POST", url: `${p}/api/users/1` });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.allow).toBe("HEAD, GET");
      const unmatched = await client.send({ url: `${p}/elsewhere` });
      expect(unmatched.status).toBe(404);
      expect(await unmatched.text()).toBe("Not Found");
    });
  });

  describe(`${mode.name}: body parsers`, () => {
    it("lets @koa/bodyparser parse JSON, forms and chunked uploads streamed through the bridge", async () => {
      const koa = new Koa().use(bodyParser({ enableTypes: ["json", "form", "text"] })).use((ctx) => {
        ctx.body = { parsed: ctx.request.body ?? null, raw: ctx.request.rawBody ?? null };
      });
      const client = await start(koa, mode);
      const json = await client.send({
        method: "POST",
        url: `${p}/`,
        headers: { "content-type": "application/json" },
        body: '{"a":[1,2]}',
      });
      expect(JSON.parse(await json.text())).toEqual({ parsed: { a: [1, 2] }, raw: '{"a":[1,2]}' });
      async function* chunked() {
        yield Buffer.from("x=1&");
        yield Buffer.from("y=%20two");
      }
      const form = await client.send({
        method: "POST",
        url: `${p}/`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: chunked(),
      });
      expect(JSON.parse(await form.text())).toEqual({ parsed: { x: "1", y: " two" }, raw: "x=1&y=%20two" });
    });

    it("lets koa-body parse a multipart upload with a file", async () => {
      const koa = new Koa().use(koaBody({ multipart: true })).use((ctx) => {
        const file = ctx.request.files?.upload as { originalFilename?: string; size?: number } | undefined;
        ctx.body = { fields: ctx.request.body, file: file?.originalFilename, size: file?.size };
      });
      // FormData needs fetch; the shared HTTP client sends strings, bytes and iterables only.
      const origin = await serveUrl(koa, mode);
      const form = new FormData();
      form.append("title", "report");
      form.append("upload", new Blob([Buffer.alloc(50_000, 1)]), "data.bin");
      const response = await fetch(`${origin}${p}/`, { method: "POST", body: form });
      expect(await response.json()).toEqual({ fields: { title: "report" }, file: "data.bin", size: 50_000 });
    });
  });

  describe(`${mode.name}: koa-static with Koa's conditional GET`, () => {
    let root: string;
    const content = "0123456789abcdefghij";
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), "gangway-koa-wrapped-static-"));
      await writeFile(join(root, "file.txt"), content);
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it("serves a file, a Range as 206, and If-None-Match / If-Modified-Since as 304", async () => {
      const koa = new Koa().use(conditionalGet).use(byteRange);
      koa.use(
        serveStatic(root, {
          // koa-send sets Last-Modified; a validator for If-None-Match comes from its setHeaders hook.
          setHeaders: (res, _path, stats) => res.setHeader("etag", `W/"${stats.size}-${stats.mtimeMs}"`),
        }),
      );
      const client = await start(koa, mode);
      const whole = await client.send({ url: `${p}/file.txt` });
      expect(whole.status).toBe(200);
      expect(whole.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(await whole.text()).toBe(content);

      const range = await client.send({ url: `${p}/file.txt`, headers: { range: "bytes=5-9" } });
      expect(range.status).toBe(206);
      expect(range.headers["content-range"]).toBe(`bytes 5-9/${content.length}`);
      expect(range.headers["content-length"]).toBe("5");
      expect(await range.text()).toBe("56789");

      const etag = whole.headers.etag as string;
      const byEtag = await client.send({ url: `${p}/file.txt`, headers: { "if-none-match": etag } });
      expect(byEtag.status).toBe(304);
      expect(byEtag.headers.etag).toBe(etag);
      expect((await byEtag.bytes()).byteLength).toBe(0);
      const byDate = await client.send({
        url: `${p}/file.txt`,
        headers: { "if-modified-since": whole.headers["last-modified"] as string },
      });
      expect(byDate.status).toBe(304);
      const head = await client.send({ method: "HEAD", url: `${p}/file.txt` });
      expect(head.headers["content-length"]).toBe(String(content.length));
      expect((await head.bytes()).byteLength).toBe(0);
    });
  });

  describe(`${mode.name}: koa-compress`, () => {
    it("gzips inside the Koa app, and the client decodes it", async () => {
      const long = "compress me ".repeat(500);
      const koa = new Koa().use(compress({ threshold: 1024 })).use((ctx) => {
        ctx.type = "text/plain";
        ctx.body = long;
      });
      const client = await start(koa, mode);
      const response = await client.send({ url: `${p}/`, headers: { "accept-encoding": "gzip" } });
      expect(response.headers["content-encoding"]).toBe("gzip");
      expect(response.headers.vary).toBe("Accept-Encoding");
      expect(gunzipSync(await response.bytes()).toString()).toBe(long);
    });
  });

  describe(`${mode.name}: koa-session`, () => {
    it("logs in, then sees the session on the next request that carries the cookies", async () => {
      const koa = new Koa();
      koa.keys = ["gangway secret"];
      koa.use(session({ signed: true }, koa)).use((ctx) => {
        if (ctx.path === "/login") {
          ctx.session!.user = "ada";
          ctx.body = "logged in";
        } else ctx.body = `user: ${ctx.session?.user ?? "nobody"}`;
      });
      const client = await start(koa, mode);
      const login = await client.send({ url: `${p}/login` });
      const cookies = login.headers["set-cookie"] as string[];
      expect(cookies).toHaveLength(2);
      expect(cookies[0]).toMatch(/^koa\.sess=/);
      expect(cookies[1]).toMatch(/^koa\.sess\.sig=/);
      const cookie = cookies.map((c) => c.split(";")[0]).join("; ");
      expect(await (await client.send({ url: `${p}/me`, headers: { cookie } })).text()).toBe("user: ada");
      expect(await (await client.send({ url: `${p}/me` })).text()).toBe("user: nobody");
    });
  });

  describe(`${mode.name}: @koa/cors`, () => {
    it("answers a preflight with its headers, and adds them to simple requests", async () => {
      const koa = new Koa().use(cors({ origin: "https://example.com", credentials: true })).use((ctx) => {
        ctx.body = "data";
      });
      const client = await start(koa, mode);
      const preflight = await client.send({
        method: "OPTIONS",
        url: `${p}/x`,
        headers: { origin: "https://example.com", "access-control-request-method": "PUT" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers["access-control-allow-origin"]).toBe("https://example.com");
      expect(preflight.headers["access-control-allow-methods"]).toContain("PUT");
      expect(preflight.headers["access-control-allow-credentials"]).toBe("true");
      const simple = await client.send({ url: `${p}/x`, headers: { origin: "https://example.com" } });
      expect(simple.headers["access-control-allow-origin"]).toBe("https://example.com");
      expect(await simple.text()).toBe("data");
    });
  });
}

describe("fromKoa through inject(): the same Koa app tested without a socket", () => {
  it("parses a JSON body and keeps the session cookies apart", async () => {
    const koa = new Koa();
    koa.keys = ["k"];
    koa
      .use(session({}, koa))
      .use(bodyParser())
      .use((ctx) => {
        ctx.session!.name = (ctx.request.body as { name: string }).name;
        ctx.body = { hello: ctx.session!.name };
      });
    const response = await inject(fromKoa(koa), {
      method: "POST",
      url: "/",
      headers: { "content-type": "application/json" },
      body: '{"name":"Ada"}',
    });
    expect(await response.json()).toEqual({ hello: "Ada" });
    expect(response.headers["set-cookie"]).toHaveLength(2);
  });
});

/** The base URL of a fresh server for `koa` in `mode`, for fetch-based requests (multipart). */
async function serveUrl(koa: Koa<any, any>, mode: Mode): Promise<string> {
  const app = mode.prefix === "" ? fromKoa(koa) : mount({ [mode.prefix]: fromKoa(koa) });
  const server = await serve(app, { onError: () => {} });
  open.push(() => server.close());
  return server.url;
}

/** koa-conditional-get in full: Koa's own `ctx.fresh` compares the validators. */
const conditionalGet: Koa.Middleware = async (ctx, next) => {
  await next();
  if (ctx.fresh) {
    ctx.status = 304;
    ctx.body = null;
  }
};

/**
 * One `bytes=a-b` range over koa-send's file stream, which has none of its own (koa-range does
 * this in full): the stream's `path` is reopened for the slice.
 */
const byteRange: Koa.Middleware = async (ctx, next) => {
  await next();
  const match = /^bytes=(\d+)-(\d+)$/.exec(ctx.get("range"));
  const body = ctx.body as (Readable & { path?: unknown }) | undefined;
  const size = ctx.length;
  if (match === null || ctx.status !== 200 || typeof body?.path !== "string" || size === undefined) return;
  const start = Number(match[1]);
  const end = Math.min(Number(match[2]), size - 1);
  ctx.status = 206;
  ctx.body = createReadStream(body.path, { start, end });
  ctx.set("content-range", `bytes ${start}-${end}/${size}`);
  ctx.length = end - start + 1;
};
