import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { Socket } from "node:net";
import {
  type GatewayApp,
  type GatewayRequest,
  inject,
  isPass,
  kNodeListener,
  type Middleware,
  serve,
  text,
  toNodeListener,
} from "@gangway/core";
import express, { type ErrorRequestHandler, type Request } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { fromExpress } from "./from-express.js";
import { toExpress } from "./to-express.js";

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  open.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const passThrough: Middleware = (next) => (request) => next(request);

function gatewayRequest(path: string, basePath = ""): GatewayRequest {
  return {
    method: "GET",
    scheme: "http",
    authority: "localhost",
    basePath,
    path,
    query: "",
    headers: { host: "localhost" },
    body: null,
    signal: new AbortController().signal,
    env: {},
  };
}

describe("fromExpress: fall-through and errors", () => {
  const legacy = () =>
    express()
      .get("/here", (_req, res) => {
        res.send("here");
      })
      .get("/own-404", (_req, res) => {
        res.status(404).send("mine");
      })
      .get("/skip", (_req, _res, next) => next("route"))
      .get("/fail", () => {
        throw new Error("unhandled in express");
      });

  it("answers pass() when no route matched, also after next('route'), and not for the app's own 404", async () => {
    const app = fromExpress(legacy());
    expect(isPass(await app(gatewayRequest("/nowhere")))).toBe(true);
    expect(isPass(await app(gatewayRequest("/skip")))).toBe(true);
    const own = await inject(app, { url: "/own-404" });
    expect(own.status).toBe(404);
    expect(await own.text()).toBe("mine");
  });

  it("rejects with the very error that reached Express's final handler", async () => {
    const failure = new Error("the exact one");
    const app = fromExpress(
      express().use(() => {
        throw failure;
      }),
    );
    await expect(app(gatewayRequest("/"))).rejects.toBe(failure);
  });

  it("answers an error the app's own error middleware handled as a response", async () => {
    const app = fromExpress(
      legacy().use(((error, _req, res, _next) => {
        res.status(503).send(`handled: ${(error as Error).message}`);
      }) as ErrorRequestHandler),
    );
    const response = await inject(app, { url: "/fail" });
    expect(response.status).toBe(503);
    expect(await response.text()).toBe("handled: unhandled in express");
  });

  it('lets Express render the error with { errors: "express" }, its env deciding on the stack', async () => {
    const production = legacy().set("env", "production");
    const response = await inject(fromExpress(production, { errors: "express" }), { url: "/fail" });
    expect(response.status).toBe(500);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    const page = await response.text();
    expect(page).toContain("Internal Server Error");
    expect(page).not.toContain("unhandled in express");
    // Fall-through is still a pass.
    expect(isPass(await fromExpress(production, { errors: "express" })(gatewayRequest("/nowhere")))).toBe(true);
  });

  it("lets Express answer a client error (body-parser's 400) in both modes, as natively", async () => {
    const parsing = express()
      .set("env", "production")
      .use(express.json())
      .post("/", (req, res) => {
        res.json(req.body);
      });
    for (const app of [fromExpress(parsing), fromExpress(parsing, { errors: "express" })]) {
      const response = await inject(app, {
        method: "POST",
        url: "/",
        headers: { "content-type": "application/json" },
        body: "{not json",
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain("Bad Request");
    }
  });

  it("throws GW_ERR_INVALID_APP at once for a non-function", () => {
    expect(() => fromExpress({} as never)).toThrow(expect.objectContaining({ code: "GW_ERR_INVALID_APP" }));
  });
});

describe("fromExpress: what Express sees", () => {
  it("shows the mount prefix as req.baseUrl, and the URL split as a native mount would", async () => {
    const seen: Array<Record<string, string>> = [];
    const app = fromExpress(
      express().use((req, res) => {
        seen.push({ baseUrl: req.baseUrl, url: req.url, originalUrl: req.originalUrl, path: req.path });
        res.end();
      }),
    );
    await inject(app, { url: "/x" });
    await app({ ...gatewayRequest("/a/b", "/mnt"), query: "q=1" });
    await app(gatewayRequest("", "/mnt"));
    expect(seen).toEqual([
      { baseUrl: "", url: "/x", originalUrl: "/x", path: "/x" },
      { baseUrl: "/mnt", url: "/a/b?q=1", originalUrl: "/mnt/a/b?q=1", path: "/a/b" },
      { baseUrl: "/mnt", url: "/", originalUrl: "/mnt", path: "/" },
    ]);
  });
});

describe("fusion (rule 35)", () => {
  it("fromExpress(toExpress(app)) is app itself, unless fuse: false", () => {
    const app: GatewayApp = () => text("hi");
    expect(fromExpress(toExpress(app))).toBe(app);
    expect(fromExpress(toExpress(app), { fuse: false })).not.toBe(app);
    expect(fromExpress(toExpress(app, { fuse: false }))).toBe(app);
  });

  it("serve(fromExpress(app)) runs Express on the server's real socket; a pass-through switches that off", async () => {
    const sockets: boolean[] = [];
    const inner = express().use((req, res) => {
      sockets.push(req.socket instanceof Socket);
      res.send("ok");
    });
    const fused = fromExpress(inner);
    expect(typeof (fused as { [kNodeListener]?: unknown })[kNodeListener]).toBe("function");
    expect(toNodeListener(fused)).toBe((fused as { [kNodeListener]?: unknown })[kNodeListener]);
    for (const app of [fused, passThrough(fused)]) {
      const server = await serve(app);
      open.push(() => server.close());
      expect(await (await fetch(server.url)).text()).toBe("ok");
    }
    expect(sockets).toEqual([true, false]);
  });

  it("builds req/res on the app's own prototypes, so Express's per-request swap changes nothing", async () => {
    const inner = express();
    const born: boolean[] = [];
    // Express swaps the prototypes in app.handle: watch the swap itself.
    const swap = Object.setPrototypeOf;
    const spy = (target: object, prototype: object | null) => {
      if (prototype === inner.request || prototype === inner.response) {
        born.push(Object.getPrototypeOf(target) === prototype);
      }
      return swap(target, prototype);
    };
    inner.get("/", (_req, res) => {
      res.send("ok");
    });
    const unfused = toExpress(passThrough(fromExpress(inner)));
    const host = express().use(unfused);
    const origin = await listen(host);
    const served = await serve(fromExpress(inner));
    open.push(() => served.close());
    Object.setPrototypeOf = spy;
    try {
      // Fused on serve()'s server, then unfused through the socketless pair inside another host.
      expect(await (await fetch(served.url)).text()).toBe("ok");
      expect(await (await fetch(origin)).text()).toBe("ok");
    } finally {
      Object.setPrototypeOf = swap;
    }
    // Each swap of the inner app (req, then res, per request) found its prototype already there.
    expect(born).toEqual([true, true, true, true]);
  });

  it("toExpress(fromExpress(inner)) runs inner on the host's own req, with the host's baseUrl", async () => {
    const seen: Array<{ same: boolean; baseUrl: string; originalUrl: string; url: string }> = [];
    let hostReq: unknown;
    const inner = express().get("/x", (req, res) => {
      seen.push({ same: req === hostReq, baseUrl: req.baseUrl, originalUrl: req.originalUrl, url: req.url });
      res.send("inner");
    });
    const host = express()
      .use((req, _res, next) => {
        hostReq = req;
        next();
      })
      .use("/fused", toExpress(fromExpress(inner)))
      .use("/unfused", toExpress(passThrough(fromExpress(inner))));
    const origin = await listen(host);
    expect(await (await fetch(`${origin}/fused/x?a`)).text()).toBe("inner");
    expect(await (await fetch(`${origin}/unfused/x?a`)).text()).toBe("inner");
    expect(seen).toEqual([
      { same: true, baseUrl: "/fused", originalUrl: "/fused/x?a", url: "/x?a" },
      { same: false, baseUrl: "/unfused", originalUrl: "/unfused/x?a", url: "/x?a" },
    ]);
  });

  it("restores the host's req.app and falls through, fused as unfused", async () => {
    const inner = express().get("/inner", (_req, res) => {
      res.send("inner");
    });
    for (const wrap of [(app: GatewayApp) => app, passThrough]) {
      let appAfter: unknown;
      const host = express();
      host.use(toExpress(wrap(fromExpress(inner)))).use((req: Request, res) => {
        appAfter = req.app;
        res.send("host after");
      });
      const origin = await listen(host);
      expect(await (await fetch(`${origin}/inner`)).text()).toBe("inner");
      expect(await (await fetch(`${origin}/other`)).text()).toBe("host after");
      expect(appAfter).toBe(host);
    }
  });

  it("hands the inner app's error to the host's error handler, fused as unfused", async () => {
    const failure = new Error("inner failure");
    const inner = express().use(() => {
      throw failure;
    });
    for (const wrap of [(app: GatewayApp) => app, passThrough]) {
      let received: unknown;
      const host = express()
        .use(toExpress(wrap(fromExpress(inner))))
        .use(((error, _req, res, _next) => {
          received = error;
          res.status(502).send("host handled");
        }) as ErrorRequestHandler);
      const origin = await listen(host);
      const response = await fetch(origin);
      expect(response.status).toBe(502);
      expect(received).toBe(failure);
    }
  });

  it("rebuilds a body the host parsed for the inner app's own parser, fused as unfused", async () => {
    const inner = express()
      .use(express.raw({ type: "*/*" }))
      .post("/", (req, res) => {
        res.json({ isBuffer: Buffer.isBuffer(req.body), text: Buffer.from(req.body as Buffer).toString() });
      });
    for (const wrap of [(app: GatewayApp) => app, passThrough]) {
      const host = express()
        .use(express.json())
        .use(toExpress(wrap(fromExpress(inner))));
      const origin = await listen(host);
      const response = await fetch(origin, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{ "a" : 1 }',
      });
      expect(await response.json()).toEqual({ isBuffer: true, text: '{"a":1}' });
    }
  });
});
