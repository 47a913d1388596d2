import { Socket } from "node:net";
import { Readable } from "node:stream";
import {
  cascade,
  type GatewayApp,
  type GatewayResponse,
  inject,
  isPass,
  mount,
  type RunningServer,
  serve,
  text,
} from "@gangway/core";
import Koa from "koa";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromKoa } from "./from-koa.js";
import { toKoa } from "./to-koa.js";

const servers: RunningServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(app: GatewayApp): Promise<string> {
  const server = await serve(app, { onError: () => {} });
  servers.push(server);
  return server.url;
}

/** The response object an app returned, to look at what inject() would only show on the wire. */
async function responseOf(app: GatewayApp, url = "/"): Promise<GatewayResponse> {
  let seen: GatewayResponse | undefined;
  await inject(async (request) => (seen = await app(request)), { url });
  return seen!;
}

describe("fromKoa: what Koa sees", () => {
  it("shows a mount as koa-mount would: ctx.path below it, the whole originalUrl, ctx.mountPath", async () => {
    const koa = new Koa().use((ctx) => {
      ctx.body = {
        path: ctx.path,
        url: ctx.url,
        originalUrl: ctx.originalUrl,
        mountPath: ctx.mountPath ?? null,
        href: ctx.href,
      };
    });
    const url = await start(mount({ "/koa": fromKoa(koa) }, fromKoa(koa)));
    const host = new URL(url).host;
    expect(await (await fetch(`${url}/koa/a%20b?x=1`)).json()).toEqual({
      path: "/a%20b",
      url: "/a%20b?x=1",
      originalUrl: "/koa/a%20b?x=1",
      mountPath: "/koa",
      href: `http://${host}/koa/a%20b?x=1`,
    });
    expect(await (await fetch(`${url}/koa`)).json()).toMatchObject({ path: "/", originalUrl: "/koa" });
    expect(await (await fetch(`${url}/top`)).json()).toMatchObject({
      path: "/top",
      originalUrl: "/top",
      mountPath: null,
    });
  });

  it("follows the app's own proxy setting for ctx.ip, ctx.protocol and ctx.host", async () => {
    const show: Koa.Middleware = (ctx) => {
      ctx.body = { ip: ctx.ip, protocol: ctx.protocol, host: ctx.host };
    };
    const forwarded = {
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "public.example",
    };
    const trusting = await inject(fromKoa(new Koa({ proxy: true }).use(show)), { headers: forwarded, url: "/" });
    expect(await trusting.json()).toEqual({ ip: "203.0.113.7", protocol: "https", host: "public.example" });
    const wary = await inject(fromKoa(new Koa().use(show)), { headers: { ...forwarded, host: "local:1" } });
    expect(await wary.json()).toEqual({ ip: "127.0.0.1", protocol: "http", host: "local:1" });
  });

  it("carries the gateway request's env on to a gateway app the Koa app runs with toKoa", async () => {
    const inner: GatewayApp = (request) =>
      text(`${String(request.env["test.user"])} at ${request.basePath}|${request.path}`);
    const koa = new Koa().use(toKoa(inner));
    const withUser: GatewayApp = (request) => fromKoa(koa)({ ...request, env: { ...request.env, "test.user": "ada" } });
    const response = await inject(mount({ "/koa": withUser }), { url: "/koa/x" });
    expect(await response.text()).toBe("ada at /koa|/x");
  });

  it("reads the request body as a stream", async () => {
    const koa = new Koa().use(async (ctx) => {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      ctx.body = `${ctx.method} ${Buffer.concat(chunks).toString()}`;
    });
    const response = await inject(fromKoa(koa), { method: "PUT", url: "/", body: "payload" });
    expect(await response.text()).toBe("PUT payload");
  });
});

