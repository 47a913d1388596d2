/**
 * Every scenario the bench runs: a name → how to build its server, which native baseline it is
 * measured against, and which job it shares with peers. Builders import lazily, so a package that
 * is missing or fails to load costs only its own scenarios (reported "skipped: <reason>").
 *
 * A builder returns a node:http `Server` (listening or not) or a request listener; `server.mjs`
 * listens on 127.0.0.1, port 0.
 */
import { createServer } from "node:http";

// The apps load lazily, like the packages: a process holds only what its scenario runs, so its
// RSS is that scenario's alone.
const createExpressApp = async () => (await import("./apps/express.mjs")).createExpressApp();
const createKoaApp = async () => (await import("./apps/koa.mjs")).createKoaApp();
const createFastifyApp = async () => (await import("./apps/fastify.mjs")).createFastifyApp();
const gatewayApps = () => import("./apps/gateway.mjs");
const fetchHandler = async () => (await import("./apps/fetch.mjs")).fetchHandler;

/** The middleware that switches fusion off (rule 35): it forwards every request untouched. */
const passThrough = (next) => (request) => next(request);

const core = () => import("@gangway/core");

/** A gateway app served the way `serve()` serves it; `serve()` also runs the app's startup hook. */
async function served(app, host) {
  const { serve } = await core();
  const { server } = await serve(await app, { host, port: 0 });
  return server;
}

// Each builder loads the framework, and builds its app, before it loads Gangway's adapter — the
// order an app's own imports give (`import Fastify from "fastify"` above the adapter's import).
// With V8's own young-generation sizing (--v8-heap) the order changed how V8 settles on Node's
// process.nextTick for the whole process: loading @gangway/fastify before Fastify put a fused
// fromFastify server in a state where every nextTick costs more in 5 runs out of 5, the framework
// first in none of 12; with the young generation fixed, neither order does (docs/performance.md).

async function fromExpressApp(fused) {
  const express = await createExpressApp();
  const { fromExpress } = await import("@gangway/express");
  const app = fromExpress(express);
  return fused ? app : passThrough(app);
}

async function fromKoaApp(fused) {
  const koa = await createKoaApp();
  const { fromKoa } = await import("@gangway/koa");
  const app = fromKoa(koa);
  return fused ? app : passThrough(app);
}

async function fromFastifyApp(fused) {
  const fastify = await createFastifyApp();
  const { fromFastify } = await import("@gangway/fastify");
  const app = fromFastify(fastify);
  return fused ? app : passThrough(app);
}

/** `app` is called once the host framework is loaded: see above. */
async function inExpress(app) {
  const { default: express } = await import("express");
  const { toExpress } = await import("@gangway/express");
  return express().use(toExpress(await app()));
}

/**
 * The Express host above on a node:http server built on its own prototypes
 * (`createServer(toServerOptions(fromExpress(host)), host)`, what `serve(fromExpress(host))` does):
 * Express's per-request prototype swap then finds them in place.
 */
async function inExpressOnItsPrototypes(app) {
  const [{ createServer }, { toServerOptions }, { fromExpress }] = await Promise.all([
    import("node:http"),
    import("@gangway/core"),
    import("@gangway/express"),
  ]);
  const host = await inExpress(app);
  return createServer(toServerOptions(fromExpress(host)), host);
}

async function inKoa(app) {
  const { default: Koa } = await import("koa");
  const { toKoa } = await import("@gangway/koa");
  return new Koa().use(toKoa(await app())).callback();
}

/** With `factory`, Fastify's server comes from `toServerFactory(app)`: built on the app's prototypes. */
async function inFastify(app, host, factory = false) {
  const { default: Fastify } = await import("fastify");
  const { toFastify, toServerFactory } = await import("@gangway/fastify");
  const gateway = await app();
  const fastify = Fastify(factory ? { logger: false, serverFactory: toServerFactory(gateway) } : { logger: false });
  await fastify.register(toFastify(gateway));
  await fastify.listen({ host, port: 0 });
  return fastify.server;
}

