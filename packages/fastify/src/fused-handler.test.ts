import type { IncomingMessage } from "node:http";
import type { Middleware } from "@gangway/core";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { fastifyListener } from "../../../test/helpers/fastify-client.js";
import { fromFastify } from "./from-fastify.js";
import { toFastify } from "./to-fastify.js";

const passThrough: Middleware = (next) => (request) => next(request);

const listen = fastifyListener();
// The inner instances are never listened on; they are closed after each test as well.
const inners: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(inners.splice(0).map((instance) => instance.close()));
});

/** An inner instance that records the Node request its route got. */
function inner(seen: IncomingMessage[]): FastifyInstance {
  const instance = Fastify();
  instance.get("/users/:id", async (request, reply) => {
    seen.push(request.raw);
    reply.header("x-inner", "1").header("set-cookie", "inner=1");
    return { url: request.url, originalUrl: request.originalUrl };
  });
  instance.get("/fail", async () => {
    throw new Error("inner failure");
  });
  inners.push(instance);
  return instance;
}

describe("toFastify(fromFastify(instance)): fusion", () => {
  it("routes the host's own request through the instance, mounted under the prefix, and puts its URL back", async () => {
    const seen: IncomingMessage[] = [];
    const hostRequests: IncomingMessage[] = [];
    const urlsAfter: string[] = [];
    for (const app of [fromFastify(inner(seen)), passThrough(fromFastify(inner(seen)))]) {
      const host = Fastify();
      host.addHook("onRequest", async (request, reply) => {
        hostRequests.push(request.raw);
        reply.header("x-host", "kept");
        reply.raw.once("close", () => urlsAfter.push(request.url));
      });
      host.register(toFastify(app), { prefix: "/gw" });
      const client = await listen(host);
      const response = await client.send({ url: "/gw/users/7?x=1" });
      expect(JSON.parse(await response.text())).toEqual({ url: "/users/7?x=1", originalUrl: "/gw/users/7?x=1" });
      expect(response.headers["x-host"]).toBe("kept");
      expect(response.headers["x-inner"]).toBe("1");
    }
    // Fused, the instance got the host's request itself; unfused, a socketless one.
    expect(seen[0]).toBe(hostRequests[0]);
    expect(seen[1]).not.toBe(hostRequests[1]);
    expect(urlsAfter).toEqual(["/gw/users/7?x=1", "/gw/users/7?x=1"]);
  });

  it("falls through to the host's not-found handler, and hands 5xx errors to the host's error handler", async () => {
    const errors: string[] = [];
    const host = Fastify();
    host.setNotFoundHandler((request, reply) => reply.code(404).send(`host 404 ${request.url}`));
    host.setErrorHandler((error: Error, _request, reply) => {
      errors.push(error.message);
      reply.code(502).send("host error");
    });
    host.register(toFastify(fromFastify(inner([]))), { prefix: "/gw" });
    const client = await listen(host);
    const missing = await client.send({ url: "/gw/nothing?q" });
    expect([missing.status, await missing.text()]).toEqual([404, "host 404 /gw/nothing?q"]);
    const failed = await client.send({ url: "/gw/fail" });
    expect([failed.status, await failed.text()]).toEqual([502, "host error"]);
    expect(errors).toEqual(["inner failure"]);
  });

  it("does not fuse when the host has send or response hooks or a cookie waiting: they still apply", async () => {
    const seen: IncomingMessage[] = [];
    const hostRequests: IncomingMessage[] = [];
    const host = Fastify();
    host.addHook("onRequest", async (request, reply) => {
      hostRequests.push(request.raw);
      if (request.url.includes("cookie")) reply.header("set-cookie", "host=1");
    });
    host.register(async (child) => {
      child.addHook("onSend", async (_request, reply, payload) => {
        reply.header("x-on-send", "ran");
        return payload;
      });
      child.register(toFastify(fromFastify(inner(seen))), { prefix: "/hooked" });
    });
    host.register(toFastify(fromFastify(inner(seen))), { prefix: "/plain" });
    const responded: string[] = [];
    host.register(async (child) => {
      child.addHook("onResponse", async (request) => {
        responded.push(request.url);
      });
      child.register(toFastify(fromFastify(inner(seen))), { prefix: "/logged" });
    });
    const client = await listen(host);
    const hooked = await client.send({ url: "/hooked/users/1" });
    expect(hooked.headers["x-on-send"]).toBe("ran");
    const cookie = await client.send({ url: "/plain/users/2?cookie" });
    expect(cookie.headers["set-cookie"]).toEqual(["host=1", "inner=1"]);
    expect((await client.send({ url: "/logged/users/3" })).status).toBe(200);
    expect(responded).toEqual(["/logged/users/3"]);
    const fused = await client.send({ url: "/plain/users/4" });
    expect(fused.status).toBe(200);
    expect(seen.map((req, i) => req === hostRequests[i])).toEqual([false, false, false, true]);
  });
});
