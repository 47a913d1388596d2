import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type GatewayApp, GatewayError, json, pass, readBytes, readForm, readJson, text } from "@gangway/core";
import { toExpress } from "@gangway/express";
import compression from "compression";
import cookieParser from "cookie-parser";
import express from "express";
import session from "express-session";
import helmet from "helmet";
import multer from "multer";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";

// Express hosts a gateway app: real middleware in front of toExpress(app), real HTTP in front of both.

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

async function listen(listener: RequestListener): Promise<{ origin: string; client: HttpClient }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new HttpClient(origin);
  open.push(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { origin, client };
}

/** The value of `name` among the response's set-cookie lines, for sending back. */
function cookiePair(setCookie: string | string[] | undefined, name: string): string {
  const line = [setCookie ?? []].flat().find((cookie) => cookie.startsWith(`${name}=`));
  if (line === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookie)}`);
  return line.split(";", 1)[0]!;
}

describe("body parsers in the host", () => {
  it("express.json() and express.urlencoded() parse first, and the app still reads the body", async () => {
    const app: GatewayApp = async (request) => {
      if (request.path === "/json") return json({ got: await readJson(request) });
      return json({ got: Object.fromEntries(await readForm(request)) });
    };
    const host = express().use(express.json(), express.urlencoded()).use(toExpress(app));
    const { client } = await listen(host);
    const fromJson = await client.send({
      method: "POST",
      url: "/json",
      headers: { "content-type": "application/json" },
      body: '{"name":"Ada","tags":["x","y"]}',
    });
    expect(await fromJson.text().then(JSON.parse)).toEqual({ got: { name: "Ada", tags: ["x", "y"] } });
    const fromForm = await client.send({
      method: "POST",
      url: "/form",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=Ada+Lovelace&lang=en",
    });
    expect(await fromForm.text().then(JSON.parse)).toEqual({ got: { name: "Ada Lovelace", lang: "en" } });
  });

  it("multer in the host: the app's read fails with GW_ERR_BODY_CONSUMED, and req.file holds the upload", async () => {
    const app: GatewayApp = async (request) => {
      const file = request.env["express.req"]?.file;
      try {
        await readBytes(request, { limit: 10 * 1024 * 1024 });
        return text("read the multipart body");
      } catch (error) {
        return json({
          code: GatewayError.is(error) ? error.code : "other",
          size: file?.size,
          name: file?.originalname,
        });
      }
    };
    const host = express()
      .use(multer({ storage: multer.memoryStorage() }).single("upload"))
      .use(toExpress(app));
    const { origin } = await listen(host);
    const form = new FormData();
    form.append("upload", new Blob([Buffer.alloc(300_000, 1)]), "data.bin");
    const response = await fetch(origin, { method: "POST", body: form });
    expect(await response.json()).toEqual({ code: "GW_ERR_BODY_CONSUMED", size: 300_000, name: "data.bin" });
  });
});

describe("cookies and sessions in the host", () => {
  it("cookie-parser: the app reads a signed cookie the host set, and a tampered one fails", async () => {
    const app: GatewayApp = (request) => {
      const req = request.env["express.req"]!;
      return json({ user: req.signedCookies.user ?? null });
    };
    const host = express()
      .use(cookieParser("s3cret"))
      .get("/login", (_req, res) => {
        res.cookie("user", "ada", { signed: true }).send("welcome");
      })
      .use(toExpress(app));
    const { client } = await listen(host);
    const login = await client.send({ url: "/login" });
    const cookie = cookiePair(login.headers["set-cookie"], "user");
    const seen = await client.send({ url: "/whoami", headers: { cookie } });
    expect(await seen.text().then(JSON.parse)).toEqual({ user: "ada" });
    const tampered = await client.send({ url: "/whoami", headers: { cookie: cookie.replace("ada", "eve") } });
    expect(await tampered.text().then(JSON.parse)).toEqual({ user: false });
  });

  it("express-session: the app logs in, the next request with the cookie sees the session", async () => {
    const app: GatewayApp = (request) => {
      const req = request.env["express.req"]!;
      const state = req.session as typeof req.session & { user?: string };
      if (request.path === "/login") {
        state.user = new URLSearchParams(request.query).get("as") ?? "nobody";
        return text("logged in", { headers: { "set-cookie": "theme=dark; Path=/" } });
      }
      return json({ user: state.user ?? null });
    };
    const host = express()
      .use(session({ secret: "s3cret", resave: false, saveUninitialized: false }))
      .use(toExpress(app));
    const { client } = await listen(host);
    const login = await client.send({ url: "/login?as=ada" });
    expect(await login.text()).toBe("logged in");
    // The app's cookie and the session's cookie both arrive.
    const cookies = [login.headers["set-cookie"] ?? []].flat();
    expect(cookies.some((c) => c.startsWith("theme=dark"))).toBe(true);
    const sid = cookiePair(cookies, "connect.sid");
    const me = await client.send({ url: "/me", headers: { cookie: sid } });
    expect(await me.text().then(JSON.parse)).toEqual({ user: "ada" });
    const stranger = await client.send({ url: "/me" });
    expect(await stranger.text().then(JSON.parse)).toEqual({ user: null });
  });
});

describe("response middleware in the host", () => {
  it("compression gzips the app's response, streamed or not", async () => {
    const big = "gangway ".repeat(4096);
    const app: GatewayApp = (request) =>
      request.path === "/stream"
        ? {
            status: 200,
            headers: { "content-type": "text/plain" },
            body: (async function* () {
              yield Buffer.from(big);
              yield Buffer.from(big);
            })(),
          }
        : text(big);
    const host = express().use(compression()).use(toExpress(app));
    const { client } = await listen(host);
    for (const [url, expected] of [
      ["/", big],
      ["/stream", big + big],
    ] as const) {
      const response = await client.send({ url, headers: { "accept-encoding": "gzip" } });
      expect(response.headers["content-encoding"]).toBe("gzip");
      const bytes = await response.bytes();
      expect(bytes.byteLength).toBeLessThan(expected.length / 10);
      expect(gunzipSync(bytes).toString()).toBe(expected);
    }
  });

  it("helmet's headers arrive alongside the app's own", async () => {
    const host = express()
      .use(helmet())
      .use(toExpress(() => text("secured", { headers: { "x-app": "gangway", "cache-control": "no-store" } })));
    const { client } = await listen(host);
    const response = await client.send({ url: "/" });
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
    expect(response.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(response.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
    expect(response.headers["x-app"]).toBe("gangway");
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(await response.text()).toBe("secured");
  });
});

describe("express.static after a gateway app that passes", () => {
  let dir: string;
  const content = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gangway-static-"));
    await writeFile(join(dir, "file.txt"), content);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves ranges (206) and conditional requests (304) once the app passes", async () => {
    const host = express()
      .use(toExpress((request) => (request.path === "/api" ? text("api") : pass())))
      .use(express.static(dir));
    const { client } = await listen(host);
    expect(await (await client.send({ url: "/api" })).text()).toBe("api");
    const ranged = await client.send({ url: "/file.txt", headers: { range: "bytes=10-15" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers["content-range"]).toBe(`bytes 10-15/${content.byteLength}`);
    expect((await ranged.bytes()).toString()).toBe("abcdef");
    const whole = await client.send({ url: "/file.txt" });
    const etag = whole.headers.etag as string;
    expect(etag).toBeTruthy();
    expect(await whole.bytes()).toEqual(content);
    const again = await client.send({ url: "/file.txt", headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect((await again.bytes()).byteLength).toBe(0);
  });
});