/** The gateway app of apps/gateway.mjs, for the in* builders. */
const gatewayApp = async () => (await gatewayApps()).gatewayApp;

async function nativeFastify(host) {
  const fastify = await createFastifyApp();
  await fastify.listen({ host, port: 0 });
  return fastify.server;
}

/** Headers a proxying listener must not copy: node:http frames the response itself. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "date"]);

/**
 * light-my-request driving an Express app without a socket, inside a real server: the same job as
 * an unfused `fromExpress` (a socketless pair per request), done by Fastify's injector. It runs in
 * its default mode, which buffers the response: faster than `payloadAsStream` for small bodies, so
 * the comparison is with the peer at its best.
 */
async function lightMyRequestExpress() {
  const { default: inject } = await import("light-my-request");
  const app = await createExpressApp();
  return (req, res) => {
    const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
    inject(app, { method: req.method, url: req.url, headers: req.headers, payload: hasBody ? req : undefined })
      .then((response) => {
        const headers = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (!HOP_BY_HOP.has(name)) headers[name] = value;
        }
        res.writeHead(response.statusCode, headers);
        res.end(response.rawPayload);
      })
      .catch((error) => {
        res.destroy(error);
      });
  };
}

/**
 * The scenarios, in the order a round runs them. `kind` is "baseline", "peer" or "gangway";
 * `baseline` names the native scenario its ratios divide by (for a cross pair, the framework of
 * the app inside, which is what that app would do on its own server); `job` groups it with the
 * peers doing the same work; `prefix` goes before every route; `streams` adds the echo, stream and
 * slow-reader workloads (every baseline and Gangway path, and the peers that run the Express app);
 * `quick` puts it in the `--quick` subset, `quickStreams` keeps its body workloads there.
 */
