import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import compress from "@fastify/compress";
import cookie from "@fastify/cookie";
import cors from "@fastify/cors";
import formbody from "@fastify/formbody";
import multipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import { json, type Middleware, readBytes, readText, serve, text } from "@gangway/core";
import { fromFastify, toFastify } from "@gangway/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";

/**
 * Real Fastify plugins through the bridge, both directions: in a Fastify host around a gateway app
 * (`toFastify`), and inside an instance that `fromFastify` made a gateway app, served by `serve()`
 * fused and unfused — and, for the plugins that only make sense inside Fastify, that wrapped
 * instance mounted back into a Fastify host.
 */

const MiB = 1024 * 1024;
const passThrough: Middleware = (next) => (request) => next(request);

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/** A Fastify host listening on 127.0.0.1:0. */
async function host(fastify: FastifyInstance): Promise<{ client: HttpClient; url: string }> {
  await fastify.listen({ port: 0, host: "127.0.0.1" });
  const url = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
  const client = new HttpClient(url);
  open.push(async () => {
    client.close();
    await fastify.close();
  });
  return { client, url };
}

/** `serve(fromFastify(instance))`, fused or with a pass-through middleware in between. */
async function wrapped(instance: FastifyInstance, fused: boolean): Promise<{ client: HttpClient; url: string }> {
  const app = fromFastify(instance);
  const server = await serve(fused ? app : passThrough(app), { onError: () => {} });
  const client = new HttpClient(server.url);
  open.push(async () => {
    client.close();
    await server.close();
  });
  return { client, url: server.url };
}

/** An instance wrapped by `fromFastify`, mounted (unfused) in a Fastify host under `prefix`. */
async function remounted(instance: FastifyInstance, prefix: string): Promise<{ client: HttpClient; url: string }> {
  const app = fromFastify(instance);
  open.push(async () => app.shutdown?.());
  return host(Fastify().register(toFastify(passThrough(app)), { prefix }) as unknown as FastifyInstance);
}

describe("@fastify/cookie", () => {
  it("in the host: the app's cookies and the plugin's all reach the client", async () => {
    const fastify = Fastify();
    await fastify.register(cookie);
    fastify.addHook("onRequest", async (_request, reply) => {
      reply.setCookie("session", "s1", { path: "/" });
    });
    fastify.register(
      toFastify((request) =>
        json(
          { header: request.headers.cookie, parsed: (request.env["fastify.request"] as { cookies?: unknown }).cookies },
          { headers: { "set-cookie": ["app=1; Path=/", "other=2"] } },
        ),
      ),
    );
    const { client } = await host(fastify);
    const response = await client.send({ url: "/x", headers: { cookie: "in=1; two=2" } });
    expect(response.headers["set-cookie"]).toEqual(["app=1; Path=/", "other=2", "session=s1; Path=/; SameSite=Lax"]);
    expect(JSON.parse(await response.text())).toEqual({ header: "in=1; two=2", parsed: { in: "1", two: "2" } });
  });

  for (const fused of [true, false]) {
    it(`in the wrapped instance (${fused ? "fused" : "unfused"}): reads cookies, sets two`, async () => {
      const instance = Fastify();
      instance.register(cookie);
      instance.get("/c", async (request, reply) => {
        reply.setCookie("a", "1").setCookie("b", "2", { httpOnly: true });
        return { cookies: request.cookies };
      });
      const { client } = await wrapped(instance, fused);
      const response = await client.send({ url: "/c", headers: { cookie: "x=9" } });
      expect(response.headers["set-cookie"]).toEqual(["a=1; SameSite=Lax", "b=2; HttpOnly; SameSite=Lax"]);
      expect(JSON.parse(await response.text())).toEqual({ cookies: { x: "9" } });
    });
  }
});

describe("@fastify/formbody", () => {
  it("in the host: forms are parsed for host routes, the app gets the bytes", async () => {
    const fastify = Fastify();
    await fastify.register(formbody);
    fastify.post("/form", async (request) => request.body);
    fastify.register(
      toFastify(async (request) => text(await readText(request))),
      { prefix: "/gw" },
    );
    const { client } = await host(fastify);
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const parsed = await client.send({ method: "POST", url: "/form", headers, body: "a=1&b=%20" });
    expect(JSON.parse(await parsed.text())).toEqual({ a: "1", b: " " });
    const raw = await client.send({ method: "POST", url: "/gw/form", headers, body: "a=1&b=%20" });
    expect(await raw.text()).toBe("a=1&b=%20");
  });

  for (const fused of [true, false]) {
    it(`in the wrapped instance (${fused ? "fused" : "unfused"}): parses a posted form`, async () => {
      const instance = Fastify();
      instance.register(formbody);
      instance.post("/form", async (request) => request.body);
      const { client } = await wrapped(instance, fused);
      const response = await client.send({
        method: "POST",
        url: "/form",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "name=Ada&tags=a&tags=b",
      });
      expect(JSON.parse(await response.text())).toEqual({ name: "Ada", tags: ["a", "b"] });
    });
  }
});

