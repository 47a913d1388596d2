import { Readable } from "node:stream";
import { type GatewayApp, GatewayError, json, pass, readText, text } from "@gangway/core";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { fastifyListener } from "../../../test/helpers/fastify-client.js";
import { toFastify } from "./to-fastify.js";

const listen = fastifyListener();

const echo: GatewayApp = async (request) =>
  json({
    method: request.method,
    basePath: request.basePath,
    path: request.path,
    query: request.query,
    body: await readText(request),
  });

describe("toFastify", () => {
  it("answers every method on the prefix and under it, with basePath = the prefix", async () => {
    const fastify = Fastify();
    fastify.register(toFastify(echo), { prefix: "/legacy" });
    fastify.get("/other", async () => "other");
    const client = await listen(fastify);
    const cases: [string, string, object][] = [
      ["GET", "/legacy", { basePath: "/legacy", path: "", query: "" }],
      ["POST", "/legacy/", { basePath: "/legacy", path: "/", query: "" }],
      ["PUT", "/legacy/a/b?x=1&y", { basePath: "/legacy", path: "/a/b", query: "x=1&y" }],
      ["PATCH", "/legacy/p", { basePath: "/legacy", path: "/p" }],
      ["DELETE", "/legacy/d", { basePath: "/legacy", path: "/d" }],
      ["OPTIONS", "/legacy/o", { basePath: "/legacy", path: "/o" }],
    ];
    for (const [method, url, seen] of cases) {
      const response = await client.send({ method, url });
      expect(response.status).toBe(200);
      expect(JSON.parse(await response.text())).toMatchObject({ method, ...seen });
    }
    const head = await client.send({ method: "HEAD", url: "/legacy/h" });
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
    expect(await (await client.send({ url: "/other" })).text()).toBe("other");
    // Outside the prefix, the host answers: Fastify's own 404.
    const outside = await client.send({ url: "/legacyx" });
    expect(outside.status).toBe(404);
    expect(JSON.parse(await outside.text())).toMatchObject({ error: "Not Found" });
  });

  it("moves the prefix as the client spelled it when Fastify's router matched it anyway", async () => {
    const fastify = Fastify({ routerOptions: { caseSensitive: false } });
    fastify.register(toFastify(echo), { prefix: "/legacy" });
    const client = await listen(fastify);
    for (const [url, basePath] of [
      ["/LEGACY/x", "/LEGACY"],
      ["/%6Cegacy/x", "/%6Cegacy"],
    ] as const) {
      expect(JSON.parse(await (await client.send({ url })).text())).toMatchObject({ basePath, path: "/x" });
    }
  });

  it("puts the Fastify request and reply in env, with node.req and node.res", async () => {
    const fastify = Fastify();
    fastify.decorateRequest("marker", "decorated");
    fastify.register(
      toFastify((request) => {
        const fastifyRequest = request.env["fastify.request"]!;
        const reply = request.env["fastify.reply"]!;
        return json({
          marker: (fastifyRequest as unknown as { marker: string }).marker,
          req: request.env["node.req"] === fastifyRequest.raw,
          res: request.env["node.res"] === reply.raw,
          version: request.env["gangway.version"],
        });
      }),
    );
    const client = await listen(fastify);
    expect(JSON.parse(await (await client.send({ url: "/" })).text())).toEqual({
      marker: "decorated",
      req: true,
      res: true,
      version: "1.0",
    });
  });

  it("streams the raw body to the app, and leaves the parsers of routes outside the plugin alone", async () => {
    const fastify = Fastify();
    fastify.post("/parsed", async (request) => ({ parsed: request.body }));
    fastify.register(toFastify(echo), { prefix: "/raw" });
    const client = await listen(fastify);
    const body = '{ "a" :  1 }';
    const headers = { "content-type": "application/json" };
    const parsed = await client.send({ method: "POST", url: "/parsed", headers, body });
    expect(JSON.parse(await parsed.text())).toEqual({ parsed: { a: 1 } });
    const raw = await client.send({ method: "POST", url: "/raw/x", headers, body });
    expect(JSON.parse(await raw.text()).body).toBe(body);
    // A type no host parser knows reaches the app too (Fastify alone would answer 415).
    const odd = await client.send({ method: "POST", url: "/raw/x", headers: { "content-type": "x/y" }, body: "z" });
    expect(JSON.parse(await odd.text()).body).toBe("z");
  });

  it("hands the raw body over whatever the content-type: none, any, with parameters, and the same type again", async () => {
    const fastify = Fastify();
    fastify.register(toFastify(echo), { prefix: "/raw" });
    const client = await listen(fastify);
    // Each type twice: the second request finds the parser Fastify cached for the first.
    for (const type of [undefined, "x/y", "text/plain; charset=utf-8", "multipart/form-data; boundary=x", "*/*"]) {
      for (const round of [1, 2]) {
        const body = `${type ?? "none"} ${round}`;
        const headers: Record<string, string> = type === undefined ? {} : { "content-type": type };
        const response = await client.send({ method: "POST", url: "/raw/x", headers, body });
        expect(response.status).toBe(200);
        expect(JSON.parse(await response.text()).body).toBe(body);
      }
    }
    // A type that is not a media type at all Fastify refuses before any parser, on every route.
    const malformed = await client.send({
      method: "POST",
      url: "/raw/x",
      headers: { "content-type": "nonsense" },
      body: "z",
    });
    expect(malformed.status).toBe(415);
    expect(JSON.parse(await malformed.text())).toMatchObject({ code: "FST_ERR_CTP_INVALID_MEDIA_TYPE" });
  });

  describe("body limit", () => {
    const reader: GatewayApp = async (request) => {
      try {
        return text(String((await readText(request, { limit: 1 << 30 })).length));
      } catch (error) {
        if (GatewayError.is(error, "GW_ERR_BODY_TOO_LARGE") && request.query === "catch") return text(error.code);
        throw error;
      }
    };

    it("answers a content-length over Fastify's bodyLimit 413 as Fastify does, before the app runs", async () => {
      let called = 0;
      const fastify = Fastify({ bodyLimit: 1000 });
      fastify.register(
        toFastify((request) => {
          called++;
          return reader(request);
        }),
      );
      const client = await listen(fastify);
      const response = await client.send({ method: "POST", url: "/", body: "x".repeat(1001) });
      expect(response.status).toBe(413);
      expect(JSON.parse(await response.text())).toMatchObject({ statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE" });
      expect(called).toBe(0);
    });

    it("fails the read that crosses the limit of a chunked body: GW_ERR_BODY_TOO_LARGE in the app, 413 from Fastify", async () => {
      const fastify = Fastify({ bodyLimit: 1000 });
      fastify.register(toFastify(reader));
      const client = await listen(fastify);
      async function* chunks() {
        for (let i = 0; i < 4; i++) yield Buffer.alloc(400, 97);
      }
      const escaped = await client.send({ method: "POST", url: "/", body: chunks() });
      expect(escaped.status).toBe(413);
      expect(JSON.parse(await escaped.text())).toMatchObject({ code: "FST_ERR_CTP_BODY_TOO_LARGE" });
      const caught = await client.send({ method: "POST", url: "/?catch", body: chunks() });
      expect(await caught.text()).toBe("GW_ERR_BODY_TOO_LARGE");
      const small = await client.send({ method: "POST", url: "/", body: "x".repeat(1000) });
      expect(await small.text()).toBe("1000");
    });

    it("takes its limit from the options when given, and from the route's bodyLimit otherwise", async () => {
      const fastify = Fastify({ bodyLimit: 10 });
      fastify.register(toFastify(reader, { bodyLimit: 5000 }), { prefix: "/big" });
      fastify.register(toFastify(reader), { prefix: "/small" });
      const client = await listen(fastify);
      expect(await (await client.send({ method: "POST", url: "/big", body: "x".repeat(4000) })).text()).toBe("4000");
      expect((await client.send({ method: "POST", url: "/small", body: "x".repeat(11) })).status).toBe(413);
    });
  });

  it("sends through the reply: hooks' headers kept, every set-cookie appended, onSend sees the body", async () => {
    const fastify = Fastify();
    const sent: string[] = [];
    fastify.addHook("onRequest", async (_request, reply) => {
      reply.header("x-hook", "kept").header("x-replaced", "by the hook");
      reply.header("set-cookie", "hook=1");
      reply.raw.setHeader("set-cookie", ["raw=1"]);
    });
    fastify.addHook("onSend", async (_request, reply, payload) => {
      sent.push(`${reply.statusCode} ${String(payload)}`);
      return payload;
    });
    fastify.register(
      toFastify(() => ({
        status: 201,
        statusText: "Made It",
        headers: { "set-cookie": ["a=1", "b=2"], "x-replaced": "by the app", "content-type": "text/plain" },
        body: "made",
      })),
    );
    const client = await listen(fastify);
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Made It");
    expect(response.headers["x-hook"]).toBe("kept");
    expect(response.headers["x-replaced"]).toBe("by the app");
    expect(response.headers["set-cookie"]).toEqual(["raw=1", "hook=1", "a=1", "b=2"]);
    expect(await response.text()).toBe("made");
    expect(sent).toEqual(["201 made"]);
  });

  it("sends a string body as its UTF-8 bytes whatever the type: no charset added, no serializer run", async () => {
    const fastify = Fastify();
    // A serializer of the reply's own runs on string payloads: the app's string must not meet it.
    fastify.addHook("preHandler", async (request, reply) => {
      if (request.url.startsWith("/serialized")) reply.serializer(() => "serialized");
    });
    const bodies = new Map<string, [string | undefined, string]>([
      ["/json", ["application/json", '{"a":"é"}']],
      ["/vendor-json", ["application/vnd.api+json", "[]"]],
      ["/text", ["text/plain", "héllo ✓"]],
      ["/serialized", ["text/plain", "as is"]],
      ["/malformed", ["not a media type", "x"]],
      ["/none", [undefined, "bytes"]],
    ]);
    fastify.register(
      toFastify((request) => {
        const [type, body] = bodies.get(request.path)!;
        return { status: 200, headers: type === undefined ? {} : { "content-type": type }, body };
      }),
    );
    const client = await listen(fastify);
    const seen: Record<string, [unknown, unknown, string]> = {};
    for (const path of bodies.keys()) {
      const response = await client.send({ url: path });
      seen[path] = [response.headers["content-type"], response.headers["content-length"], await response.text()];
    }
    expect(seen).toEqual({
      "/json": ["application/json", "10", '{"a":"é"}'],
      "/vendor-json": ["application/vnd.api+json", "2", "[]"],
      "/text": ["text/plain", "10", "héllo ✓"],
      "/serialized": ["text/plain", "5", "as is"],
      // Fastify types what it cannot parse as it types bytes, for a string as for a Buffer.
      "/malformed": ["application/octet-stream", "1", "x"],
      "/none": ["application/octet-stream", "5", "bytes"],
    });
  });

  it("answers a synchronous app and an async one alike, sync errors and passes included", async () => {
    const fastify = Fastify();
    fastify.setErrorHandler((error: GatewayError, _request, reply) => {
      reply.code(500).send(`handled ${error.code}`);
    });
    const answer = (path: string) => {
      if (path === "/ok") return text("ok", { headers: { "x-app": "1" } });
      if (path === "/bad") return { status: 200, headers: { "content-length": "9" }, body: "short" };
      if (path === "/throw") throw new GatewayError("GW_ERR_INVALID_RESPONSE", "thrown");
      return pass();
    };
    fastify.register(
      toFastify((request) => answer(request.path)),
      { prefix: "/sync" },
    );
    fastify.register(
      toFastify(async (request) => answer(request.path)),
      { prefix: "/async" },
    );
    const client = await listen(fastify);
    const seen: Record<string, string[]> = {};
    for (const mode of ["sync", "async"]) {
      for (const path of ["/ok", "/bad", "/throw", "/other"]) {
        const response = await client.send({ url: `/${mode}${path}` });
        const headers = [response.headers["content-type"], response.headers["x-app"]].map(String);
        (seen[path] ??= []).push(`${response.status} ${headers.join(" ")} ${await response.text()}`);
      }
    }
    const notFound = '{"message":"Route GET:/sync/other not found","error":"Not Found","statusCode":404}';
    expect(seen).toEqual({
      "/ok": ["200 text/plain; charset=utf-8 1 ok", "200 text/plain; charset=utf-8 1 ok"],
      "/bad": Array(2).fill("500 text/plain; charset=utf-8 undefined handled GW_ERR_CONTENT_LENGTH_MISMATCH"),
      "/throw": Array(2).fill("500 text/plain; charset=utf-8 undefined handled GW_ERR_INVALID_RESPONSE"),
      "/other": [
        `404 application/json; charset=utf-8 undefined ${notFound}`,
        `404 application/json; charset=utf-8 undefined ${notFound.replace("sync", "async")}`,
      ],
    });
  });

  it("hands pass() to the host's not-found handler, and a thrown error to its error handler", async () => {
    const fastify = Fastify();
    const failure = new Error("boom");
    const seen: unknown[] = [];
    fastify.setNotFoundHandler((request, reply) => reply.code(404).send(`host 404 for ${request.url}`));
    fastify.setErrorHandler((error, _request, reply) => {
      seen.push(error);
      reply.code(502).send("host error handler");
    });
    fastify.register(
      toFastify((request) => {
        if (request.path === "/throw") throw failure;
        if (request.path === "/bad") return { status: 200, headers: { "content-length": "9" }, body: "short" };
        return pass();
      }),
    );
    const client = await listen(fastify);
    const missing = await client.send({ url: "/nothing" });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("host 404 for /nothing");
    const thrown = await client.send({ url: "/throw" });
    expect(thrown.status).toBe(502);
    expect(seen[0]).toBe(failure);
    expect((await client.send({ url: "/bad" })).status).toBe(502);
    expect(GatewayError.is(seen[1], "GW_ERR_CONTENT_LENGTH_MISMATCH")).toBe(true);
  });

  // A Node stream goes to Fastify as it is (takeReadable), an async generator through a BodyStream.
  const failingEarly = {
    "an async generator": () =>
      (async function* () {
        yield new Uint8Array(0);
        throw new Error("early");
      })(),
    "a Node Readable": () =>
      new Readable({
        read() {
          setImmediate(() => this.destroy(new Error("early")));
        },
      }),
  };
  for (const [kind, makeBody] of Object.entries(failingEarly)) {
    it(`answers ${kind} body that fails before its first chunk from the error handler, without the app's head`, async () => {
      const fastify = Fastify();
      fastify.setErrorHandler((error: Error, _request, reply) => reply.code(500).send(`handled: ${error.message}`));
      fastify.register(
        toFastify(() => ({
          status: 200,
          statusText: "Fine",
          headers: { "x-app": "1", "set-cookie": "app=1" },
          body: makeBody(),
        })),
      );
      const client = await listen(fastify);
      const response = await client.send({ url: "/" });
      expect(response.status).toBe(500);
      expect(response.statusText).toBe("Internal Server Error");
      expect(response.headers["x-app"]).toBeUndefined();
      expect(response.headers["set-cookie"]).toBeUndefined();
      expect(await response.text()).toBe("handled: early");
    });
  }

  it("cuts a body that fails after commit short and hands the error to onError hooks and the error handler once", async () => {
    const hooked: string[] = [];
    const handled: { message: string; sent: boolean }[] = [];
    const fastify = Fastify();
    fastify.addHook("onError", async (_request, _reply, error) => {
      hooked.push(error.message);
    });
    fastify.setErrorHandler((error: Error, _request, reply) => {
      // The head is out: the reply says so, and a send here goes nowhere.
      handled.push({ message: error.message, sent: reply.sent });
      return reply.code(500).send("too late to answer");
    });
    fastify.register(
      toFastify(() => ({
        status: 200,
        body: (async function* () {
          yield new TextEncoder().encode("first ");
          await new Promise((resolve) => setTimeout(resolve, 10));
          throw new Error("midway");
        })(),
      })),
    );
    const client = await listen(fastify);
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(200);
    const chunks: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
      })(),
    ).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(Buffer.concat(chunks).toString()).toBe("first ");
    expect(hooked).toEqual(["midway"]);
    expect(handled).toEqual([{ message: "midway", sent: true }]);
  });

  it("sends exactly the declared bytes of a body longer than its content-length, then closes", async () => {
    const handled: string[] = [];
    const fastify = Fastify();
    fastify.setErrorHandler((error: { code?: string }, _request, reply) => {
      handled.push(String(error.code));
      return reply.send();
    });
    fastify.register(
      toFastify(() => ({
        status: 200,
        headers: { "content-length": "10" },
        body: (async function* () {
          yield new TextEncoder().encode("0123456");
          yield new TextEncoder().encode("789 and more");
        })(),
      })),
    );
    const client = await listen(fastify);
    const response = await client.send({ url: "/" });
    expect(await response.text()).toBe("0123456789");
    expect(handled).toEqual(["GW_ERR_CONTENT_LENGTH_MISMATCH"]);
  });

  it("refuses a head Node would refuse before touching the reply: the error handler answers", async () => {
    const codes: string[] = [];
    const fastify = Fastify();
    fastify.setErrorHandler((error: { code?: string }, _request, reply) => {
      codes.push(String(error.code));
      return reply.code(500).send("refused");
    });
    const heads: Record<string, { statusText?: string; headers?: Record<string, string> }> = {
      "/reason": { statusText: "OK\r\nx-injected: 1" },
      "/value": { headers: { "x-a": "ok\r\nx-injected: 1" } },
      "/name": { headers: { "x a": "1" } },
      "/length": { headers: { "content-length": "5, 5" } },
    };
    fastify.register(toFastify((request) => ({ status: 200, ...heads[request.path], body: "hello" })));
    const client = await listen(fastify);
    for (const url of Object.keys(heads)) {
      const response = await client.send({ url });
      expect([response.status, response.headers["x-injected"], await response.text()]).toEqual([
        500,
        undefined,
        "refused",
      ]);
    }
    expect(codes).toEqual([
      "GW_ERR_INVALID_STATUS",
      "GW_ERR_INVALID_HEADER",
      "GW_ERR_INVALID_HEADER",
      "GW_ERR_INVALID_HEADER",
    ]);
  });

  it("hands over a GET body, which Fastify never parses, and sends statuses reply.code() refuses", async () => {
    const fastify = Fastify();
    fastify.register(toFastify(async (request) => text(await readText(request), { status: 799 })));
    const client = await listen(fastify);
    const response = await client.send({ method: "GET", url: "/", body: "a GET body" });
    expect(response.status).toBe(799);
    expect(await response.text()).toBe("a GET body");
  });

  it("refuses an app that is not a function with GW_ERR_INVALID_APP", () => {
    expect(() => toFastify("app" as unknown as GatewayApp)).toThrow(
      expect.objectContaining({ code: "GW_ERR_INVALID_APP" }),
    );
  });
});