export const scenarios = [
  // Native baselines
  {
    name: "node",
    kind: "baseline",
    label: "raw node:http",
    quick: true,
    quickStreams: true,
    streams: true,
    build: async () => (await import("./apps/node.mjs")).nodeListener,
  },
  { name: "express", kind: "baseline", label: "Express 5", quick: true, streams: true, build: createExpressApp },
  {
    name: "koa",
    kind: "baseline",
    label: "Koa 3",
    streams: true,
    build: async () => (await createKoaApp()).callback(),
  },
  { name: "fastify", kind: "baseline", label: "Fastify 5", streams: true, build: ({ host }) => nativeFastify(host) },

  // A control, run only when named (`--only fastify,control:fastify-loaded`): native Fastify in a
  // process that also loaded Gangway's modules and never calls them. Its requests run the same
  // code as `fastify`'s, so whatever separates the two is the process, not the path (bench/README.md,
  // "One young generation for every server").
  {
    name: "control:fastify-loaded",
    kind: "control",
    label: "Fastify 5, Gangway loaded and unused",
    baseline: "fastify",
    streams: true,
    build: async ({ host }) => {
      const fastify = await createFastifyApp();
      await Promise.all([import("@gangway/core"), import("@gangway/fastify")]);
      await fastify.listen({ host, port: 0 });
      return fastify.server;
    },
  },

  // Peers doing what Gangway's paths do
  {
    name: "peer:hono-fetch",
    kind: "peer",
    label: "Fetch handler on @hono/node-server",
    baseline: "node",
    job: "serve an app",
    build: async () => (await import("@hono/node-server")).getRequestListener(await fetchHandler()),
  },
  {
    name: "peer:srvx-fetch",
    kind: "peer",
    label: "Fetch handler on srvx",
    baseline: "node",
    job: "serve an app",
    build: async () => (await import("srvx/node")).toNodeHandler(await fetchHandler()),
  },
  {
    name: "peer:h3-express",
    kind: "peer",
    label: "Express app in h3 (fromNodeHandler)",
    baseline: "express",
    job: "serve an Express app",
    quick: true,
    streams: true,
    build: async () => {
      const { H3, fromNodeHandler, toNodeHandler } = await import("h3/node");
      return toNodeHandler(new H3().all("/**", fromNodeHandler(await createExpressApp())));
    },
  },
  {
    name: "peer:lmr-express",
    kind: "peer",
    label: "Express app via light-my-request (buffered)",
    baseline: "express",
    job: "serve an Express app",
    quick: true,
    streams: true,
    build: lightMyRequestExpress,
  },
  {
    name: "peer:koa-connect",
    kind: "peer",
    label: "Express app in Koa (koa-connect)",
    baseline: "express",
    job: "Express app in Koa",
    streams: true,
    build: async () => {
      const [{ default: c2k }, { default: Koa }] = await Promise.all([import("koa-connect"), import("koa")]);
      const app = await createExpressApp();
      // Koa presets statusCode 404 and Express never sets 200 itself: without this line every
      // response arrives as a 404 (webpack-dev-middleware#174), the workaround its users apply.
      const express = (req, res, next) => {
        res.statusCode = 200;
        app(req, res, next);
      };
      return new Koa().use(c2k(express)).callback();
    },
  },
  {
    name: "peer:fastify-express",
    kind: "peer",
    label: "Express app in Fastify (@fastify/express)",
    baseline: "express",
    job: "Express app in Fastify",
    streams: true,
    build: async ({ host }) => {
      const { default: fastifyExpress } = await import("@fastify/express");
      const { default: Fastify } = await import("fastify");
      const fastify = Fastify({ logger: false });
      await fastify.register(fastifyExpress);
      fastify.use(await createExpressApp());
      await fastify.listen({ host, port: 0 });
      return fastify.server;
    },
  },

  // A gateway app served directly, dispatched, and from a Fetch handler
  {
    name: "gw:serve",
    kind: "gangway",
    label: "serve(app)",
    baseline: "node",
    job: "serve an app",
    quick: true,
    quickStreams: true,
    streams: true,
    build: async ({ host }) => served((await gatewayApps()).gatewayApp, host),
  },
  {
    name: "gw:mount",
    kind: "gangway",
    label: 'serve(mount({ "/api": app }))',
    baseline: "node",
    job: "serve an app",
    prefix: "/api",
    streams: true,
    build: async ({ host }) => served((await core()).mount({ "/api": (await gatewayApps()).gatewayApp }), host),
  },
  {
    name: "gw:cascade",
    kind: "gangway",
    label: "serve(cascade(passing, app))",
    baseline: "node",
    job: "serve an app",
    streams: true,
    build: async ({ host }) => {
      const { gatewayApp, passingApp } = await gatewayApps();
      return served((await core()).cascade(passingApp, gatewayApp), host);
    },
  },
  {
    name: "gw:fetch",
    kind: "gangway",
    label: "serve(fromFetch(handler))",
    baseline: "node",
    job: "serve an app",
    build: async ({ host }) => served((await core()).fromFetch(await fetchHandler()), host),
  },

  // A gateway app inside each host
  {
    name: "gw:in-express",
    kind: "gangway",
    label: "express().use(toExpress(app))",
    baseline: "express",
    quick: true,
    streams: true,
    build: () => inExpress(gatewayApp),
  },
  {
    name: "gw:in-koa",
    kind: "gangway",
    label: "new Koa().use(toKoa(app))",
    baseline: "koa",
    streams: true,
    build: () => inKoa(gatewayApp),
  },
  {
    name: "gw:in-fastify",
    kind: "gangway",
    label: "fastify.register(toFastify(app))",
    baseline: "fastify",
    streams: true,
    build: ({ host }) => inFastify(gatewayApp, host),
  },

  // Framework apps wrapped by from*, served by serve(): fused, then with a pass-through between
  {
    name: "gw:express",
    kind: "gangway",
    label: "serve(fromExpress(app)), fused",
    baseline: "express",
    job: "serve an Express app",
    fused: true,
    quick: true,
    streams: true,
    build: ({ host }) => served(fromExpressApp(true), host),
  },
  {
    name: "gw:express:unfused",
    kind: "gangway",
    label: "serve(passThrough(fromExpress(app)))",
    baseline: "express",
    job: "serve an Express app",
    fused: false,
    quick: true,
    streams: true,
    build: ({ host }) => served(fromExpressApp(false), host),
  },
  {
    name: "gw:koa",
    kind: "gangway",
    label: "serve(fromKoa(app)), fused",
    baseline: "koa",
    fused: true,
    streams: true,
    build: ({ host }) => served(fromKoaApp(true), host),
  },
  {
    name: "gw:koa:unfused",
    kind: "gangway",
    label: "serve(passThrough(fromKoa(app)))",
    baseline: "koa",
    fused: false,
    streams: true,
    build: ({ host }) => served(fromKoaApp(false), host),
  },
  {
    name: "gw:fastify",
    kind: "gangway",
    label: "serve(fromFastify(app)), fused",
    baseline: "fastify",
    fused: true,
    streams: true,
    build: ({ host }) => served(fromFastifyApp(true), host),
  },
  {
    name: "gw:fastify:unfused",
    kind: "gangway",
    label: "serve(passThrough(fromFastify(app)))",
    baseline: "fastify",
    fused: false,
    streams: true,
    build: ({ host }) => served(fromFastifyApp(false), host),
  },

  // Cross pairs: one framework's app inside another's host
  {
    name: "gw:koa-in-express",
    kind: "gangway",
    label: "express().use(toExpress(fromKoa(app)))",
    baseline: "koa",
    fused: true,
    streams: true,
    build: () => inExpress(() => fromKoaApp(true)),
  },
  {
    name: "gw:koa-in-express:own-server",
    kind: "gangway",
    label: "the same Express host on createServer(toServerOptions(fromExpress(host)), host)",
    baseline: "koa",
    fused: true,
    streams: true,
    build: () => inExpressOnItsPrototypes(() => fromKoaApp(true)),
  },
  {
    name: "gw:koa-in-express:unfused",
    kind: "gangway",
    label: "express().use(toExpress(passThrough(fromKoa(app))))",
    baseline: "koa",
    fused: false,
    streams: true,
    build: () => inExpress(() => fromKoaApp(false)),
  },
  {
    name: "gw:express-in-koa",
    kind: "gangway",
    label: "new Koa().use(toKoa(fromExpress(app)))",
    baseline: "express",
    job: "Express app in Koa",
    fused: true,
    streams: true,
    build: () => inKoa(() => fromExpressApp(true)),
  },
  {
    name: "gw:express-in-koa:unfused",
    kind: "gangway",
    label: "new Koa().use(toKoa(passThrough(fromExpress(app))))",
    baseline: "express",
    job: "Express app in Koa",
    fused: false,
    streams: true,
    build: () => inKoa(() => fromExpressApp(false)),
  },
  {
    name: "gw:express-in-fastify",
    kind: "gangway",
    label: "fastify.register(toFastify(fromExpress(app)))",
    baseline: "express",
    job: "Express app in Fastify",
    fused: true,
    streams: true,
    build: ({ host }) => inFastify(() => fromExpressApp(true), host),
  },
  {
    name: "gw:express-in-fastify:factory",
    kind: "gangway",
    label: "the same, on Fastify({ serverFactory: toServerFactory(fromExpress(app)) })",
    baseline: "express",
    job: "Express app in Fastify",
    fused: true,
    streams: true,
    build: ({ host }) => inFastify(() => fromExpressApp(true), host, true),
  },
  {
    name: "gw:express-in-fastify:unfused",
    kind: "gangway",
    label: "fastify.register(toFastify(passThrough(fromExpress(app))))",
    baseline: "express",
    job: "Express app in Fastify",
    fused: false,
    streams: true,
    build: ({ host }) => inFastify(() => fromExpressApp(false), host),
  },
];

/** The scenario of that name, or `undefined`. */
export function findScenario(name) {
  return scenarios.find((scenario) => scenario.name === name);
}

/** A built scenario as a node:http server: listeners get one of their own. */
export function toServer(made) {
  return typeof made === "function" ? createServer(made) : made;
}
