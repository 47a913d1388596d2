import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { type GatewayApp, mount, text } from "@gangway/core";
import { toExpress } from "@gangway/express";
import { toFastify } from "@gangway/fastify";
import { toKoa } from "@gangway/koa";
import express, { type RequestHandler } from "express";
import Fastify, { type FastifyInstance } from "fastify";
import Koa from "koa";
import { afterAll, describe, expect, it } from "vitest";
import { rawExchange, rawRequest } from "./raw-http.js";

/**
 * Rule 33 against the hosts' own guards. A host guards `/admin` natively (an Express or Koa
 * middleware, Fastify routes); the same guard is written once more in Gangway (a `mount` answering
 * 403 under `/admin`), and Gangway is asked to route `/admin` behind the host's guard. For every
 * spelling below, what each stack does is compared with what the native app does.
 */
const TARGETS = [
  "/admin",
  "/ADMIN",
  "/admin/",
  "//admin",
  "/%61dmin",
  "/x/../admin",
  "/x/%2e%2e/admin",
  "/admin%2F",
  "/admin;x",
] as const;

type Outcome = "forbidden" | "secret" | "public" | `status ${number}`;

const forbidden: GatewayApp = () => text("forbidden", { status: 403 });
const secret: GatewayApp = () => text("secret");
const publicApp: GatewayApp = () => text("public");

/** A host's request listener on 127.0.0.1, asked each target raw (no client normalises it). */
async function outcomes(listener: RequestListener): Promise<Record<string, Outcome>> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const target = { host: "127.0.0.1", port, prefix: "" };
  const seen: Record<string, Outcome> = {};
  try {
    for (const path of TARGETS) {
      const reply = await rawExchange(target, rawRequest(target, "GET", path));
      const body = reply.body.toString();
      seen[path] =
        reply.status === 403
          ? "forbidden"
          : reply.status === 200 && (body === "secret" || body === "public")
            ? body
            : `status ${reply.status}`;
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return seen;
}

const stopped = (outcome: Outcome) => outcome !== "secret" && outcome !== "public";

/**
 * Asserts that `through` stops every request `native` stops and never serves the secret; the
 * failure lists every spelling that got through, with what the two stacks did. Behind a host guard,
 * `//admin`, `/%61dmin` and `/x/../admin` pass the guard raw but name `/admin` normalized: `mount`
 * refuses them (rule 33 (g)) where it used to route them to its `/admin` app.
 */
function expectNoBypass(native: Record<string, Outcome>, through: Record<string, Outcome>): void {
  const bypasses = TARGETS.filter(
    (path) => through[path] === "secret" || (stopped(native[path]!) && !stopped(through[path]!)),
  ).map((path) => `${path}: native ${native[path]}, through Gangway ${through[path]}`);
  expect(bypasses).toEqual([]);
}

describe("Express: a guard on /admin, natively and through Gangway", () => {
  const deny: RequestHandler = (_req, res) => void res.status(403).send("forbidden");
  const native = () =>
    express()
      .use("/admin", deny)
      .get("/admin", (_req, res) => void res.send("secret"))
      .use((_req, res) => void res.send("public"));

  it("the guard written as a Gangway mount stops every request the Express guard stops, and the secret route is never reached", async () => {
    const nativeSeen = await outcomes(native());
    // Express routes case-insensitively by default; the Gangway guard is told to match alike.
    const guard = toExpress(mount({ "/admin": forbidden }, undefined, { caseSensitive: false }));
    const gangwaySeen = await outcomes(
      express()
        .use(guard)
        .get("/admin", (_req, res) => void res.send("secret"))
        .use((_req, res) => void res.send("public")),
    );
    expectNoBypass(nativeSeen, gangwaySeen);
  });

  it("Gangway routing behind the Express guard serves /admin only to what the guard let through", async () => {
    const nativeSeen = await outcomes(native());
    const routed = toExpress(mount({ "/admin": secret }, publicApp, { caseSensitive: false }));
    const gangwaySeen = await outcomes(express().use("/admin", deny).use(routed));
    expectNoBypass(nativeSeen, gangwaySeen);
  });
});

describe("Koa: a guard on /admin, natively and through Gangway", () => {
  const isAdmin = (path: string) => path === "/admin" || path.startsWith("/admin/");
  const guard: Koa.Middleware = async (ctx, next) => {
    if (!isAdmin(ctx.path)) return next();
    ctx.status = 403;
    ctx.body = "forbidden";
  };
  const routes: Koa.Middleware = (ctx) => {
    ctx.body = isAdmin(ctx.path) ? "secret" : "public";
  };
  const native = () => new Koa().use(guard).use(routes).callback();

  it("the guard written as a Gangway mount stops every request the Koa guard stops, and the secret route is never reached", async () => {
    const nativeSeen = await outcomes(native());
    const gangwaySeen = await outcomes(
      new Koa()
        .use(toKoa(mount({ "/admin": forbidden })))
        .use(routes)
        .callback(),
    );
    expectNoBypass(nativeSeen, gangwaySeen);
  });

  it("Gangway routing behind the Koa guard serves /admin only to what the guard let through", async () => {
    const nativeSeen = await outcomes(native());
    const gangwaySeen = await outcomes(
      new Koa()
        .use(guard)
        .use(toKoa(mount({ "/admin": secret }, publicApp)))
        .callback(),
    );
    expectNoBypass(nativeSeen, gangwaySeen);
  });
});

describe("Fastify: /admin guarded by routes, natively and through Gangway", () => {
  const instances: Array<{ close(): Promise<unknown> }> = [];
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.close()));
  });
  /** A Fastify instance ready to serve, as a plain Node listener. */
  async function listener(build: (fastify: FastifyInstance) => void): Promise<RequestListener> {
    const fastify = Fastify();
    build(fastify);
    await fastify.ready();
    instances.push(fastify);
    return (req, res) => fastify.routing(req, res);
  }
  const guardRoutes = (fastify: FastifyInstance) => {
    for (const path of ["/admin", "/admin/*"])
      fastify.all(path, (_request, reply) => reply.code(403).send("forbidden"));
  };

  it("Gangway routing beside the guard routes serves /admin only to what the guard let through", async () => {
    const nativeSeen = await outcomes(
      await listener((fastify) => {
        guardRoutes(fastify);
        fastify.all("/*", (_request, reply) => reply.send("public"));
      }),
    );
    const gangwaySeen = await outcomes(
      await listener((fastify) => {
        guardRoutes(fastify);
        fastify.register(toFastify(mount({ "/admin": secret }, publicApp)));
      }),
    );
    expectNoBypass(nativeSeen, gangwaySeen);
  });
});
