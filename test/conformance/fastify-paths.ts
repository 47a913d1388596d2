import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type GatewayApp, type Middleware, serve } from "@gangway/core";
import { fromExpress, toExpress } from "@gangway/express";
import { fromFastify, type GatewayServerFactory, toFastify, toServerFactory } from "@gangway/fastify";
import { fromKoa, toKoa } from "@gangway/koa";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import Koa from "koa";
import { httpClient, injectClient, quietErrors } from "./paths.js";
import type { ConformancePath, PathClient } from "./suite.js";

/** Defeats fusion: the product of `fromFastify` is no longer what the next adapter receives. */
export const passThrough: Middleware = (next) => (request) => next(request);

/** Fastify's `bodyLimit` for the instances here: the behaviours upload 10 MiB; Fastify's default is 1 MiB. */
const bodyLimit = 64 * 1024 * 1024;

/**
 * A Fastify server as a production deployment runs it. Fastify's default error handler shows
 * `error.message` in a 500's JSON body; a production host hides it, as `serve()` does — the
 * behaviours check that no detail leaks, so the host sets the handler it would have in production.
 * Given a `serverFactory`, Fastify's server comes from it.
 */
export function fastifyHost(serverFactory?: GatewayServerFactory): FastifyInstance {
  const fastify = (
    serverFactory === undefined ? Fastify({ bodyLimit }) : Fastify({ bodyLimit, serverFactory })
  ) as FastifyInstance;
  fastify.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status < 500) return reply.send(error);
    return reply.code(500).send({ statusCode: 500, error: "Internal Server Error", message: "Internal Server Error" });
  });
  return fastify;
}

/** A Fastify instance whose only plugin is `app`: what `fromFastify` wraps on the from-paths. */
export function fastifyApp(app: GatewayApp): FastifyInstance {
  return Fastify({ bodyLimit }).register(toFastify(app)) as unknown as FastifyInstance;
}

/** Listens on 127.0.0.1:0 and talks to it over HTTP; `prefix` goes in front of every target. */
export async function listenFastify(fastify: FastifyInstance, prefix = ""): Promise<PathClient> {
  await fastify.listen({ port: 0, host: "127.0.0.1" });
  const { port } = fastify.server.address() as AddressInfo;
  const client = await httpClient(`http://127.0.0.1:${port}`, () => fastify.close());
  return prefix === ""
    ? client
    : { ...client, send: (request) => client.send({ ...request, url: prefix + request.url }) };
}

/** A gateway app in a Fastify host: `fastify.register(toFastify(app))`. */
export const fastifyHostPath: ConformancePath = {
  name: "toFastify (Fastify host)",
  transport: "http",
  errors: "respond",
  malformedPaths: "refuse",
  start: (app) => listenFastify(fastifyHost().register(toFastify(app)) as unknown as FastifyInstance),
};

/** The same under a prefix: `fastify.register(toFastify(app), { prefix: "/gw" })`. */
export const fastifyPrefixPath: ConformancePath = {
  name: "toFastify under the prefix /gw",
  transport: "http",
  errors: "respond",
  malformedPaths: "refuse",
  start: (app) =>
    listenFastify(fastifyHost().register(toFastify(app), { prefix: "/gw" }) as unknown as FastifyInstance, "/gw"),
};

/** `serve(fromFastify(fastify))`, fused or with a pass-through middleware in between. */
export function fastifyServePath(fused: boolean): ConformancePath {
  return {
    name: `serve(fromFastify(…)) ${fused ? "fused" : "unfused"}`,
    transport: "http",
    errors: "respond",
    malformedPaths: "refuse",
    async start(app) {
      const wrapped = fromFastify(fastifyApp(app));
      const server = await serve(fused ? wrapped : passThrough(wrapped), { onError: quietErrors });
      return httpClient(server.url, () => server.close());
    },
  };
}

