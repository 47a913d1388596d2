import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { type GatewayApp, type Middleware, serve } from "@gangway/core";
import { fromExpress, toExpress } from "@gangway/express";
import { fromFastify, toFastify } from "@gangway/fastify";
import { fromKoa, toKoa } from "@gangway/koa";
import express, { type ErrorRequestHandler } from "express";
import Fastify, { type FastifyInstance } from "fastify";
import Koa from "koa";
import { listenFastify } from "../conformance/fastify-paths.js";
import { httpClient, injectClient, quietErrors } from "../conformance/paths.js";
import type { ConformancePath, PathClient } from "../conformance/suite.js";

/*
 * The adapter paths of the conformance suite, rebuilt from the same public functions, each
 * direction of each adapter: the app inside a host (`to*`), and a host app made a gateway app
 * (`from*`) — fused, unfused, and socketless. Hosts report the errors that reach their error path
 * to `quietErrors`, where the reliability suite reads their codes.
 */

/** Defeats fusion: the product of a `from*` adapter is no longer what the server receives. */
const passThrough: Middleware = (next) => (request) => next(request);

/** Listens on 127.0.0.1:0 with Node's server, closing idle connections only (as serve() does). */
async function listen(listener: RequestListener, after?: () => Promise<void> | void): Promise<PathClient> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return httpClient(`http://127.0.0.1:${port}`, async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    await closed;
    await after?.();
  });
}

/** Express's error path, observed: the error is reported, then handed to Express's final handler. */
const reportToExpress: ErrorRequestHandler = (error, _req, _res, next) => {
  quietErrors(error);
  next(error);
};

/** The app in a real Express server: `express().use(toExpress(app))`. */
export const toExpressPath: ConformancePath = {
  name: "express().use(toExpress(app))",
  transport: "http",
  errors: "respond",
  start: async (app) => listen(express().use(toExpress(app)).use(reportToExpress)),
};

