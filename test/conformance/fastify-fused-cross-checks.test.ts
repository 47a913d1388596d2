import type { IncomingMessage } from "node:http";
import { fromExpress } from "@gangway/express";
import { toFastify } from "@gangway/fastify";
import express from "express";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { fastifyListener } from "../helpers/fastify-client.js";

/*
 * What the conformance run on the fused cross path cannot see: that it is fused at all, and that
 * fusion changes nothing a Fastify host observes — its not-found handler, its error handler, its
 * prefixes — compared with `fuse: false`.
 */

const listen = fastifyListener();

/** An Express app that records the Node request it got, with a route, a failure before and after the head. */
function legacy(seen: IncomingMessage[]) {
  return express()
    .get("/hello", (req, res) => {
      seen.push(req);
      res.type("text/plain").send(`hello ${req.baseUrl}|${req.originalUrl}|${req.url}`);
    })
    .get("/fail", () => {
      throw new Error("before the head");
    })
    .get("/late", (_req, res, next) => {
      res.write("partial ");
      setTimeout(() => next(new Error("after the head")), 10);
    });
}

/** A Fastify host with its own not-found and error handlers, and a record of what they saw. */
function host(fuse: boolean, prefix = "") {
  const seen: IncomingMessage[] = [];
  const hostRequests: IncomingMessage[] = [];
  const errors: string[] = [];
  const fastify = Fastify();
  fastify.addHook("onRequest", async (request) => {
    hostRequests.push(request.raw);
  });
  fastify.setNotFoundHandler((request, reply) => reply.code(404).send(`host 404 ${request.url}`));
  fastify.setErrorHandler((error: Error, _request, reply) => {
    errors.push(error.message);
    return reply.code(500).send("host error");
  });
  fastify.register(toFastify(fromExpress(legacy(seen)), { fuse }), { prefix });
  return { fastify, seen, hostRequests, errors };
}

describe("toFastify(fromExpress(app)): cross-pair fusion", () => {
  for (const fuse of [true, false]) {
    describe(fuse ? "fused" : "unfused (fuse: false)", () => {
      it("answers a route with the mount fields the unfused path shows", async () => {
        const { fastify, seen, hostRequests } = host(fuse);
        const client = await listen(fastify);
        const response = await client.send({ url: "/hello?x=1" });
        expect([response.status, await response.text()]).toEqual([200, "hello |/hello?x=1|/hello?x=1"]);
        // Fused, Express got the host's own request; unfused, a socketless one.
        expect(seen[0] === hostRequests[0]).toBe(fuse);
      });

      it("falls through to the host's not-found handler when no Express route matches", async () => {
        const { fastify } = host(fuse);
        const client = await listen(fastify);
        const response = await client.send({ url: "/nothing?q" });
        expect([response.status, await response.text()]).toEqual([404, "host 404 /nothing?q"]);
      });

      it("hands an error before the head to the host's error handler, once", async () => {
        const { fastify, errors } = host(fuse);
        const client = await listen(fastify);
        const response = await client.send({ url: "/fail" });
        expect([response.status, await response.text()]).toEqual([500, "host error"]);
        expect(errors).toEqual(["before the head"]);
      });

      it("cuts the response short on an error after the head and hands it to the host's error handler, once", async () => {
        const { fastify, errors } = host(fuse);
        const client = await listen(fastify);
        const response = await client.send({ url: "/late" });
        expect(response.status).toBe(200);
        await expect(response.text()).rejects.toMatchObject({ code: "ECONNRESET" });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(errors).toEqual(["after the head"]);
      });

      it("under a prefix, shows Express the prefix as the unfused path does", async () => {
        const { fastify } = host(fuse, "/legacy");
        const client = await listen(fastify);
        const response = await client.send({ url: "/legacy/hello?x=1" });
        expect(await response.text()).toBe("hello /legacy|/legacy/hello?x=1|/hello?x=1");
      });
    });
  }
});