describe("@fastify/multipart: a 5 MiB upload", () => {
  const file = randomBytes(5 * MiB);
  const sha = createHash("sha256").update(file).digest("hex");
  const upload = (url: string) => {
    const form = new FormData();
    form.append("note", "hello");
    form.append("upload", new Blob([file]), "big.bin");
    return fetch(url, { method: "POST", body: form });
  };

  it("in the host: the app reads the multipart body as sent", async () => {
    const fastify = Fastify({ bodyLimit: 8 * MiB });
    await fastify.register(multipart);
    fastify.register(
      toFastify(async (request) => {
        const body = Buffer.from(await readBytes(request, { limit: 8 * MiB }));
        const boundary = /boundary=(.+)$/.exec(String(request.headers["content-type"]))![1]!;
        // The file part: after the part headers that name it, up to the next boundary.
        const start = body.indexOf("\r\n\r\n", body.indexOf('filename="big.bin"')) + 4;
        const end = body.indexOf(`\r\n--${boundary}`, start);
        return json({ sha: createHash("sha256").update(body.subarray(start, end)).digest("hex") });
      }),
    );
    const { url } = await host(fastify);
    const response = await upload(`${url}/upload`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sha });
  });

  for (const fused of [true, false]) {
    it(`in the wrapped instance (${fused ? "fused" : "unfused"}): the route streams the file`, async () => {
      const instance = Fastify();
      instance.register(multipart, { limits: { fileSize: 8 * MiB } });
      instance.post("/upload", async (request) => {
        const part = await request.file();
        const hash = createHash("sha256");
        let size = 0;
        for await (const chunk of part!.file) {
          hash.update(chunk);
          size += chunk.length;
        }
        return { name: part!.filename, size, sha: hash.digest("hex") };
      });
      const { url } = await wrapped(instance, fused);
      const response = await upload(`${url}/upload`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ name: "big.bin", size: 5 * MiB, sha });
    });
  }
});

describe("@fastify/static", () => {
  let root: string;
  const content = "0123456789abcdefghij";
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "gangway-static-"));
    await writeFile(join(root, "file.txt"), content);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const staticInstance = () => {
    const instance = Fastify();
    instance.register(fastifyStatic, { root, prefix: "/files/" });
    return instance;
  };

  const checks = async (client: HttpClient, base: string) => {
    const full = await client.send({ url: `${base}/files/file.txt` });
    expect(full.status).toBe(200);
    expect(await full.text()).toBe(content);
    const etag = full.headers.etag as string;
    expect(etag).toBeTypeOf("string");
    const range = await client.send({ url: `${base}/files/file.txt`, headers: { range: "bytes=5-9" } });
    expect(range.status).toBe(206);
    expect(range.headers["content-range"]).toBe(`bytes 5-9/${content.length}`);
    expect(range.headers["content-length"]).toBe("5");
    expect(await range.text()).toBe("56789");
    const cached = await client.send({ url: `${base}/files/file.txt`, headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expect((await cached.bytes()).byteLength).toBe(0);
  };

  for (const fused of [true, false]) {
    it(`in the wrapped instance (${fused ? "fused" : "unfused"}): 200, Range → 206, If-None-Match → 304`, async () => {
      const { client } = await wrapped(staticInstance(), fused);
      await checks(client, "");
    });
  }

  it("in the wrapped instance mounted in a Fastify host: the same under the prefix", async () => {
    const { client } = await remounted(staticInstance(), "/assets");
    await checks(client, "/assets");
  });
});

