import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, Readable } from "node:stream";
import { type GatewayApp, GatewayError, type GatewayRequest, json, pass, readText, text } from "@gangway/core";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import { toKoa } from "./to-koa.js";

/** Polls `check` until it holds, or fails after 5 s. */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The app's AbortError, or the GW_ERR_RESPONSE_ABORTED wrapping it. */
function isAbortLike(error: unknown): boolean {
  const { name, cause } = error as { name?: unknown; cause?: unknown };
  return name === "AbortError" || (cause as { name?: unknown } | undefined)?.name === "AbortError";
}

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** Serves `koa` on 127.0.0.1:0 for one test; returns its origin. */
async function listen(koa: Koa): Promise<string> {
  const server = createServer(koa.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** One request on node:http, so repeated headers and the reason phrase stay as they were sent. */
function get(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; reason: string; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          reason: res.statusMessage ?? "",
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("toKoa: the request the app sees", () => {
  it("sees the raw path, query, method and headers, with the live context in env", async () => {
    let seen: GatewayRequest | undefined;
    let contextSeen: unknown;
    const koa = new Koa().use(async (ctx, next) => {
      contextSeen = ctx;
      await next();
    });
    koa.use(
      toKoa((request) => {
        seen = request;
        return text("ok");
      }),
    );
    const origin = await listen(koa);
    await get(`${origin}/a%20b/c?x=1&y=%20`, { method: "DELETE", headers: { "x-test": "yes" } });
    expect(seen).toMatchObject({
      method: "DELETE",
      scheme: "http",
      basePath: "",
      path: "/a%20b/c",
      query: "x=1&y=%20",
      body: null,
      remoteAddress: "127.0.0.1",
    });
    expect(seen!.authority).toBe(new URL(origin).host);
    expect(seen!.headers["x-test"]).toBe("yes");
    expect(seen!.env["koa.ctx"]).toBe(contextSeen);
    expect(seen!.env["node.req"]).toBe((contextSeen as Koa.Context).req);
    expect(seen!.env["node.res"]).toBe((contextSeen as Koa.Context).res);
  });

  it("takes scheme, authority and address from forwarded headers only when the host sets app.proxy", async () => {
    const seen: GatewayRequest[] = [];
    const app: GatewayApp = (request) => {
      seen.push(request);
      return text("ok");
    };
    const forwarded = {
      "x-forwarded-proto": "https",
      "x-forwarded-host": "public.example",
      "x-forwarded-for": "203.0.113.7",
    };
    const trusting = new Koa({ proxy: true }).use(toKoa(app));
    await get(`${await listen(trusting)}/`, { headers: forwarded });
    const wary = new Koa().use(toKoa(app));
    const waryOrigin = await listen(wary);
    await get(`${waryOrigin}/`, { headers: forwarded });
    expect(seen[0]).toMatchObject({ scheme: "https", authority: "public.example", remoteAddress: "203.0.113.7" });
    expect(seen[1]).toMatchObject({ scheme: "http", authority: new URL(waryOrigin).host, remoteAddress: "127.0.0.1" });
  });

  it("takes the authority from Koa's ctx.host, even where the host app redefined request.host", async () => {
    const seen: string[] = [];
    const app: GatewayApp = (request) => {
      seen.push(request.authority);
      return text("ok");
    };
    const plain = await listen(new Koa().use(toKoa(app)));
    await get(`${plain}/`);
    const custom = new Koa();
    Object.defineProperty(custom.request, "host", { get: () => "canonical.example" });
    await get(`${await listen(custom.use(toKoa(app)))}/`);
    expect(seen).toEqual([new URL(plain).host, "canonical.example"]);
  });

  it("rebuilds a body a host middleware parsed, and fails fast for one it drained (rule 34)", async () => {
    const koa = new Koa();
    koa.silent = true;
    koa.use(async (ctx, next) => {
      // A hand-rolled parser: reads the stream, keeps the parsed JSON and nothing else.
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      if (ctx.path === "/json") (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString());
      await next();
    });
    koa.use(
      toKoa(async (request) => {
        try {
          return json({ length: request.headers["content-length"], body: await readText(request) });
        } catch (error) {
          return json({ code: (error as GatewayError).code }, { status: 500 });
        }
      }),
    );
    const origin = await listen(koa);
    const post = (path: string) =>
      fetch(origin + path, { method: "POST", headers: { "content-type": "application/json" }, body: '{ "a" : 1 }' });
    expect(await (await post("/json")).json()).toEqual({ length: "7", body: '{"a":1}' });
    const drained = await post("/drained");
    expect(await drained.json()).toEqual({ code: "GW_ERR_BODY_CONSUMED" });
  });
});

describe("toKoa: fall-through and errors", () => {
  it("awaits next() for pass(), finishing the pass body, and leaves the context untouched", async () => {
    const koa = new Koa().use(toKoa((request) => (request.path === "/mine" ? text("mine") : pass())));
    koa.use((ctx) => {
      ctx.body = `downstream saw status ${ctx.status} and body ${String(ctx.response.get("content-type") || "none")}`;
    });
    const origin = await listen(koa);
    expect((await get(`${origin}/mine`)).body).toBe("mine");
    expect((await get(`${origin}/other`)).body).toBe("downstream saw status 404 and body none");
  });

  it("answers a pass as the 404 it is once the app started reading the body", async () => {
    const koa = new Koa().use(
      toKoa(async (request) => {
        await readText(request);
        return pass();
      }),
    );
    let downstream = false;
    koa.use((ctx) => {
      downstream = true;
      ctx.body = "downstream";
    });
    const origin = await listen(koa);
    const response = await fetch(`${origin}/`, { method: "POST", body: "data" });
    expect(response.status).toBe(404);
    expect(downstream).toBe(false);
  });

  /** A Koa app whose first middleware catches what comes up the chain and answers 503 itself. */
  function catchingUpstream(): { koa: Koa; caught: () => unknown } {
    let caught: unknown;
    const koa = new Koa().use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        caught = error;
        ctx.status = 503;
        ctx.body = "handled upstream";
      }
    });
    return { koa, caught: () => caught };
  }

  it("throws into Koa's chain: an upstream try/catch sees the very error", async () => {
    const boom = new Error("boom");
    const { koa, caught } = catchingUpstream();
    koa.use(
      toKoa(() => {
        throw boom;
      }),
    );
    const response = await get(`${await listen(koa)}/`);
    expect(response.status).toBe(503);
    expect(response.body).toBe("handled upstream");
    expect(caught()).toBe(boom);
  });

  // A Node stream goes to Koa as it is (takeReadable), an async generator through a BodyStream.
  for (const [kind, makeBody] of [
    [
      "an async generator",
      (error: Error) =>
        (async function* () {
          yield new Uint8Array(0);
          throw error;
        })(),
    ],
    [
      "a Node Readable",
      (error: Error) =>
        new Readable({
          read() {
            setImmediate(() => this.destroy(error));
          },
        }),
    ],
  ] as const) {
    it(`throws ${kind} body failing before its first chunk into Koa's chain, with none of the app's head`, async () => {
      const early = new Error("early");
      const { koa, caught } = catchingUpstream();
      koa.use(toKoa(() => ({ status: 200, statusText: "Fine", headers: { "x-app": "1" }, body: makeBody(early) })));
      const response = await get(`${await listen(koa)}/`);
      expect(response.status).toBe(503);
      expect(response.reason).toBe("Service Unavailable");
      expect(response.headers["x-app"]).toBeUndefined();
      expect(response.body).toBe("handled upstream");
      expect(caught()).toBe(early);
    });
  }

  it("pipes a Node Readable body as it is: chunked as it arrives, an empty one framed as empty", async () => {
    const koa = new Koa();
    koa.use(
      toKoa((request) => {
        if (request.path === "/empty")
          return { status: 200, headers: { "x-app": "1" }, body: Readable.from([], { objectMode: false }) };
        if (request.path === "/echo")
          return { status: 200, headers: { "content-type": "application/octet-stream" }, body: request.body };
        const stream = new PassThrough();
        stream.write("first ");
        setTimeout(() => stream.end("last"), 20);
        return { status: 201, statusText: "Made", headers: { "content-type": "text/plain" }, body: stream };
      }),
    );
    const origin = await listen(koa);
    const streamed = await get(`${origin}/stream`);
    expect([streamed.status, streamed.reason, streamed.body]).toEqual([201, "Made", "first last"]);
    expect(streamed.headers["transfer-encoding"]).toBe("chunked");
    expect(streamed.headers["content-type"]).toBe("text/plain");
    const empty = await get(`${origin}/empty`);
    expect([empty.status, empty.body, empty.headers["content-length"], empty.headers["x-app"]]).toEqual([
      200,
      "",
      "0",
      "1",
    ]);
    const upload = Buffer.alloc(200_000, 7);
    const echoed = await fetch(`${origin}/echo`, { method: "POST", body: upload });
    expect(Buffer.from(await echoed.arrayBuffer()).equals(upload)).toBe(true);
  });

  it("reaches app.on('error') when nothing catches it, with Koa's own 500", async () => {
    const koa = new Koa();
    const reported: unknown[] = [];
    koa.on("error", (error) => reported.push(error));
    koa.use(toKoa(() => ({ status: 200, headers: { "x-bad": "a\r\nb" }, body: "x" })));
    const response = await get(`${await listen(koa)}/`);
    expect(response.status).toBe(500);
    expect(response.body).toBe("Internal Server Error");
    expect(response.headers["x-bad"]).toBeUndefined();
    expect(reported).toHaveLength(1);
    expect(GatewayError.is(reported[0], "GW_ERR_INVALID_HEADER")).toBe(true);
  });

  it("still reports an app's own error with a disconnect code while its client is there (rule 26)", async () => {
    const koa = new Koa();
    const reported: unknown[] = [];
    koa.on("error", (error) => reported.push(error));
    // An upstream the app called reset its connection: the app's failure, not the client leaving.
    const upstream = Object.assign(new Error("upstream reset"), { code: "ECONNRESET" });
    koa.use(
      toKoa(() => {
        throw upstream;
      }),
    );
    const response = await get(`${await listen(koa)}/`);
    expect(response.status).toBe(500);
    expect(reported).toEqual([upstream]);
  });

  it("reports a body failing after the head once, even with a disconnect's name, while the client is there", async () => {
    const koa = new Koa();
    const reported: unknown[] = [];
    koa.on("error", (error) => reported.push(error));
    // The app aborted something of its own midway: its failure, reported once (Koa's pipeline and
    // the socket it destroys would each report it).
    const aborted = new DOMException("the app gave up", "AbortError");
    koa.use(
      toKoa(() => ({
        status: 200,
        body: (async function* () {
          yield Buffer.from("first ");
          throw aborted;
        })(),
      })),
    );
    await get(`${await listen(koa)}/`).catch(() => null);
    await waitFor(() => reported.length > 0, "the failure reported");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reported).toHaveLength(1);
    expect(isAbortLike(reported[0])).toBe(true);
  });

  it("answers a 4xx GatewayError with its status and message, as Koa answers exposed errors", async () => {
    const koa = new Koa();
    koa.silent = true;
    koa.use(
      toKoa(() => {
        throw new GatewayError("GW_ERR_BODY_TOO_LARGE");
      }),
    );
    const response = await get(`${await listen(koa)}/`);
    expect(response.status).toBe(413);
    expect(response.body).toBe(new GatewayError("GW_ERR_BODY_TOO_LARGE").message);
  });
});

