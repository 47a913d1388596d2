import { createServer, get, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { type GatewayApp, GatewayError, type GatewayRequest, json, pass, readText, text } from "@gangway/core";
import express, { type ErrorRequestHandler } from "express";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toExpress } from "./to-express.js";

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** Serves `listener` on 127.0.0.1:0 for one test; returns its origin. */
async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Records the request the app saw and answers with its mount split. */
function spy(): { app: GatewayApp; seen: GatewayRequest[] } {
  const seen: GatewayRequest[] = [];
  return {
    seen,
    app: (request) => {
      seen.push(request);
      return json({ basePath: request.basePath, path: request.path, query: request.query });
    },
  };
}

describe("toExpress: the request the app sees", () => {
  it("splits the path at the mount prefix: basePath is req.baseUrl, path the rest", async () => {
    const { app } = spy();
    const origin = await listen(express().use("/gw", toExpress(app)));
    const cases: Array<[string, { basePath: string; path: string; query: string }]> = [
      ["/gw", { basePath: "/gw", path: "", query: "" }],
      ["/gw/", { basePath: "/gw", path: "/", query: "" }],
      ["/gw?x=1", { basePath: "/gw", path: "", query: "x=1" }],
      ["/gw/a%2Fb/c?y=%20", { basePath: "/gw", path: "/a%2Fb/c", query: "y=%20" }],
    ];
    for (const [url, expected] of cases) {
      const response = await fetch(origin + url);
      expect(await response.json(), url).toEqual(expected);
    }
  });

  it("accumulates nested mounts, as req.baseUrl does", async () => {
    const { app } = spy();
    const inner = express.Router().use("/inner", toExpress(app));
    const origin = await listen(express().use("/outer", inner));
    expect(await (await fetch(`${origin}/outer/inner/x`)).json()).toEqual({
      basePath: "/outer/inner",
      path: "/x",
      query: "",
    });
  });

  it("works as plain Connect-style middleware, deriving the prefix from req.originalUrl", async () => {
    const { app } = spy();
    const middleware = toExpress(app);
    // What Connect does for app.use("/gw", fn): strip the prefix from req.url, keep originalUrl.
    const origin = await listen((req, res) => {
      const original = req.url ?? "/";
      Object.assign(req, { originalUrl: original });
      req.url = original.slice(3) || "/";
      middleware(req, res, () => res.writeHead(404).end());
    });
    expect(await (await fetch(`${origin}/gw/a?q`)).json()).toEqual({ basePath: "/gw", path: "/a", query: "q" });
    expect(await (await fetch(`${origin}/gw`)).json()).toEqual({ basePath: "/gw", path: "", query: "" });
  });

  it("puts the Express and Node req/res in env, and gangway.version", async () => {
    const { app, seen } = spy();
    const origin = await listen(express().use(toExpress(app)));
    await fetch(`${origin}/`);
    const env = seen[0]!.env;
    expect(env["gangway.version"]).toBe("1.0");
    expect(env["express.req"]).toBe(env["node.req"]);
    expect(env["express.res"]).toBe(env["node.res"]);
    expect(typeof env["express.req"]?.get).toBe("function");
    expect(env["express.req"]?.baseUrl).toBe("");
  });

  it("aborts request.signal when the client goes away, and only then", async () => {
    let signal: AbortSignal | undefined;
    const origin = await listen(
      express().use(
        toExpress((request) => {
          signal = request.signal;
          return {
            status: 200,
            body: (async function* () {
              yield Buffer.from("first");
              await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
            })(),
          };
        }),
      ),
    );
    const controller = new AbortController();
    const response = await fetch(origin, { signal: controller.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first");
    expect(signal?.aborted).toBe(false);
    controller.abort();
    await expect.poll(() => signal?.aborted).toBe(true);
  });

  it("builds request.signal only when the app reads it, already aborted if the client has gone", async () => {
    // Counts the controllers made in this process; node:http's client below makes none of its own.
    const made: AbortController[] = [];
    vi.stubGlobal(
      "AbortController",
      class extends AbortController {
        constructor() {
          super();
          made.push(this);
        }
      },
    );
    let abortedWhenRead: boolean | undefined;
    const origin = await listen(
      express()
        .get(
          "/plain",
          toExpress(() => text("no signal read")),
        )
        .get(
          "/late",
          toExpress((request) => ({
            status: 200,
            body: (async function* () {
              yield Buffer.from("first");
              await new Promise((resolve) => request.env["node.res"]?.once("close", resolve));
              abortedWhenRead = request.signal.aborted;
            })(),
          })),
        ),
    );
    try {
      const plain = await new Promise<string>((resolve, reject) => {
        get(`${origin}/plain`, { agent: false }, (response) => {
          response.setEncoding("utf8");
          let body = "";
          response.on("data", (chunk: string) => (body += chunk)).on("end", () => resolve(body));
        }).on("error", reject);
      });
      expect(plain).toBe("no signal read");
      expect(made).toHaveLength(0);
      await new Promise<void>((resolve, reject) => {
        const request = get(`${origin}/late`, { agent: false }, (response) => {
          response.once("data", () => {
            request.destroy();
            resolve();
          });
        }).on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
      });
      await expect.poll(() => abortedWhenRead).toBe(true);
      expect(made).toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("gives a request derived by prototype the one signal, even when it reads it first", async () => {
    let derivedSignal: AbortSignal | undefined;
    let ownSignal: AbortSignal | undefined;
    const origin = await listen(
      express().use(
        toExpress((request) => {
          derivedSignal = (Object.create(request) as GatewayRequest).signal;
          ownSignal = request.signal;
          return {
            status: 200,
            body: (async function* () {
              yield Buffer.from("first");
              await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
            })(),
          };
        }),
      ),
    );
    const controller = new AbortController();
    const response = await fetch(origin, { signal: controller.signal });
    await response.body!.getReader().read();
    expect(derivedSignal).toBe(ownSignal);
    controller.abort();
    await expect.poll(() => derivedSignal?.aborted).toBe(true);
  });
});

describe("toExpress: pass and errors", () => {
  it("turns pass() into next(), so the routes after it run", async () => {
    const host = express()
      .use(toExpress((request) => (request.path === "/mine" ? text("gateway") : pass())))
      .get("/theirs", (_req, res) => {
        res.send("express");
      });
    const origin = await listen(host);
    expect(await (await fetch(`${origin}/mine`)).text()).toBe("gateway");
    expect(await (await fetch(`${origin}/theirs`)).text()).toBe("express");
    expect((await fetch(`${origin}/nobody`)).status).toBe(404);
  });

  it("answers a pass itself once the app read the body: the routes after it could not", async () => {
    let reached = false;
    const host = express()
      .use(
        toExpress(async (request) => {
          await readText(request);
          return pass();
        }),
      )
      .use((_req, res) => {
        reached = true;
        res.send("too late");
      });
    const origin = await listen(host);
    const response = await fetch(origin, { method: "POST", body: "payload" });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("Not Found");
    expect(reached).toBe(false);
  });

  it("still falls through after the app read a body rebuilt from req.body: the host keeps req.body", async () => {
    const host = express()
      .use(express.json())
      .use(
        toExpress(async (request) => {
          await readText(request);
          return pass();
        }),
      )
      .post("/", (req, res) => {
        res.json({ after: req.body });
      });
    const origin = await listen(host);
    const response = await fetch(origin, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"n":1}',
    });
    expect(await response.json()).toEqual({ after: { n: 1 } });
  });

  it("hands a thrown error, the very object, to the host's error middleware", async () => {
    const thrown = new Error("gateway failure");
    let received: unknown;
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      received = error;
      res.status(502).send(`host saw: ${(error as Error).message}`);
    };
    const host = express()
      .use(
        toExpress(async () => {
          throw thrown;
        }),
      )
      .use(handler);
    const origin = await listen(host);
    const response = await fetch(origin);
    expect(response.status).toBe(502);
    expect(await response.text()).toBe("host saw: gateway failure");
    expect(received).toBe(thrown);
  });

  it("hands an invalid response to next() as a GatewayError with its code", async () => {
    let received: unknown;
    const host = express()
      .use(toExpress((() => ({ status: 42 })) as unknown as GatewayApp))
      .use(((error, _req, res, _next) => {
        received = error;
        res.sendStatus(500);
      }) as ErrorRequestHandler);
    const origin = await listen(host);
    expect((await fetch(origin)).status).toBe(500);
    expect(GatewayError.is(received, "GW_ERR_INVALID_STATUS")).toBe(true);
  });

  it('answers errors itself with { errors: "respond" }: 500, or the status of a client error', async () => {
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      let hostHandlerRan = false;
      const host = express()
        .use(
          toExpress(
            (request) => {
              if (request.path === "/big") throw new GatewayError("GW_ERR_BODY_TOO_LARGE");
              throw new Error("secret detail");
            },
            { errors: "respond" },
          ),
        )
        .use(((_error, _req, res, _next) => {
          hostHandlerRan = true;
          res.sendStatus(418);
        }) as ErrorRequestHandler);
      const origin = await listen(host);
      const failed = await fetch(origin);
      expect(failed.status).toBe(500);
      expect(failed.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await failed.text()).toBe("Internal Server Error");
      const tooLarge = await fetch(`${origin}/big`);
      expect(tooLarge.status).toBe(413);
      expect(hostHandlerRan).toBe(false);
    } finally {
      process.env.NODE_ENV = env;
    }
  });

  it("throws GW_ERR_INVALID_APP at once for a non-function", () => {
    expect(() => toExpress("nope" as unknown as GatewayApp)).toThrow(
      expect.objectContaining({ code: "GW_ERR_INVALID_APP" }),
    );
  });
});

describe("toExpress: headers the host set", () => {
  it("keeps the host's headers and appends the app's cookies to the host's", async () => {
    const host = express()
      .use((_req, res, next) => {
        res.setHeader("x-frame-options", "DENY");
        res.setHeader("x-shared", "host");
        res.cookie("host", "1");
        next();
      })
      .use(
        toExpress(() => ({
          status: 201,
          headers: { "set-cookie": ["app=2", "other=3"], "x-shared": "app", "content-type": "text/plain" },
          body: "made",
        })),
      );
    const origin = await listen(host);
    const response = await fetch(origin);
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(["host=1; Path=/", "app=2", "other=3"]);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    // For any other name both set, the app's value wins, as with writeHead.
    expect(response.headers.get("x-shared")).toBe("app");
    expect(await response.text()).toBe("made");
  });

  it("keeps the host's cookie when the app sets none, and the app's when the host set none", async () => {
    const host = express()
      .use("/host", (_req, res, next) => {
        res.cookie("host", "1");
        next();
      })
      .use(toExpress((request) => text("ok", { headers: request.path === "/app" ? { "set-cookie": "app=2" } : {} })));
    const origin = await listen(host);
    expect((await fetch(`${origin}/host/x`)).headers.getSetCookie()).toEqual(["host=1; Path=/"]);
    expect((await fetch(`${origin}/app`)).headers.getSetCookie()).toEqual(["app=2"]);
  });
});