describe("@fastify/cors", () => {
  const preflight = { origin: "https://site.example", "access-control-request-method": "PUT" };

  it("in the host: preflights are answered, and the app's responses carry the CORS headers", async () => {
    const fastify = Fastify();
    await fastify.register(cors, { origin: "https://site.example", methods: ["GET", "PUT"] });
    fastify.register(
      toFastify(() => text("app")),
      { prefix: "/api" },
    );
    const { client } = await host(fastify);
    const options = await client.send({ method: "OPTIONS", url: "/api/x", headers: preflight });
    expect(options.status).toBe(204);
    expect(options.headers["access-control-allow-methods"]).toBe("GET, PUT");
    const get = await client.send({ url: "/api/x", headers: { origin: "https://site.example" } });
    expect(get.headers["access-control-allow-origin"]).toBe("https://site.example");
    expect(await get.text()).toBe("app");
  });

  for (const fused of [true, false]) {
    it(`in the wrapped instance (${fused ? "fused" : "unfused"}): preflight and simple request`, async () => {
      const instance = Fastify();
      instance.register(cors, { origin: true, credentials: true });
      instance.put("/x", async () => "put");
      const { client } = await wrapped(instance, fused);
      const options = await client.send({ method: "OPTIONS", url: "/x", headers: preflight });
      expect(options.status).toBe(204);
      expect(options.headers["access-control-allow-origin"]).toBe("https://site.example");
      expect(options.headers["access-control-allow-credentials"]).toBe("true");
      const put = await client.send({ method: "PUT", url: "/x", headers: { origin: "https://site.example" } });
      expect(put.headers["access-control-allow-origin"]).toBe("https://site.example");
      expect(await put.text()).toBe("put");
    });
  }
});

describe("@fastify/compress", () => {
  const big = "compress me please. ".repeat(2000);
  const gzip = { "accept-encoding": "gzip" };

  it("in the host: the app's bytes and streams go out gzip-encoded", async () => {
    const fastify = Fastify();
    await fastify.register(compress, { global: true, encodings: ["gzip"] });
    fastify.register(
      toFastify((request) =>
        request.path === "/stream"
          ? {
              status: 200,
              headers: { "content-type": "text/plain" },
              body: (async function* () {
                for (let i = 0; i < 4; i++) yield Buffer.from(big);
              })(),
            }
          : text(big),
      ),
    );
    const { client } = await host(fastify);
    const bytes = await client.send({ url: "/bytes", headers: gzip });
    expect(bytes.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(await bytes.bytes()).toString()).toBe(big);
    const stream = await client.send({ url: "/stream", headers: gzip });
    expect(stream.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(await stream.bytes()).toString()).toBe(big.repeat(4));
  });

  for (const fused of [true, false]) {
    it(`in the wrapped instance (${fused ? "fused" : "unfused"}): gzip decodes to the body`, async () => {
      const instance = Fastify();
      // Awaited: @fastify/compress hooks routes declared after it loaded.
      await instance.register(compress, { global: true, encodings: ["gzip"] });
      instance.get("/big", async (_request, reply) => reply.type("text/plain").send(big));
      const { client } = await wrapped(instance, fused);
      const response = await client.send({ url: "/big", headers: gzip });
      expect(response.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(await response.bytes()).toString()).toBe(big);
    });
  }
});

describe("schema validation", () => {
  const validating = () => {
    const instance = Fastify();
    instance.post(
      "/users",
      {
        schema: {
          body: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
        },
      },
      async (request) => ({ created: (request.body as { name: string }).name }),
    );
    return instance;
  };
  const expectValidationError = async (client: HttpClient, url: string) => {
    const headers = { "content-type": "application/json" };
    const bad = await client.send({ method: "POST", url, headers, body: "{}" });
    expect(bad.status).toBe(400);
    expect(bad.headers["content-type"]).toMatch(/^application\/json/);
    const body = JSON.parse(await bad.text());
    expect(body).toMatchObject({ statusCode: 400, code: "FST_ERR_VALIDATION", error: "Bad Request" });
    expect(body.message).toBeTypeOf("string");
    const good = await client.send({ method: "POST", url, headers, body: '{"name":"Ada"}' });
    expect(JSON.parse(await good.text())).toEqual({ created: "Ada" });
  };

  for (const fused of [true, false]) {
    it(`in the wrapped instance (${fused ? "fused" : "unfused"}): 400 with Fastify's JSON body`, async () => {
      const { client } = await wrapped(validating(), fused);
      await expectValidationError(client, "/users");
    });
  }

  it("in the wrapped instance mounted in a Fastify host: the same 400 under the prefix", async () => {
    const { client } = await remounted(validating(), "/v1");
    await expectValidationError(client, "/v1/users");
  });
});