describe("fromKoa: not mine, and errors", () => {
  it("answers pass() for Koa's untouched 404, and a real 404 for one the app meant", async () => {
    const koa = new Koa().use(async (ctx, next) => {
      ctx.set("x-seen", "yes");
      if (ctx.path === "/explicit") ctx.status = 404;
      if (ctx.path === "/thrown") ctx.throw(404, "no such thing");
      if (ctx.path === "/body") ctx.body = "found";
      await next();
    });
    const app = fromKoa(koa);
    expect(isPass(await responseOf(app, "/untouched"))).toBe(true);
    expect(isPass(await responseOf(app, "/explicit"))).toBe(false);
    const thrown = await inject(app, { url: "/thrown" });
    expect([thrown.status, await thrown.text()]).toEqual([404, "no such thing"]);
    const fallback = cascade(app, () => text("fallback"));
    expect(await (await inject(fallback, { url: "/untouched" })).text()).toBe("fallback");
    expect(await (await inject(fallback, { url: "/body" })).text()).toBe("found");
  });

  it("rejects with the very error, printing nothing, while the app's own listeners still hear it", async () => {
    const boom = new Error("boom");
    const koa = new Koa().use(() => {
      throw boom;
    });
    const printed = vi.spyOn(console, "error").mockImplementation(() => {});
    await expect(inject(fromKoa(koa))).rejects.toBe(boom);
    expect(printed).not.toHaveBeenCalled();
    const heard: unknown[] = [];
    koa.on("error", (error) => heard.push(error));
    await expect(inject(fromKoa(koa))).rejects.toBe(boom);
    expect(heard).toEqual([boom]);
  });

  it("answers HTTP errors as Koa does, with their headers, in either mode", async () => {
    const koa = new Koa().use((ctx) => {
      ctx.set("x-dropped", "by onerror");
      ctx.throw(401, "who are you", { headers: { "www-authenticate": "Basic" } });
    });
    const response = await inject(fromKoa(koa));
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toBe("Basic");
    expect(response.headers["x-dropped"]).toBeUndefined();
    expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("who are you");
  });

  it('answers every error with Koa\'s own response in errors: "koa" mode', async () => {
    const koa = new Koa();
    koa.silent = true;
    koa.use(() => {
      throw new Error("secret");
    });
    const response = await inject(fromKoa(koa, { errors: "koa" }));
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("Internal Server Error");
  });

  it("treats a stream that fails before its first chunk as an app error, and one after as a truncation", async () => {
    const early = new Error("early");
    const koa = new Koa().use((ctx) => {
      ctx.body =
        ctx.path === "/early"
          ? new Readable({
              read() {
                this.destroy(early);
              },
            })
          : Readable.from(
              (async function* () {
                yield Buffer.from("partial");
                throw new Error("late");
              })(),
            );
    });
    await expect(inject(fromKoa(koa), { url: "/early" })).rejects.toBe(early);
    const late = await inject(fromKoa(koa), { url: "/late" });
    expect(late.status).toBe(200);
    await expect(late.text()).rejects.toThrow();
  });
});