/** `inject(fromFastify(fastify))`: no socket at all. */
export const fastifyInjectPath: ConformancePath = {
  name: "inject(fromFastify(…))",
  transport: "inject",
  errors: "reject",
  malformedPaths: "refuse",
  async start(app) {
    const wrapped = fromFastify(fastifyApp(app));
    const client = injectClient(wrapped);
    return { ...client, close: () => wrapped.shutdown?.() ?? Promise.resolve() };
  },
};

/** Fastify → gateway → Fastify: a host serving `toFastify(fromFastify(fastifyApp(app)))`. */
export function fastifyRoundTripPath(fused: boolean): ConformancePath {
  return {
    name: `toFastify(fromFastify(…)) ${fused ? "fused" : "unfused"}`,
    transport: "http",
    errors: "respond",
    malformedPaths: "refuse",
    async start(app) {
      const inner = fromFastify(fastifyApp(app));
      const host = fastifyHost().register(toFastify(fused ? inner : passThrough(inner)));
      const client = await listenFastify(host as unknown as FastifyInstance);
      return { ...client, close: () => client.close().then(() => inner.shutdown?.()) };
    },
  };
}

/**
 * Fastify mounted in Express: `express().use(toExpress(fromFastify(fastifyApp(app)), { fuse }))` —
 * fused, Fastify routes Express's own req/res (rule 35); unfused, the socketless pair.
 */
export function fastifyInExpressPath(fuse: boolean): ConformancePath {
  return {
    name: `toExpress(fromFastify(…)${fuse ? "" : ", { fuse: false }"}) in Express`,
    transport: "http",
    errors: "respond",
    malformedPaths: "refuse",
    async start(app) {
      const wrapped = fromFastify(fastifyApp(app));
      const host = express().use(toExpress(wrapped, { fuse }));
      const server = createServer(host);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      return httpClient(`http://127.0.0.1:${port}`, async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await wrapped.shutdown?.();
      });
    },
  };
}

/**
 * Express mounted in Fastify: `fastify.register(toFastify(fromExpress(express().use(toExpress(app))),
 * { fuse }), { prefix })` — fused, Express runs on Fastify's own `request.raw`/`reply.raw`
 * (rule 35); unfused, on the socketless pair.
 */
export function expressInFastifyPath(fuse: boolean, prefix = ""): ConformancePath {
  return crossInFastify(`toFastify(fromExpress(…)`, fuse, prefix, (app) => fromExpress(express().use(toExpress(app))));
}

/**
 * Express mounted in Fastify, fused, on the server `toServerFactory` builds: Fastify's own
 * `request.raw`/`reply.raw` are made on Express's prototypes, so Express's swap changes nothing.
 */
export function expressOnServerFactoryPath(): ConformancePath {
  return {
    name: "toFastify(fromExpress(…)) in Fastify on toServerFactory",
    transport: "http",
    errors: "respond",
    malformedPaths: "refuse",
    start: (app) => {
      const legacy = fromExpress(express().use(toExpress(app)));
      return listenFastify(
        fastifyHost(toServerFactory(legacy)).register(toFastify(legacy)) as unknown as FastifyInstance,
      );
    },
  };
}

/** Koa mounted in Fastify: `fastify.register(toFastify(fromKoa(new Koa().use(toKoa(app))), { fuse }), { prefix })`. */
export function koaInFastifyPath(fuse: boolean, prefix = ""): ConformancePath {
  return crossInFastify(`toFastify(fromKoa(…)`, fuse, prefix, (app) => fromKoa(new Koa().use(toKoa(app))));
}

function crossInFastify(
  name: string,
  fuse: boolean,
  prefix: string,
  wrap: (app: GatewayApp) => GatewayApp,
): ConformancePath {
  const under = prefix === "" ? "" : ` under the prefix ${prefix}`;
  return {
    name: `${name}${fuse ? "" : ", { fuse: false }"}) in Fastify${under}`,
    transport: "http",
    errors: "respond",
    malformedPaths: "refuse",
    start: (app) =>
      listenFastify(
        fastifyHost().register(toFastify(wrap(app), { fuse }), { prefix }) as unknown as FastifyInstance,
        prefix,
      ),
  };
}