/** An Express app around the app, served by `serve()` and fused: Express runs on the server's req/res. */
export const fromExpressFusedPath: ConformancePath = {
  name: "serve(fromExpress(express().use(toExpress(app)))) fused",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(fromExpress(express().use(toExpress(app))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

/** The same, unfused: Express runs on fromNodeListener's socketless pair. */
export const fromExpressPath: ConformancePath = {
  name: "serve(passThrough(fromExpress(express().use(toExpress(app)))))",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(passThrough(fromExpress(express().use(toExpress(app)))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

/** `inject(fromExpress(...))`: no socket anywhere. */
export const fromExpressInjectPath: ConformancePath = {
  name: "inject(fromExpress(express().use(toExpress(app))))",
  transport: "inject",
  errors: "reject",
  start: async (app) => injectClient(fromExpress(express().use(toExpress(app)))),
};

/** A Koa host whose error path reports: `koa.on("error")` replaces Koa's default logger. */
function reportingKoa(): Koa {
  const koa = new Koa();
  koa.on("error", (error: unknown) => quietErrors(error));
  return koa;
}

/** The app as Koa middleware in a real Koa host. */
export const toKoaPath: ConformancePath = {
  name: "new Koa().use(toKoa(app))",
  transport: "http",
  errors: "respond",
  start: async (app) => listen(reportingKoa().use(toKoa(app)).callback()),
};

/** A Koa app around the app, served by `serve()` and fused. */
export const fromKoaFusedPath: ConformancePath = {
  name: "serve(fromKoa(new Koa().use(toKoa(app)))) fused",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(fromKoa(new Koa().use(toKoa(app))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

/** The same, unfused. */
export const fromKoaPath: ConformancePath = {
  name: "serve(passThrough(fromKoa(new Koa().use(toKoa(app)))))",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(passThrough(fromKoa(new Koa().use(toKoa(app)))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

/** `inject(fromKoa(...))`. */
export const fromKoaInjectPath: ConformancePath = {
  name: "inject(fromKoa(new Koa().use(toKoa(app))))",
  transport: "inject",
  errors: "reject",
  start: async (app) => injectClient(fromKoa(new Koa().use(toKoa(app)))),
};

/**
 * Fastify's `bodyLimit` here: the faults upload more than its 1 MiB default, and the 1 GiB run a
 * whole gigabyte. (The app's own limits are `readBytes`'.)
 */
const bodyLimit = 2 * 1024 * 1024 * 1024;

/** A Fastify instance whose only plugin is `app`: what `fromFastify` wraps on the from-paths. */
function fastifyApp(app: GatewayApp): FastifyInstance {
  return Fastify({ bodyLimit }).register(toFastify(app)) as unknown as FastifyInstance;
}

/** A Fastify host as production runs it (no detail in a 500), whose error handler reports. */
function reportingFastify(): FastifyInstance {
  const fastify = Fastify({ bodyLimit });
  fastify.setErrorHandler((error: { statusCode?: number; status?: number }, _request, reply) => {
    quietErrors(error);
    // Fastify's default handler honours `status` as well (a GatewayError carries one).
    const status = error.statusCode ?? error.status ?? 500;
    if (status < 500) return reply.send(error);
    return reply.code(500).send({ statusCode: 500, error: "Internal Server Error", message: "Internal Server Error" });
  });
  return fastify;
}

/** The app as a Fastify plugin in a real Fastify host. */
export const toFastifyPath: ConformancePath = {
  name: "fastify.register(toFastify(app))",
  transport: "http",
  errors: "respond",
  malformedPaths: "refuse",
  start: (app) => listenFastify(reportingFastify().register(toFastify(app)) as unknown as FastifyInstance),
};

/** A Fastify instance around the app, served by `serve()`, fused or not. */
function fromFastifyServePath(fused: boolean): ConformancePath {
  return {
    name: fused
      ? "serve(fromFastify(fastify.register(toFastify(app)))) fused"
      : "serve(passThrough(fromFastify(fastify.register(toFastify(app)))))",
    transport: "http",
    errors: "respond",
    malformedPaths: "refuse",
    async start(app: GatewayApp) {
      const wrapped = fromFastify(fastifyApp(app));
      const server = await serve(fused ? wrapped : passThrough(wrapped), { onError: quietErrors });
      return httpClient(server.url, async () => {
        await server.close();
        await wrapped.shutdown?.();
      });
    },
  };
}

export const fromFastifyFusedPath = fromFastifyServePath(true);
export const fromFastifyPath = fromFastifyServePath(false);

/** `inject(fromFastify(...))`. */
export const fromFastifyInjectPath: ConformancePath = {
  name: "inject(fromFastify(fastify.register(toFastify(app))))",
  transport: "inject",
  errors: "reject",
  malformedPaths: "refuse",
  async start(app) {
    const wrapped = fromFastify(fastifyApp(app));
    return { ...injectClient(wrapped), close: async () => wrapped.shutdown?.() };
  },
};

/**
 * Cross pairs, fused (rule 35): one framework's app handed another host's real req/res through the
 * Node listener a `fromNodeListener` product carries. Koa in Express (Express's error path
 * reports), Express and Koa in Fastify (Fastify's error handler reports).
 */
export const koaInExpressFusedPath: ConformancePath = {
  name: "express().use(toExpress(fromKoa(new Koa().use(toKoa(app))))) fused",
  transport: "http",
  errors: "respond",
  start: async (app) =>
    listen(
      express()
        .use(toExpress(fromKoa(new Koa().use(toKoa(app)))))
        .use(reportToExpress),
    ),
};

/** Express in Fastify, fused. */
export const expressInFastifyFusedPath: ConformancePath = {
  name: "fastify.register(toFastify(fromExpress(express().use(toExpress(app))))) fused",
  transport: "http",
  errors: "respond",
  malformedPaths: "refuse",
  start: (app) =>
    listenFastify(
      reportingFastify().register(toFastify(fromExpress(express().use(toExpress(app))))) as unknown as FastifyInstance,
    ),
};

/** Koa in Fastify, fused. */
export const koaInFastifyFusedPath: ConformancePath = {
  name: "fastify.register(toFastify(fromKoa(new Koa().use(toKoa(app))))) fused",
  transport: "http",
  errors: "respond",
  malformedPaths: "refuse",
  start: (app) =>
    listenFastify(
      reportingFastify().register(toFastify(fromKoa(new Koa().use(toKoa(app))))) as unknown as FastifyInstance,
    ),
};
