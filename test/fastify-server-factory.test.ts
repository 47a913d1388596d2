import { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GatewayError, text } from "@gangway/core";
import { fromExpress } from "@gangway/express";
import { toFastify, toServerFactory } from "@gangway/fastify";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";

/**
 * `toServerFactory`: Fastify's server, built on the prototypes of the Express app it hosts, so that
 * Express's per-request prototype swap on Fastify's own messages changes nothing.
 */

const open: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((fastify) => fastify.close()));
});

async function listen(fastify: FastifyInstance): Promise<string> {
  open.push(fastify);
  await fastify.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
}

describe("toServerFactory", () => {
  it("builds Fastify's messages on the hosted Express app's prototypes: Express's swap finds them in place", async () => {
    const inner = express();
    inner.get("/legacy/hello", (req, res) => {
      res.set("x-seen-url", req.originalUrl).send("hello from express");
    });
    const legacy = fromExpress(inner);
    const fastify = Fastify({ serverFactory: toServerFactory(legacy) });
    let raw: IncomingMessage | undefined;
    fastify.get("/native", (request, reply) => {
      raw = request.raw;
      reply.send("native");
    });
    await fastify.register(toFastify(legacy));
    const url = await listen(fastify);

    const swapped: boolean[] = [];
    const swap = Object.setPrototypeOf;
    Object.setPrototypeOf = (target: object, prototype: object | null) => {
      if (prototype === inner.request || prototype === inner.response) {
        swapped.push(Object.getPrototypeOf(target) === prototype);
      }
      return swap(target, prototype);
    };
    let response: Response;
    try {
      response = await fetch(`${url}/legacy/hello?x=1`);
    } finally {
      Object.setPrototypeOf = swap;
    }
    expect(response.status).toBe(200);
    expect(response.headers.get("x-seen-url")).toBe("/legacy/hello?x=1");
    expect(await response.text()).toBe("hello from express");
    // req, then res: each already on the prototype Express swaps it to.
    expect(swapped).toEqual([true, true]);

    // Fastify's own routes run on the same messages, as they do after @fastify/express's hook.
    const native = await fetch(`${url}/native`);
    expect(await native.text()).toBe("native");
    expect(Object.getPrototypeOf(raw)).toBe(inner.request);
    expect(raw).toBeInstanceOf(IncomingMessage);
  });

  it("builds the server Fastify would build: its timeouts and request limits carry over", async () => {
    const settings = { keepAliveTimeout: 1234, requestTimeout: 5678, connectionTimeout: 4321, maxRequestsPerSocket: 7 };
    const own = Fastify(settings);
    const made = Fastify({ ...settings, serverFactory: toServerFactory(fromExpress(express())) });
    open.push(own, made);
    for (const key of ["keepAliveTimeout", "requestTimeout", "timeout", "maxRequestsPerSocket"] as const) {
      expect([key, made.server[key]]).toEqual([key, own.server[key]]);
    }
    // Fastify's defaults too (keepAliveTimeout 72 s where Node's is 5 s).
    const defaults = Fastify({ serverFactory: toServerFactory(fromExpress(express())) });
    const plain = Fastify();
    open.push(defaults, plain);
    expect(defaults.server.keepAliveTimeout).toBe(plain.server.keepAliveTimeout);
    expect(defaults.server.keepAliveTimeout).toBe(72_000);
  });

  it("keeps node:http's classes for an app without prototypes of its own, or with fuse: false", async () => {
    for (const factory of [
      toServerFactory(() => text("gateway")),
      toServerFactory(fromExpress(express()), { fuse: false }),
    ]) {
      const fastify = Fastify({ serverFactory: factory });
      let raw: object | undefined;
      let reply: object | undefined;
      fastify.get("/", (request, rep) => {
        raw = request.raw;
        reply = rep.raw;
        rep.send("plain");
      });
      const url = await listen(fastify);
      expect(await (await fetch(url)).text()).toBe("plain");
      expect(Object.getPrototypeOf(raw)).toBe(IncomingMessage.prototype);
      expect(Object.getPrototypeOf(reply)).toBe(ServerResponse.prototype);
    }
  });

  it("refuses what it cannot build with GW_ERR_INVALID_APP: an HTTP/2 server, an app that is not a function", () => {
    const factory = toServerFactory(fromExpress(express()));
    const http2 = (() => {
      try {
        // Typed for HTTP/1 servers, as the factory is: the call is the mistake under test.
        Fastify({ http2: true, serverFactory: factory } as never);
      } catch (error) {
        return error;
      }
    })();
    expect(GatewayError.is(http2) && http2.code).toBe("GW_ERR_INVALID_APP");
    const notApp = (() => {
      try {
        toServerFactory("app" as never);
      } catch (error) {
        return error;
      }
    })();
    expect(GatewayError.is(notApp) && notApp.code).toBe("GW_ERR_INVALID_APP");
  });
});
