import { json, type RunningServer, serve } from "@gangway/core";
import { fromExpress } from "@gangway/express";
import { fromFastify } from "@gangway/fastify";
import { fromKoa } from "@gangway/koa";
import express from "express";
import Fastify from "fastify";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "../helpers/http-client.js";

/**
 * Rule 7 through the hosts: a client's x-forwarded-* headers change what an app sees only where
 * the operator opted in — Express's `trust proxy`, Koa's `proxy`, Fastify's `trustProxy` — and
 * the opt-in works the same with the host app behind Gangway as served natively.
 */
const spoof = { "x-forwarded-for": "203.0.113.66", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example" };
const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$/;

let running: RunningServer | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  client?.close();
  await running?.close();
});

async function seen(app: Parameters<typeof serve>[0]): Promise<{ ip: string; protocol: string }> {
  running = await serve(app);
  client = new HttpClient(running.url);
  return JSON.parse(await (await client.send({ url: "/", headers: spoof })).text());
}

describe("forwarded headers through the from-adapters", () => {
  for (const trust of [false, true]) {
    const expectIp = (ip: string) => (trust ? expect(ip).toBe("203.0.113.66") : expect(ip).toMatch(LOOPBACK));
    const expectProtocol = (protocol: string) => expect(protocol).toBe(trust ? "https" : "http");

    it(`Express with trust proxy ${trust}: req.ip and req.protocol ${trust ? "follow" : "ignore"} them`, async () => {
      const app = express()
        .set("trust proxy", trust)
        .get("/", (req, res) => void res.json({ ip: req.ip, protocol: req.protocol }));
      const { ip, protocol } = await seen(fromExpress(app));
      expectIp(ip);
      expectProtocol(protocol);
    });

    it(`Koa with proxy ${trust}: ctx.ip and ctx.protocol ${trust ? "follow" : "ignore"} them`, async () => {
      const koa = new Koa({ proxy: trust });
      koa.use((ctx) => {
        ctx.body = { ip: ctx.ip, protocol: ctx.protocol };
      });
      const { ip, protocol } = await seen(fromKoa(koa));
      expectIp(ip);
      expectProtocol(protocol);
    });

    it(`Fastify with trustProxy ${trust}: request.ip and request.protocol ${trust ? "follow" : "ignore"} them`, async () => {
      const fastify = Fastify({ trustProxy: trust });
      fastify.get("/", (request) => ({ ip: request.ip, protocol: request.protocol }));
      const app = fromFastify(fastify);
      try {
        const { ip, protocol } = await seen(app);
        expectIp(ip);
        expectProtocol(protocol);
      } finally {
        await app.shutdown?.();
      }
    });
  }

  it("a gateway app behind serve() sees the socket's scheme and address, whatever the headers say", async () => {
    const { ip, protocol } = await seen((request) => json({ ip: request.remoteAddress, protocol: request.scheme }));
    expect(ip).toMatch(LOOPBACK);
    expect(protocol).toBe("http");
  });
});
