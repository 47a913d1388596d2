import { createServer, request as httpRequest, type IncomingHttpHeaders, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import { fromKoa } from "./from-koa.js";
import { toKoa } from "./to-koa.js";

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

async function listen(koa: { callback(): RequestListener }): Promise<string> {
  const server = createServer(koa.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; reason: string; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          reason: res.statusMessage ?? "",
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * A host around `toKoa(fromKoa(inner), { fuse })`: headers and a cookie before, a header after,
 * errors caught and shown, and a downstream answer for what falls through.
 */
function hostAround(inner: Koa, fuse: boolean): Koa {
  const host = new Koa();
  host.use(async (ctx, next) => {
    ctx.set("x-host-before", "kept");
    ctx.cookies.set("host", "1", { signed: false, httpOnly: false });
    try {
      await next();
    } catch (error) {
      ctx.status = 599;
      ctx.body = `host caught: ${(error as Error).message}`;
    }
    ctx.set("x-host-after", String(ctx.status));
  });
  host.use(toKoa(fromKoa(inner), { fuse }));
  host.use((ctx) => {
    ctx.body = `downstream; inner header: ${ctx.response.get("x-inner") || "none"}`;
  });
  return host;
}

/** The inner Koa app: one route per observable. */
function innerApp(seen: { req?: unknown }): Koa {
  const inner = new Koa();
  inner.use(async (ctx, next) => {
    seen.req = ctx.req;
    ctx.set("x-inner", "set");
    switch (ctx.path) {
      case "/where":
        ctx.body = { path: ctx.path, originalUrl: ctx.originalUrl, mountPath: ctx.mountPath ?? null };
        return;
      case "/fail":
        throw new Error("inner failed");
      case "/forbidden":
        ctx.throw(403, "inner says no");
        return;
      case "/early-stream":
        ctx.body = new Readable({
          read() {
            this.destroy(new Error("stream failed early"));
          },
        });
        return;
      case "/cookies":
        ctx.cookies.set("inner", "2", { signed: false, httpOnly: false });
        ctx.status = 201;
        ctx.message = "Inner Made";
        ctx.body = "with cookies";
        return;
      case "/echo": {
        const chunks: Buffer[] = [];
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
        ctx.body = `${ctx.get("content-length")}:${Buffer.concat(chunks).toString()}`;
        return;
      }
      case "/raw":
        ctx.respond = false;
        ctx.res.writeHead(200, { "content-type": "text/plain" });
        ctx.res.end("written by hand");
        return;
    }
    await next();
  });
  return inner;
}

for (const fuse of [true, false]) {
  describe(`toKoa(fromKoa(inner)), ${fuse ? "fused" : "unfused"}`, () => {
    it(fuse ? "runs the inner app on the host's own req" : "runs the inner app on a socketless req", async () => {
      const seen: { req?: unknown } = {};
      let hostReq: unknown;
      const host = new Koa().use(async (ctx, next) => {
        hostReq = ctx.req;
        await next();
      });
      host.use(toKoa(fromKoa(innerApp(seen)), { fuse }));
      await send(`${await listen(host)}/where`);
      expect(seen.req === hostReq).toBe(fuse);
    });

    it("shows the inner app the mount as koa-mount would, below a host prefix", async () => {
      const host = new Koa().use(async (ctx, next) => {
        // A host that consumed "/gw" itself, as koa-mount does.
        if (!ctx.path.startsWith("/gw")) return next();
        const prefix = ctx.path;
        ctx.path = ctx.path.slice(3) || "/";
        try {
          await next();
        } finally {
          ctx.path = prefix;
        }
      });
      host.use(toKoa(fromKoa(innerApp({})), { fuse }));
      const response = await send(`${await listen(host)}/gw/where?x=1`);
      expect(JSON.parse(response.body)).toEqual({ path: "/where", originalUrl: "/gw/where?x=1", mountPath: "/gw" });
    });

    it("falls through on the inner app's untouched 404, leaving none of its headers behind", async () => {
      const response = await send(`${await listen(hostAround(innerApp({}), fuse))}/unknown`);
      expect(response.status).toBe(200);
      expect(response.body).toBe("downstream; inner header: none");
      expect(response.headers["x-inner"]).toBeUndefined();
      expect(response.headers["x-host-before"]).toBe("kept");
      expect(response.headers["x-host-after"]).toBe("200");
    });

    it("throws the inner app's errors into the host chain, a stream failing before its first chunk too", async () => {
      const origin = await listen(hostAround(innerApp({}), fuse));
      for (const [path, message] of [
        ["/fail", "inner failed"],
        ["/early-stream", "stream failed early"],
      ]) {
        const response = await send(origin + path);
        expect([response.status, response.body], path).toEqual([599, `host caught: ${message}`]);
        expect(response.headers["x-inner"]).toBeUndefined();
      }
    });

    it("answers the inner app's HTTP errors as Koa does", async () => {
      const response = await send(`${await listen(hostAround(innerApp({}), fuse))}/forbidden`);
      expect([response.status, response.body]).toEqual([403, "inner says no"]);
      expect(response.headers["x-host-after"]).toBe("403");
    });

    it("merges the inner answer over the host's headers, cookies appended, reason phrase kept", async () => {
      const response = await send(`${await listen(hostAround(innerApp({}), fuse))}/cookies`);
      expect([response.status, response.reason, response.body]).toEqual([201, "Inner Made", "with cookies"]);
      expect(response.headers["set-cookie"]).toEqual(["host=1; path=/", "inner=2; path=/"]);
      expect(response.headers["x-inner"]).toBe("set");
      expect(response.headers["x-host-before"]).toBe("kept");
      expect(response.headers["x-host-after"]).toBe("201");
    });

    it("gives the inner app the body a host parser already read", async () => {
      const host = new Koa().use(async (ctx, next) => {
        const chunks: Buffer[] = [];
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
        (ctx.request as { rawBody?: string }).rawBody = Buffer.concat(chunks).toString();
        (ctx.request as { body?: unknown }).body = JSON.parse((ctx.request as { rawBody?: string }).rawBody!);
        await next();
      });
      host.use(toKoa(fromKoa(innerApp({})), { fuse }));
      const response = await send(`${await listen(host)}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"a": 1}',
      });
      expect(response.body).toBe('8:{"a": 1}');
    });

    it("lets an inner app with ctx.respond = false write the response itself", async () => {
      const response = await send(`${await listen(hostAround(innerApp({}), fuse))}/raw`);
      expect([response.status, response.body]).toEqual([200, "written by hand"]);
    });
  });
}
