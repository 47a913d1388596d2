import { Socket } from "node:net";
import { Readable } from "node:stream";
import { cascade, type GatewayApp, inject, json, type Middleware, mount, serve, text } from "@gangway/core";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "../../../test/helpers/http-client.js";
import { fromFastify } from "./from-fastify.js";

const passThrough: Middleware = (next) => (request) => next(request);
const fallback: GatewayApp = () => text("fallback", { status: 299 });

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

async function served(app: GatewayApp): Promise<HttpClient> {
  const server = await serve(app, { onError: () => {} });
  const client = new HttpClient(server.url);
  open.push(async () => {
    client.close();
    await server.close();
  });
  return client;
}

function urls(): FastifyInstance {
  const instance = Fastify();
  instance.get("/users/:id", async (request) => ({
    url: request.url,
    originalUrl: request.originalUrl,
    params: request.params,
  }));
  return instance;
}

describe("fromFastify", () => {
  it("matches routes as if the instance were mounted at basePath: request.url is path + query", async () => {
    const seen = { url: "/users/7?x=1", originalUrl: "/api/users/7?x=1", params: { id: "7" } };
    for (const app of [mount({ "/api": fromFastify(urls()) }), mount({ "/api": passThrough(fromFastify(urls())) })]) {
      const response = await inject(app, { url: "/api/users/7?x=1" });
      expect(await response.json()).toEqual(seen);
      const client = await served(app);
      expect(JSON.parse(await (await client.send({ url: "/api/users/7?x=1" })).text())).toEqual(seen);
    }
    // At the root, fused: the real request, whose url is the whole target.
    const client = await served(fromFastify(urls()));
    expect(JSON.parse(await (await client.send({ url: "/users/7?x=1" })).text())).toEqual({
      url: "/users/7?x=1",
      originalUrl: "/users/7?x=1",
      params: { id: "7" },
    });
  });

  it("waits for ready() once, however many first requests arrive together", async () => {
    const instance = Fastify();
    let readyHooks = 0;
    instance.register(async (child) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      child.get("/", async () => "booted");
    });
    instance.addHook("onReady", async () => {
      readyHooks++;
    });
    const app = fromFastify(instance);
    const responses = await Promise.all([1, 2, 3].map(() => inject(app, { url: "/" })));
    expect(await Promise.all(responses.map((response) => response.text()))).toEqual(["booted", "booted", "booted"]);
    expect(readyHooks).toBe(1);
    await app.shutdown?.();
  });

  it("rejects every call with the error of a plugin that failed to load", async () => {
    const instance = Fastify();
    const failure = Object.assign(new Error("no database"), { code: "E_DB" });
    instance.register(async () => {
      throw failure;
    });
    const app = fromFastify(instance);
    const calls = await Promise.allSettled([inject(app, { url: "/" }), inject(app, { url: "/" })]);
    for (const call of calls) expect(call).toMatchObject({ status: "rejected", reason: { code: "E_DB" } });
    await expect(inject(app, { url: "/" })).rejects.toMatchObject({ code: "E_DB" });
  });

  it("answers pass() when no route matched, but keeps a 404 a route or a custom handler sent", async () => {
    const instance = Fastify();
    instance.get("/own-404", async (_request, reply) => reply.code(404).send({ missing: "on purpose" }));
    instance.get("/call-not-found", async (_request, reply) => reply.callNotFound());
    instance.register(
      async (child) => {
        child.setNotFoundHandler((_request, reply) => reply.code(404).send("custom not found"));
      },
      { prefix: "/custom" },
    );
    const app = cascade(fromFastify(instance), fallback);
    const send = async (url: string, method = "GET") => {
      const response = await inject(app, { url, method });
      return [response.status, await response.text()];
    };
    expect(await send("/nowhere")).toEqual([299, "fallback"]);
    expect(await send("/own-404", "POST")).toEqual([299, "fallback"]);
    expect(await send("/call-not-found")).toEqual([299, "fallback"]);
    expect(await send("/own-404")).toEqual([404, '{"missing":"on purpose"}']);
    expect(await send("/custom/x")).toEqual([404, "custom not found"]);
  });

  it("leaves the body of a request it passes unread, for the next app", async () => {
    const instance = Fastify();
    const echo: GatewayApp = async (request) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request.body ?? []) chunks.push(Buffer.from(chunk));
      return text(Buffer.concat(chunks).toString());
    };
    const app = cascade(fromFastify(instance), echo);
    const response = await inject(app, {
      method: "POST",
      url: "/legacy",
      headers: { "content-type": "application/json" },
      body: '{"kept":true}',
    });
    expect(await response.text()).toBe('{"kept":true}');
  });

  it("rejects with an error left to Fastify's default error handler, and answers 4xx errors and custom handlers", async () => {
    const failure = new Error("unhandled");
    const instance = Fastify();
    instance.get("/throw", async () => {
      throw failure;
    });
    instance.get("/teapot", async () => {
      throw Object.assign(new Error("short and stout"), { statusCode: 418 });
    });
    instance.register(async (child) => {
      child.setErrorHandler((error: Error, _request, reply) => reply.code(503).send({ handled: error.message }));
      child.get("/handled", async () => {
        throw new Error("mine");
      });
    });
    const app = fromFastify(instance);
    await expect(inject(app, { url: "/throw" })).rejects.toBe(failure);
    const teapot = await inject(app, { url: "/teapot" });
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toMatchObject({ statusCode: 418, error: "I'm a Teapot", message: "short and stout" });
    const handled = await inject(app, { url: "/handled" });
    expect([handled.status, await handled.json()]).toEqual([503, { handled: "mine" }]);
    // Served, the rejection becomes the server's 500.
    const client = await served(passThrough(app));
    expect((await client.send({ url: "/throw" })).status).toBe(500);
  });

  it("streams what a route streams: a Readable, and hijacked raw writes, chunk by chunk", async () => {
    const instance = Fastify();
    let last = false;
    instance.get("/readable", async (_request, reply) =>
      reply.type("text/plain").send(
        Readable.from(
          (async function* () {
            yield "first,";
            await new Promise((resolve) => setTimeout(resolve, 100));
            last = true;
            yield "last";
          })(),
        ),
      ),
    );
    instance.get("/hijack", (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, "Hijacked", { "content-type": "text/plain", "set-cookie": ["a=1", "b=2"] });
      reply.raw.write("first,");
      setTimeout(() => {
        last = true;
        reply.raw.end("last");
      }, 100);
    });
    for (const app of [fromFastify(instance), passThrough(fromFastify(instance))]) {
      const client = await served(app);
      for (const url of ["/readable", "/hijack"]) {
        last = false;
        const response = await client.send({ url });
        const iterator = response.body[Symbol.asyncIterator]();
        expect(Buffer.from((await iterator.next()).value!).toString()).toBe("first,");
        expect(last).toBe(false);
        let rest = "";
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest += Buffer.from(r.value).toString();
        expect(rest).toBe("last");
        if (url === "/hijack") {
          expect(response.statusText).toBe("Hijacked");
          expect(response.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
        }
      }
    }
  });

  it("runs ready() as its startup hook and close() as its shutdown hook", async () => {
    const instance = Fastify();
    let closed = 0;
    instance.addHook("onClose", async () => {
      closed++;
    });
    instance.get("/", async () => "up");
    const app = fromFastify(instance);
    await app.startup?.();
    expect(await (await inject(app, { url: "/" })).text()).toBe("up");
    await app.shutdown?.();
    expect(closed).toBe(1);
  });

  it("warns that an instance already ready answers unmatched requests with its own 404", async () => {
    const instance = Fastify();
    instance.get("/", async () => "ok");
    await instance.ready();
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    const app = cascade(fromFastify(instance), fallback);
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);
    expect(warnings.map((warning) => warning.code)).toContain("GANGWAY_FASTIFY_READY");
    const response = await inject(app, { url: "/nowhere" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "Not Found" });
    await instance.close();
  });

  it("routes the real request when served fused, and a socketless one with a middleware in between", async () => {
    const sockets: boolean[] = [];
    const instance = Fastify();
    instance.get("/", async (request) => {
      sockets.push(request.raw.socket instanceof Socket);
      return json({ ok: true });
    });
    const app = fromFastify(instance);
    await (await served(app)).send({ url: "/" });
    await (await served(passThrough(app))).send({ url: "/" });
    expect(sockets).toEqual([true, false]);
  });
});