describe("fromKoa: every body Koa accepts", () => {
  it("sends strings, Buffers, JSON, streams, web streams, Blobs, and null as Koa would", async () => {
    const koa = new Koa().use((ctx) => {
      const bodies: Record<string, () => unknown> = {
        "/string": () => "a string",
        "/html": () => "<p>html</p>",
        "/buffer": () => Buffer.from("a buffer"),
        "/json": () => ({ a: [1, 2] }),
        "/stream": () => Readable.from([Buffer.from("a "), Buffer.from("stream")]),
        "/web": () => new Blob(["a blob"]).stream(),
        "/blob": () => new Blob(["a typed blob"], { type: "text/x-blob" }),
        "/null": () => null,
      };
      ctx.body = bodies[ctx.path]!();
    });
    const app = fromKoa(koa);
    const expected: Array<[string, number, string | undefined, string]> = [
      ["/string", 200, "text/plain; charset=utf-8", "a string"],
      ["/html", 200, "text/html; charset=utf-8", "<p>html</p>"],
      ["/buffer", 200, "application/octet-stream", "a buffer"],
      ["/json", 200, "application/json; charset=utf-8", '{"a":[1,2]}'],
      ["/stream", 200, "application/octet-stream", "a stream"],
      ["/web", 200, "application/octet-stream", "a blob"],
      ["/blob", 200, "text/x-blob; charset=utf-8", "a typed blob"],
      ["/null", 204, undefined, ""],
    ];
    for (const [url, status, type, body] of expected) {
      const response = await inject(app, { url });
      expect([response.status, response.headers["content-type"], await response.text()], url).toEqual([
        status,
        type,
        body,
      ]);
    }
  });

  it("keeps every cookie of a Fetch Response body apart, after the ones the app set, with its statusText", async () => {
    const koa = new Koa().use((ctx) => {
      ctx.cookies.set("early", "1", { signed: false, httpOnly: false });
      const headers = new Headers({ "content-type": "text/plain" });
      headers.append("set-cookie", "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
      headers.append("set-cookie", "b=2");
      ctx.body = new Response("from a Response", { status: 202, statusText: "Taken In", headers });
    });
    const response = await inject(fromKoa(koa));
    expect(response.status).toBe(202);
    expect(response.statusText).toBe("Taken In");
    expect(response.headers["set-cookie"]).toEqual([
      "early=1; path=/",
      "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
      "b=2",
    ]);
    expect(await response.text()).toBe("from a Response");
  });

  it("makes ctx.message the reason phrase", async () => {
    const koa = new Koa().use((ctx) => {
      ctx.status = 299;
      ctx.message = "Quite Alright";
      ctx.body = "odd";
    });
    const response = await inject(fromKoa(koa));
    expect([response.status, response.statusText, await response.text()]).toEqual([299, "Quite Alright", "odd"]);
  });

  it("streams a slow Node stream chunk by chunk", async () => {
    let producedLast = false;
    const koa = new Koa().use((ctx) => {
      ctx.type = "text/event-stream";
      ctx.body = Readable.from(
        (async function* () {
          yield Buffer.from("data: first\n\n");
          await new Promise((resolve) => setTimeout(resolve, 200));
          producedLast = true;
          yield Buffer.from("data: last\n\n");
        })(),
      );
    });
    const url = await start(fromKoa(koa));
    const response = await fetch(url);
    const reader = response.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe("data: first\n\n");
    expect(producedLast).toBe(false);
    await reader.cancel();
  });

  it("works with apps that set ctx.respond = false and write to ctx.res themselves", async () => {
    const koa = new Koa().use((ctx) => {
      ctx.respond = false;
      ctx.res.writeHead(200, "Raw", { "content-type": "text/plain", "set-cookie": ["x=1", "y=2"] });
      ctx.res.write("raw ");
      setTimeout(() => ctx.res.end("write"), 10);
    });
    const response = await inject(fromKoa(koa));
    expect([response.status, response.statusText]).toEqual([200, "Raw"]);
    expect(response.headers["set-cookie"]).toEqual(["x=1", "y=2"]);
    expect(await response.text()).toBe("raw write");
  });

  it("answers HEAD with GET's length and 304 with no body, finishing the stream unsent", async () => {
    let destroyed = 0;
    const koa = new Koa().use((ctx) => {
      const stream = Readable.from([Buffer.from("never sent")]);
      stream.on("close", () => destroyed++);
      if (ctx.path === "/304") {
        ctx.status = 304;
        ctx.set("etag", '"v1"');
      }
      ctx.body = ctx.path === "/text" ? "twelve bytes" : stream;
      if (ctx.path === "/304") ctx.status = 304;
    });
    const head = await inject(fromKoa(koa), { method: "HEAD", url: "/text" });
    expect([head.status, head.headers["content-length"], await head.text()]).toEqual([200, "12", ""]);
    const notModified = await inject(fromKoa(koa), { url: "/304" });
    expect([notModified.status, notModified.headers.etag, await notModified.text()]).toEqual([304, '"v1"', ""]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(destroyed).toBe(1);
  });
});

describe("fromKoa under serve(): fused onto the real request", () => {
  it("answers an untouched 404 as serve() answers a pass, and runs on the real Node pair", async () => {
    let sawRealSocket = false;
    const koa = new Koa().use((ctx) => {
      sawRealSocket = ctx.req.socket instanceof Socket;
      if (ctx.path === "/hi") ctx.body = "hi";
    });
    const url = await start(fromKoa(koa));
    const hi = await fetch(`${url}/hi`);
    expect(await hi.text()).toBe("hi");
    expect(sawRealSocket).toBe(true);
    const missing = await fetch(`${url}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("Not Found");
  });
});