describe("toKoa: the response, set through Koa", () => {
  it("keeps the host's headers and cookies, appends the app's cookies, and lets upstream add more", async () => {
    const koa = new Koa().use(async (ctx, next) => {
      ctx.set("x-before", "host");
      ctx.cookies.set("host", "1", { signed: false });
      await next();
      ctx.set("x-after", `status ${ctx.status}`);
    });
    koa.use(
      toKoa(() =>
        text("hi", {
          status: 201,
          statusText: "Made It",
          headers: { "set-cookie": ["a=1; Path=/", "b=2, with comma"], "x-app": "app" },
        }),
      ),
    );
    const response = await get(`${await listen(koa)}/`);
    expect(response.status).toBe(201);
    expect(response.reason).toBe("Made It");
    expect(response.headers["set-cookie"]).toEqual(["host=1; path=/; httponly", "a=1; Path=/", "b=2, with comma"]);
    expect(response.headers["x-before"]).toBe("host");
    expect(response.headers["x-app"]).toBe("app");
    expect(response.headers["x-after"]).toBe("status 201");
    expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(response.body).toBe("hi");
  });

  it("sends no content-type when the app set none, though Koa guesses one for every body", async () => {
    const koa = new Koa().use(toKoa(() => ({ status: 200, body: "<p>not html</p>" })));
    const response = await get(`${await listen(koa)}/`);
    expect(response.headers["content-type"]).toBeUndefined();
    expect(response.headers["content-length"]).toBe("15");
  });

  it("sends the app's content-type under the name it gave, the last of two names winning", async () => {
    const koa = new Koa().use(
      toKoa((request) =>
        request.path === "/one"
          ? { status: 200, headers: { "x-first": "1", "CONTENT-TYPE": "text/x-one" }, body: "<p>a</p>" }
          : { status: 200, headers: { "Content-Type": "text/x-a", "content-type": ["text/x-b"] }, body: "<p>b</p>" },
      ),
    );
    const origin = await listen(koa);
    const rawHeadersOf = (path: string) =>
      new Promise<string[]>((resolve, reject) => {
        httpRequest(`${origin}${path}`, (res) => {
          res.resume();
          res.on("end", () => resolve(res.rawHeaders));
        })
          .on("error", reject)
          .end();
      });
    // Koa sets the length with the body, after the type: the wire keeps that order.
    const one = await rawHeadersOf("/one");
    expect(one.filter((_, index) => index % 2 === 0).slice(0, 3)).toEqual([
      "CONTENT-TYPE",
      "Content-Length",
      "x-first",
    ]);
    expect(one[1]).toBe("text/x-one");
    const two = await rawHeadersOf("/two");
    const types = two.flatMap((value, index) => (two[index - 1]?.toLowerCase() === "content-type" ? [value] : []));
    expect([two[0], types]).toEqual(["content-type", ["text/x-b"]]);
  });

  it("sends text by its UTF-8 length under the app's type, and refuses a content-length that disagrees", async () => {
    const errors: unknown[] = [];
    const koa = new Koa().use(
      toKoa((request) =>
        request.path === "/ok"
          ? { status: 200, headers: { "content-type": "text/x-note" }, body: "héllo ✓" }
          : { status: 200, headers: { "content-length": "7" }, body: "héllo ✓" },
      ),
    );
    koa.silent = true;
    koa.on("error", (error) => errors.push((error as GatewayError).code));
    const origin = await listen(koa);
    const ok = await get(`${origin}/ok`);
    expect([ok.status, ok.headers["content-type"], ok.headers["content-length"], ok.body]).toEqual([
      200,
      "text/x-note",
      "10",
      "héllo ✓",
    ]);
    const head = await get(`${origin}/ok`, { method: "HEAD" });
    expect([head.status, head.headers["content-length"], head.body]).toEqual([200, "10", ""]);
    expect((await get(`${origin}/wrong`)).status).toBe(500);
    expect(errors).toEqual(["GW_ERR_CONTENT_LENGTH_MISMATCH"]);
  });

  it("aborts the signal and finishes the streamed body once when the client leaves", async () => {
    let finished = 0;
    let aborted = false;
    const koa = new Koa();
    // Koa itself reports the client's leaving mid-stream ("Premature close"): not this test's business.
    koa.silent = true;
    koa.use(
      toKoa((request) => {
        request.signal.addEventListener("abort", () => {
          aborted = true;
        });
        return {
          status: 200,
          body: (async function* () {
            try {
              for (;;) {
                yield Buffer.alloc(1024, 1);
                await new Promise((resolve) => setTimeout(resolve, 5));
              }
            } finally {
              finished++;
            }
          })(),
        };
      }),
    );
    const origin = await listen(koa);
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${origin}/`, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
      req.end();
    });
    await waitFor(() => aborted && finished > 0, "abort and finish");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(finished).toBe(1);
  });
});
