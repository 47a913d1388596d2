import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type GatewayApp, type Middleware, mount, serve } from "@gangway/core";
import { fromExpress } from "@gangway/express";
import compression from "compression";
import cookieParser from "cookie-parser";
import express, { type Express } from "express";
import session from "express-session";
import helmet from "helmet";
import multer from "multer";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";

// An Express app with real middleware, wrapped by fromExpress and served by serve(): fused (Express
// on the real request and response) and unfused (a pass-through middleware in between, so Express
// runs on fromNodeListener's socketless pair). A user checks the same things on both.

const passThrough: Middleware = (next) => (request) => next(request);

const ways: Array<[string, (app: Express) => GatewayApp]> = [
  ["fused: serve(fromExpress(app))", (app) => fromExpress(app)],
  ["unfused: serve(passThrough(fromExpress(app)))", (app) => passThrough(fromExpress(app))],
];

let dir: string;
const fileContent = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gangway-wrapped-"));
  await writeFile(join(dir, "file.txt"), fileContent);
  await writeFile(join(dir, "page.tpl"), "<h1>{{title}}</h1><p>{{who}}</p>");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

function cookiePair(setCookie: string | string[] | undefined, name: string): string {
  const line = [setCookie ?? []].flat().find((cookie) => cookie.startsWith(`${name}=`));
  if (line === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookie)}`);
  return line.split(";", 1)[0]!;
}

describe.each(ways)("%s", (_name, wrap) => {
  async function start(app: Express): Promise<{ client: HttpClient; url: string }> {
    const server = await serve(wrap(app), { onError: () => {} });
    const client = new HttpClient(server.url);
    open.push(async () => {
      client.close();
      await server.close();
    });
    return { client, url: server.url };
  }

  it("express.json() and express.urlencoded() parse the bodies sent through the gateway", async () => {
    const app = express()
      .use(express.json(), express.urlencoded())
      .post("/echo", (req, res) => {
        res.json({ type: req.is("json") ? "json" : "form", body: req.body });
      });
    const { client } = await start(app);
    const fromJson = await client.send({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/json" },
      body: '{"a":[1,2]}',
    });
    expect(await fromJson.text().then(JSON.parse)).toEqual({ type: "json", body: { a: [1, 2] } });
    const fromForm = await client.send({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1&b=two",
    });
    expect(await fromForm.text().then(JSON.parse)).toEqual({ type: "form", body: { a: "1", b: "two" } });
  });

  it("cookie-parser: a signed cookie set by one request is read by the next", async () => {
    const app = express()
      .use(cookieParser("s3cret"))
      .get("/login", (_req, res) => {
        res.cookie("user", "ada", { signed: true }).send("welcome");
      })
      .get("/whoami", (req, res) => {
        res.json({ user: req.signedCookies.user ?? null });
      });
    const { client } = await start(app);
    const cookie = cookiePair((await client.send({ url: "/login" })).headers["set-cookie"], "user");
    expect(await (await client.send({ url: "/whoami", headers: { cookie } })).text().then(JSON.parse)).toEqual({
      user: "ada",
    });
    const forged = await client.send({ url: "/whoami", headers: { cookie: cookie.replace("ada", "eve") } });
    expect(await forged.text().then(JSON.parse)).toEqual({ user: false });
  });

  it("express-session: log in, then a second request with the cookie sees the session", async () => {
    const app = express()
      .use(session({ secret: "s3cret", resave: false, saveUninitialized: false }))
      .post("/login", (req, res) => {
        (req.session as typeof req.session & { user?: string }).user = "ada";
        res.send("logged in");
      })
      .get("/me", (req, res) => {
        res.json({ user: (req.session as typeof req.session & { user?: string }).user ?? null });
      });
    const { client } = await start(app);
    const login = await client.send({ method: "POST", url: "/login" });
    expect(await login.text()).toBe("logged in");
    const sid = cookiePair(login.headers["set-cookie"], "connect.sid");
    expect(await (await client.send({ url: "/me", headers: { cookie: sid } })).text().then(JSON.parse)).toEqual({
      user: "ada",
    });
    expect(await (await client.send({ url: "/me" })).text().then(JSON.parse)).toEqual({ user: null });
  });

  it("multer receives a 5 MiB upload intact", async () => {
    const app = express().post("/upload", multer({ storage: multer.memoryStorage() }).single("file"), (req, res) => {
      res.json({
        size: req.file?.size,
        name: req.file?.originalname,
        sha256: createHash("sha256").update(req.file!.buffer).digest("hex"),
        note: req.body.note,
      });
    });
    const { url } = await start(app);
    const bytes = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
    const form = new FormData();
    form.append("note", "five mebibytes");
    form.append("file", new Blob([bytes]), "big.bin");
    const response = await fetch(`${url}/upload`, { method: "POST", body: form });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      size: bytes.length,
      name: "big.bin",
      sha256: createHash("sha256").update(bytes).digest("hex"),
      note: "five mebibytes",
    });
  });

  it("compression gzips what Express sends", async () => {
    const big = "express ".repeat(4096);
    const app = express()
      .use(compression())
      .get("/", (_req, res) => {
        res.type("text").send(big);
      });
    const { client } = await start(app);
    const response = await client.send({ url: "/", headers: { "accept-encoding": "gzip" } });
    expect(response.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(await response.bytes()).toString()).toBe(big);
  });

  it("helmet's headers arrive with the route's own", async () => {
    const app = express()
      .use(helmet())
      .get("/", (_req, res) => {
        res.set("x-route", "yes").status(201).json({ ok: true });
      });
    const { client } = await start(app);
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(201);
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
    expect(response.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(response.headers["x-route"]).toBe("yes");
    expect(await response.text().then(JSON.parse)).toEqual({ ok: true });
  });

  it("express.static serves ranges (206) and answers If-None-Match with 304", async () => {
    const { client } = await start(express().use(express.static(dir)));
    const ranged = await client.send({ url: "/file.txt", headers: { range: "bytes=10-15" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers["content-range"]).toBe(`bytes 10-15/${fileContent.byteLength}`);
    expect((await ranged.bytes()).toString()).toBe("abcdef");
    const whole = await client.send({ url: "/file.txt" });
    expect(await whole.bytes()).toEqual(fileContent);
    const again = await client.send({ url: "/file.txt", headers: { "if-none-match": whole.headers.etag as string } });
    expect(again.status).toBe(304);
    expect((await again.bytes()).byteLength).toBe(0);
  });

  it("res.redirect, res.sendFile, res.download, res.format and res.render behave as natively", async () => {
    const app = express()
      .engine("tpl", (path, options, callback) => {
        import("node:fs/promises")
          .then(({ readFile }) => readFile(path, "utf8"))
          .then((template) =>
            callback(
              null,
              template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => String((options as never)[key])),
            ),
          )
          .catch(callback);
      })
      .set("views", dir)
      .set("view engine", "tpl")
      .get("/old", (_req, res) => {
        res.redirect(301, "/new");
      })
      .get("/file", (_req, res) => {
        res.sendFile(join(dir, "file.txt"));
      })
      .get("/download", (_req, res) => {
        res.download(join(dir, "file.txt"), "report.txt");
      })
      .get("/negotiate", (_req, res) => {
        res.format({
          "text/plain": () => res.send("plain"),
          "application/json": () => res.json({ kind: "json" }),
        });
      })
      .get("/page", (_req, res) => {
        res.render("page", { title: "Hello", who: "Ada" });
      });
    const { client } = await start(app);
    const moved = await client.send({ url: "/old" });
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe("/new");
    const file = await client.send({ url: "/file" });
    expect(file.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(await file.bytes()).toEqual(fileContent);
    const download = await client.send({ url: "/download" });
    expect(download.headers["content-disposition"]).toBe("attachment; filename=report.txt");
    expect(await download.bytes()).toEqual(fileContent);
    const asJson = await client.send({ url: "/negotiate", headers: { accept: "application/json" } });
    expect(await asJson.text().then(JSON.parse)).toEqual({ kind: "json" });
    const asText = await client.send({ url: "/negotiate", headers: { accept: "text/plain" } });
    expect(await asText.text()).toBe("plain");
    const unacceptable = await client.send({ url: "/negotiate", headers: { accept: "image/png" } });
    expect(unacceptable.status).toBe(406);
    const page = await client.send({ url: "/page" });
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(await page.text()).toBe("<h1>Hello</h1><p>Ada</p>");
  });

  it("streams res.write() chunk by chunk: server-sent events arrive as they are written", async () => {
    let wroteLast = false;
    const app = express().get("/events", (_req, res) => {
      res.set({ "content-type": "text/event-stream", "cache-control": "no-cache" }).flushHeaders();
      res.write("data: first\n\n");
      setTimeout(() => {
        wroteLast = true;
        res.end("data: last\n\n");
      }, 300);
    });
    const { client } = await start(app);
    const response = await client.send({ url: "/events" });
    expect(response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const iterator = response.body[Symbol.asyncIterator]();
    expect(Buffer.from((await iterator.next()).value!).toString()).toBe("data: first\n\n");
    expect(wroteLast).toBe(false);
    let rest = "";
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest += Buffer.from(r.value).toString();
    expect(rest).toBe("data: last\n\n");
  });

  it("req.ip, req.protocol and req.hostname follow Express's own trust proxy setting", async () => {
    const report = (app: Express) =>
      app.get("/who", (req, res) => {
        res.json({ ip: req.ip, protocol: req.protocol, hostname: req.hostname, secure: req.secure });
      });
    const forwarded = {
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "shop.test",
    };
    const { client: direct } = await start(report(express()));
    const seen = await (await direct.send({ url: "/who", headers: forwarded })).text().then(JSON.parse);
    expect(seen).toEqual({ ip: "127.0.0.1", protocol: "http", hostname: "127.0.0.1", secure: false });
    const { client: proxied } = await start(report(express().set("trust proxy", true)));
    const trusted = await (await proxied.send({ url: "/who", headers: forwarded })).text().then(JSON.parse);
    expect(trusted).toEqual({ ip: "203.0.113.7", protocol: "https", hostname: "shop.test", secure: true });
  });
});

describe("mounted below a prefix", () => {
  it("shows Express req.baseUrl, req.url and req.originalUrl as a native mount would", async () => {
    const app = express().use((req, res) => {
      res.json({ baseUrl: req.baseUrl, url: req.url, originalUrl: req.originalUrl, path: req.path });
    });
    const server = await serve(mount({ "/legacy": passThrough(fromExpress(app)) }));
    const client = new HttpClient(server.url);
    open.push(async () => {
      client.close();
      await server.close();
    });
    const native = express().use("/legacy", app);
    const nativeServer = await serve(fromExpress(native));
    const nativeClient = new HttpClient(nativeServer.url);
    open.push(async () => {
      nativeClient.close();
      await nativeServer.close();
    });
    for (const url of ["/legacy/a/b?x=1", "/legacy", "/legacy/", "/legacy?q"]) {
      const bridged = await (await client.send({ url })).text().then(JSON.parse);
      const direct = await (await nativeClient.send({ url })).text().then(JSON.parse);
      expect(bridged, url).toEqual(direct);
    }
    expect(await (await client.send({ url: "/legacy/a?x=1" })).text().then(JSON.parse)).toEqual({
      baseUrl: "/legacy",
      url: "/a?x=1",
      originalUrl: "/legacy/a?x=1",
      path: "/a",
    });
  });
});
