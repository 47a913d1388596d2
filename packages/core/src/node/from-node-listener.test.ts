import { request as httpRequest, IncomingMessage, ServerResponse } from "node:http";
import { PassThrough, Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { inject } from "../inject.js";
import { isPass, text } from "../response.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import {
  type FusedNodeListener,
  fromNodeListener,
  getGatewayRequest,
  type NodeListener,
} from "./from-node-listener.js";
import { type RunningServer, serve } from "./serve.js";
import { kNodeListener, toNodeListener } from "./to-node-listener.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(2);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

function gatewayRequest(init: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    method: "GET",
    scheme: "http",
    authority: "example.test",
    basePath: "",
    path: "/",
    query: "",
    headers: { host: "example.test" },
    body: null,
    signal: new AbortController().signal,
    remoteAddress: "192.0.2.7",
    env: {},
    ...init,
  };
}

async function readAll(body: GatewayResponse["body"]): Promise<string> {
  if (body === null || body === undefined) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString();
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
}

function iteratorOf(response: GatewayResponse): AsyncIterator<Uint8Array> {
  return (response.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
}

async function* chunksOf(count: number, size: number, onYield?: (index: number) => void) {
  for (let i = 0; i < count; i++) {
    onYield?.(i);
    yield Buffer.alloc(size, i % 256);
  }
}

describe("fromNodeListener: the request", () => {
  it("hands the listener real IncomingMessage and ServerResponse instances with a stand-in socket", async () => {
    let seen: Record<string, unknown> = {};
    const app = fromNodeListener((req, res) => {
      seen = {
        req: req instanceof IncomingMessage,
        res: res instanceof ServerResponse,
        same: req.socket === res.socket && req.connection === req.socket,
        remoteAddress: req.socket.remoteAddress,
        remoteFamily: req.socket.remoteFamily,
        encrypted: (req.socket as { encrypted?: boolean }).encrypted,
        localPort: req.socket.localPort,
        timeout: req.socket.setTimeout(1000) === req.socket && req.setTimeout(5) === req,
        httpVersion: req.httpVersion,
        method: req.method,
      };
      res.end();
    });
    await app(gatewayRequest({ scheme: "https", authority: "example.test:8443", method: "DELETE" }));
    expect(seen).toEqual({
      req: true,
      res: true,
      same: true,
      remoteAddress: "192.0.2.7",
      remoteFamily: "IPv4",
      encrypted: true,
      localPort: 8443,
      timeout: true,
      httpVersion: "1.1",
      method: "DELETE",
    });
  });

  it("shows the mount prefix as Express does: url, originalUrl and baseUrl", async () => {
    const urls: unknown[] = [];
    const app = fromNodeListener((req, res) => {
      const mounted = req as IncomingMessage & { originalUrl: string; baseUrl: string };
      urls.push([req.url, mounted.originalUrl, mounted.baseUrl]);
      res.end();
    });
    await app(gatewayRequest({ basePath: "/api", path: "/users/7", query: "a=1&b" }));
    await app(gatewayRequest({ basePath: "/api", path: "", query: "" }));
    await app(gatewayRequest({ basePath: "", path: "/x%2Fy", query: "" }));
    expect(urls).toEqual([
      ["/users/7?a=1&b", "/api/users/7?a=1&b", "/api"],
      ["/", "/api", "/api"],
      ["/x%2Fy", "/x%2Fy", ""],
    ]);
  });

  it("gives the listener its own copy of the headers, rawHeaders built from them, and the gateway request", async () => {
    const request = gatewayRequest({
      headers: { host: "example.test", "x-repeat": "a, b", cookie: "a=1; b=2", "set-cookie": ["c=3", "d=4"] },
    });
    let raw: string[] = [];
    let attached: GatewayRequest | undefined;
    const app = fromNodeListener((req, res) => {
      raw = req.rawHeaders;
      attached = getGatewayRequest(req);
      req.headers["x-added"] = "by the listener";
      res.end();
    });
    await app(request);
    expect(raw).toEqual([
      "host",
      "example.test",
      "x-repeat",
      "a, b",
      "cookie",
      "a=1; b=2",
      "set-cookie",
      "c=3",
      "set-cookie",
      "d=4",
    ]);
    expect(attached).toBe(request);
    expect(request.headers["x-added"]).toBeUndefined();
  });

  it("takes rawHeaders from env['node.rawHeaders'] when a server supplied them", async () => {
    let raw: string[] = [];
    const rawHeaders = ["Host", "example.test", "X-Case", "Kept"];
    const app = fromNodeListener((req, res) => {
      raw = req.rawHeaders;
      res.end();
    });
    await app(
      gatewayRequest({ headers: { host: "example.test", "x-case": "Kept" }, env: { "node.rawHeaders": rawHeaders } }),
    );
    expect(raw).toEqual(rawHeaders);
  });

  it("sets host to the request's authority and marks a body without framing headers as chunked", async () => {
    let headers: IncomingMessage["headers"] = {};
    const app = fromNodeListener((req, res) => {
      headers = req.headers;
      req.resume();
      req.on("end", () => res.end());
    });
    await app(gatewayRequest({ authority: "proxied.test", body: chunksOf(1, 3), method: "POST" }));
    expect(headers.host).toBe("proxied.test");
    expect(headers["transfer-encoding"]).toBe("chunked");
  });

  it("returns undefined from getGatewayRequest for a request a server received", async () => {
    let attached: unknown = "unset";
    const server = await serve(
      fromNodeListener((req, res) => {
        attached = getGatewayRequest(req);
        res.end();
      }),
    );
    try {
      await fetch(server.url);
      expect(attached).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it("ends a request without a body at once, complete", async () => {
    const events: string[] = [];
    const app = fromNodeListener((req, res) => {
      req.on("data", () => events.push("data"));
      req.on("end", () => {
        events.push(`end complete=${req.complete}`);
        res.end();
      });
    });
    await app(gatewayRequest());
    expect(events).toEqual(["end complete=true"]);
  });

  it("pulls the body only as the listener reads, so a slow reader holds the producer back", async () => {
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const app = fromNodeListener(async (req, res) => {
      for await (const chunk of req) {
        consumed += chunk.length;
        await sleep(1);
      }
      res.end(`read ${consumed}`);
    });
    const body = chunksOf(64, 16 * 1024, () => {
      produced += 16 * 1024;
      maxAhead = Math.max(maxAhead, produced - consumed);
    });
    const response = await app(
      gatewayRequest({ method: "POST", body, headers: { "content-length": String(64 * 16384) } }),
    );
    expect(await readAll(response.body)).toBe(`read ${64 * 16384}`);
    // The IncomingMessage buffers up to its high-water mark (64 KiB) plus the chunk in hand.
    expect(maxAhead).toBeLessThanOrEqual(128 * 1024);
  });

  it("streams a 10 MiB request body through without ever holding it", async () => {
    const total = 10 * 1024 * 1024;
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const app = fromNodeListener((req, res) => {
      req.on("data", (chunk: Buffer) => {
        consumed += chunk.length;
      });
      req.on("end", () => res.end(String(consumed)));
    });
    const body = chunksOf(total / 65536, 65536, () => {
      produced += 65536;
      maxAhead = Math.max(maxAhead, produced - consumed);
    });
    const response = await app(gatewayRequest({ method: "PUT", body }));
    expect(await readAll(response.body)).toBe(String(total));
    expect(maxAhead).toBeLessThanOrEqual(256 * 1024);
  });

  it("finishes the request body it stopped reading when the listener destroys its request", async () => {
    let returned = false;
    const body = (async function* () {
      try {
        for (;;) yield Buffer.from("more");
      } finally {
        returned = true;
      }
    })();
    const app = fromNodeListener((req) => {
      req.once("data", () => req.destroy());
    });
    await expect(app(gatewayRequest({ method: "POST", body }))).rejects.toMatchObject({
      code: "GW_ERR_RESPONSE_ABORTED",
    });
    await until(() => returned, "the body's return()");
  });

  it("lets the listener answer after a request body error, with the error on req", async () => {
    const failure = new GatewayError("GW_ERR_BODY_TOO_LARGE");
    const body = (async function* () {
      yield Buffer.from("x");
      throw failure;
    })();
    let aborted = false;
    const app = fromNodeListener((req, res) => {
      req.on("aborted", () => {
        aborted = true;
      });
      req.on("error", (error) => {
        res.statusCode = (error as GatewayError).status;
        res.end("too large");
      });
      req.resume();
    });
    const response = await app(gatewayRequest({ method: "POST", body }));
    expect(response.status).toBe(413);
    expect(await readAll(response.body)).toBe("too large");
    expect(aborted).toBe(false);
  });
});

describe("fromNodeListener: the response", () => {
  it("hands over a response ended at once with one string as that string, and any other as bytes", async () => {
    const bodies: [NodeListener, unknown][] = [
      [(_req, res) => void res.end("héllo"), "héllo"],
      [(_req, res) => void res.end("héllo", "utf-8"), "héllo"],
      [(_req, res) => void res.end("héllo", "latin1"), new Uint8Array(Buffer.from("héllo", "latin1"))],
      [(_req, res) => void res.end(Buffer.from("héllo")), new Uint8Array(Buffer.from("héllo"))],
      [
        (_req, res) => {
          res.write("hé");
          res.end("llo");
        },
        new Uint8Array(Buffer.from("héllo")),
      ],
      [
        (_req, res) => {
          res.write(Buffer.from("hé"));
          res.end("llo");
        },
        new Uint8Array(Buffer.from("héllo")),
      ],
    ];
    for (const [listener, expected] of bodies) {
      const { body } = await fromNodeListener(listener)(gatewayRequest());
      expect(body instanceof Uint8Array ? new Uint8Array(body) : body).toEqual(expected);
    }
  });

  it("hands over a response ended at once whole, with every header the listener set", async () => {
    const app = fromNodeListener((_req, res) => {
      res.setHeader("Content-Type", "text/plain");
      res.setHeader("x-number", 42);
      res.end("hello");
    });
    const response = await app(gatewayRequest());
    expect(response.status).toBe(200);
    expect(response.statusText).toBe("OK");
    expect({ ...response.headers }).toEqual({ "content-type": "text/plain", "x-number": 42 });
    expect(Buffer.from(response.body as Uint8Array).toString()).toBe("hello");
  });

  it("keeps set-cookie lists from setHeader, writeHead objects and writeHead pair lists", async () => {
    const variants: NodeListener[] = [
      (_req, res) => {
        res.setHeader("Set-Cookie", ["a=1", "b=2"]);
        res.writeHead(200, { "set-cookie": ["c=3"], "content-type": "text/plain" }).end();
      },
      (_req, res) => res.writeHead(200, { "Set-Cookie": ["a=1", "b=2"], "set-cookie": "c=3" }).end(),
      (_req, res) =>
        res
          .writeHead(200, [
            ["set-cookie", "a=1"],
            ["Set-Cookie", "b=2"],
          ])
          .end(),
      (_req, res) => res.writeHead(200, ["set-cookie", "a=1", "Set-Cookie", "b=2"]).end(),
    ];
    const results: unknown[] = [];
    for (const listener of variants)
      results.push((await fromNodeListener(listener)(gatewayRequest())).headers?.["set-cookie"]);
    // writeHead's values override setHeader's of the same name, as Node sends them.
    expect(results).toEqual([["c=3"], ["a=1", "b=2", "c=3"], ["a=1", "b=2"], ["a=1", "b=2"]]);
  });

  it("keeps headers named like Object.prototype's members as headers, from setHeader and writeHead", async () => {
    // With and without __proto__: a plain object holds the others, a null-prototype one all three.
    for (const proto of [[], [["__proto__", "c"]]] as [string, string][][]) {
      const pairs: [string, string][] = [["constructor", "a"], ["tostring", "b"], ...proto];
      const variants: NodeListener[] = [
        (_req, res) =>
          res.writeHead(200, Object.fromEntries(pairs.map(([name, value]) => [name.toUpperCase(), value]))).end(),
        (_req, res) => res.writeHead(200, pairs).end(),
        (_req, res) => {
          for (const [name, value] of pairs) res.setHeader(name, value);
          res.end();
        },
      ];
      for (const listener of variants) {
        const { headers } = await fromNodeListener(listener)(gatewayRequest());
        const own = Object.keys(headers ?? {}).map((name) => [name, headers?.[name]]);
        expect(own).toEqual(pairs);
      }
    }
  });

  it("passes the status message on as statusText", async () => {
    const app = fromNodeListener((req, res) => {
      if (req.url === "/custom") res.writeHead(299, "Quite Alright").end();
      else {
        res.statusCode = 418;
        res.end();
      }
    });
    const custom = await app(gatewayRequest({ path: "/custom" }));
    const standard = await app(gatewayRequest());
    expect([custom.status, custom.statusText]).toEqual([299, "Quite Alright"]);
    expect([standard.status, standard.statusText]).toEqual([418, "I'm a Teapot"]);
  });

  it("resolves at header time and streams what follows, unframed, while the listener still writes", async () => {
    let finish: () => void = () => {};
    const app = fromNodeListener((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      finish = () => res.end("data: last\n\n");
    });
    const response = await app(gatewayRequest());
    expect(response.headers).toEqual({ "content-type": "text/event-stream" });
    const iterator = iteratorOf(response);
    const first = (await iterator.next()).value;
    // Written as a string before the head resolved, streamed as bytes (rule 10).
    expect(first).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(first).toString()).toBe("data: first\n\n");
    const next = iterator.next();
    finish();
    expect(Buffer.from((await next).value).toString()).toBe("data: last\n\n");
    expect((await iterator.next()).done).toBe(true);
  });

  it("drops hop-by-hop headers, the ones connection names, and Node's own framing", async () => {
    const app = fromNodeListener((_req, res) => {
      res.setHeader("connection", "x-hop");
      res.setHeader("keep-alive", "timeout=5");
      res.setHeader("x-hop", "per connection");
      res.setHeader("transfer-encoding", "chunked");
      res.setHeader("x-kept", "yes");
      res.write("a");
      res.end("b");
    });
    const response = await app(gatewayRequest());
    expect({ ...response.headers }).toEqual({ "x-kept": "yes" });
    // Node would have chunk-framed this body; the gateway body carries the bytes alone.
    expect(await readAll(response.body)).toBe("ab");
  });

  it("keeps a content-length the listener set", async () => {
    const app = fromNodeListener((_req, res) => {
      res.writeHead(200, { "Content-Length": 5 });
      res.write("he");
      setTimeout(() => res.end("llo"), 5);
    });
    const response = await app(gatewayRequest());
    expect(response.headers?.["content-length"]).toBe(5);
    expect(await readAll(response.body)).toBe("hello");
  });

  it("resolves on flushHeaders with no body yet", async () => {
    let end: () => void = () => {};
    const app = fromNodeListener((_req, res) => {
      res.setHeader("x-early", "1");
      res.flushHeaders();
      end = () => res.end();
    });
    const response = await app(gatewayRequest());
    expect(response.headers?.["x-early"]).toBe("1");
    const next = iteratorOf(response).next();
    end();
    expect((await next).done).toBe(true);
  });

  it("has no body for HEAD, 204 and 304, and gives HEAD the length GET would send", async () => {
    const app = fromNodeListener((req, res) => {
      if (req.url === "/204") res.writeHead(204).end("dropped");
      else if (req.url === "/304") res.writeHead(304, { etag: '"v1"' }).end();
      else res.end("twelve bytes");
    });
    const head = await app(gatewayRequest({ method: "HEAD" }));
    expect([head.body, head.headers?.["content-length"]]).toEqual([null, 12]);
    const noContent = await app(gatewayRequest({ path: "/204" }));
    expect([noContent.status, noContent.body]).toEqual([204, null]);
    const notModified = await app(gatewayRequest({ path: "/304" }));
    expect([notModified.status, notModified.body, notModified.headers?.etag]).toEqual([304, null, '"v1"']);
  });

  it("answers end() with no body as a null body", async () => {
    const response = await fromNodeListener((_req, res) => void res.end())(gatewayRequest());
    expect(response.body).toBeNull();
  });

  it("reports backpressure truthfully: write() is false until the consumer pulls, then drain", async () => {
    const log: string[] = [];
    let res: ServerResponse | undefined;
    const app = fromNodeListener((_req, response) => {
      res = response;
      log.push(`write ${response.write(Buffer.alloc(70_000))}`);
      log.push(`needDrain ${response.writableNeedDrain}`);
      response.once("drain", () => {
        log.push(`drain needDrain=${response.writableNeedDrain}`);
        response.end();
      });
    });
    const response = await app(gatewayRequest());
    const iterator = iteratorOf(response);
    await tick();
    expect(log).toEqual(["write false", "needDrain true"]);
    expect((await iterator.next()).value.byteLength).toBe(70_000);
    expect(log).toEqual(["write false", "needDrain true", "drain needDrain=false"]);
    expect((await iterator.next()).done).toBe(true);
    expect(res?.writableFinished).toBe(true);
  });

  it("calls each write's callback once the consumer took its chunk, one named nop included", async () => {
    const log: string[] = [];
    const app = fromNodeListener((_req, res) => {
      res.writeHead(200);
      res.write("first ", () => log.push("first taken"));
      // Named like node:http's own no-op, which is skipped, but not empty: the listener's own.
      res.write("second ", function nop() {
        log.push("second taken");
      });
      res.write("third");
      res.end();
    });
    const response = await app(gatewayRequest());
    expect(await readAll(response.body)).toBe("first second third");
    await tick();
    expect(log).toEqual(["first taken", "second taken"]);
  });

  it("holds a stream piped into res to the consumer's pace", async () => {
    let produced = 0;
    let taken = 0;
    let maxAhead = 0;
    const source = Readable.from(
      chunksOf(256, 16 * 1024, () => {
        produced += 16 * 1024;
        maxAhead = Math.max(maxAhead, produced - taken);
      }),
    );
    const app = fromNodeListener((_req, res) => {
      source.pipe(res);
    });
    const response = await app(gatewayRequest());
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      taken += chunk.byteLength;
      if (taken % (256 * 1024) === 0) await sleep(1);
    }
    expect(taken).toBe(256 * 16 * 1024);
    // The response's high-water mark (64 KiB) plus what the source stream buffers itself.
    expect(maxAhead).toBeLessThanOrEqual(320 * 1024);
  });

  it("emits finish only once the consumer has taken the last byte, then close", async () => {
    const events: string[] = [];
    const app = fromNodeListener((_req, res) => {
      res.on("finish", () => events.push("finish"));
      res.on("close", () => events.push(`close finished=${res.writableFinished}`));
      res.write("a");
      setImmediate(() => res.end("b"));
    });
    const iterator = iteratorOf(await app(gatewayRequest()));
    expect(Buffer.from((await iterator.next()).value).toString()).toBe("a");
    await tick();
    await tick();
    expect(events).toEqual([]);
    expect(Buffer.from((await iterator.next()).value).toString()).toBe("b");
    expect((await iterator.next()).done).toBe(true);
    await tick();
    expect(events).toEqual(["finish", "close finished=true"]);
  });
});

describe("fromNodeListener: next and errors", () => {
  it("answers pass() when the listener calls next() before responding", async () => {
    let finished = false;
    const app = fromNodeListener((_req, res, next) => {
      res.setHeader("x-not-mine", "1");
      res.on("finish", () => {
        finished = true;
      });
      next();
    });
    const response = await app(gatewayRequest());
    expect(isPass(response)).toBe(true);
    expect(response.headers).toEqual({ "content-type": "text/plain; charset=utf-8" });
    await until(() => finished, "the listener's response to finish");
  });

  it("rejects with the error of next(error), a synchronous throw, or a rejected promise", async () => {
    const error = new Error("boom");
    const listeners: NodeListener[] = [
      (_req, _res, next) => next(error),
      () => {
        throw error;
      },
      async () => {
        await sleep(1);
        throw error;
      },
    ];
    for (const listener of listeners) {
      await expect(fromNodeListener(listener)(gatewayRequest())).rejects.toBe(error);
    }
  });

  it("ignores next() once the response started, and fails the body for next(error)", async () => {
    const error = new Error("late");
    const app = fromNodeListener((req, res, next) => {
      res.write("partial");
      next();
      setImmediate(() => (req.url === "/fail" ? next(error) : res.end()));
    });
    const fine = await app(gatewayRequest());
    expect(isPass(fine)).toBe(false);
    expect(await readAll(fine.body)).toBe("partial");
    const failing = await app(gatewayRequest({ path: "/fail" }));
    await expect(readAll(failing.body)).rejects.toBe(error);
  });

  it("fails the body with the error a listener destroys its response with", async () => {
    const error = new Error("torn");
    const app = fromNodeListener((_req, res) => {
      res.write("partial");
      setImmediate(() => res.destroy(error));
    });
    const iterator = iteratorOf(await app(gatewayRequest()));
    expect(Buffer.from((await iterator.next()).value).toString()).toBe("partial");
    await expect(iterator.next()).rejects.toBe(error);
  });

  it("fails the body with the error a listener reports after closing the connection, as Express's router does", async () => {
    const error = new Error("said after");
    const app = fromNodeListener((_req, res, next) => {
      res.write("partial");
      setImmediate(() => {
        // As send-response's closeConnection, then Express's router: next(error) a turn later.
        (res.socket as unknown as { destroySoon(): void }).destroySoon();
        setImmediate(() => next(error));
      });
    });
    const iterator = iteratorOf(await app(gatewayRequest()));
    expect(Buffer.from((await iterator.next()).value).toString()).toBe("partial");
    await expect(iterator.next()).rejects.toBe(error);
  });

  it("fails the body with the error of a stream piped into res that breaks after the head", async () => {
    const error = new Error("stream broke");
    const app = fromNodeListener((_req, res) => {
      const source = new Readable({ read() {} });
      source.push("partial");
      // As Fastify does: the response is destroyed, the error told to nobody.
      source.on("error", () => res.destroy());
      source.pipe(res);
      setImmediate(() => source.destroy(error));
    });
    const iterator = iteratorOf(await app(gatewayRequest()));
    expect(Buffer.from((await iterator.next()).value).toString()).toBe("partial");
    await expect(iterator.next()).rejects.toBe(error);
  });

  it("ends the body in the error a listener reports after ending, with every byte before it", async () => {
    const error = new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", "found at the end");
    const app = fromNodeListener((_req, res, next) => {
      res.write("0123");
      setImmediate(() => {
        res.end("45");
        // As closeConnection on an ended response, then Express's router.
        res.once("finish", () => res.socket?.destroy());
        setImmediate(() => next(error));
      });
    });
    const response = await app(gatewayRequest());
    const chunks: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>)
          chunks.push(Buffer.from(chunk).toString());
      })(),
    ).rejects.toBe(error);
    expect(chunks.join("")).toBe("012345");
  });

  it("rejects with GW_ERR_RESPONSE_ABORTED when the listener hangs up without an error", async () => {
    const app = fromNodeListener((_req, res) => void res.destroy());
    await expect(app(gatewayRequest())).rejects.toMatchObject({ code: "GW_ERR_RESPONSE_ABORTED" });
  });
});

describe("fromNodeListener: the client going away", () => {
  it("destroys req and closes res unfinished when the gateway request's signal aborts", async () => {
    const controller = new AbortController();
    const events: string[] = [];
    let res: ServerResponse | undefined;
    const app = fromNodeListener((req, response) => {
      res = response;
      req.on("aborted", () => events.push("req aborted"));
      req.on("close", () => events.push("req close"));
      response.on("close", () => events.push(`res close finished=${response.writableFinished}`));
    });
    const pending = app(gatewayRequest({ signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toBe(controller.signal.reason);
    await until(() => events.length === 3, "three events");
    expect(events.sort()).toEqual(["req aborted", "req close", "res close finished=false"]);
    expect(res?.destroyed).toBe(true);
  });

  it("fails a pending pull when the signal aborts mid-stream", async () => {
    const controller = new AbortController();
    const app = fromNodeListener((_req, res) => {
      res.write("first");
    });
    const iterator = iteratorOf(await app(gatewayRequest({ signal: controller.signal })));
    await iterator.next();
    const next = iterator.next();
    controller.abort();
    await expect(next).rejects.toBe(controller.signal.reason);
  });

  it("treats the consumer's return() as the client leaving: res closes, destroyed, unfinished", async () => {
    const events: string[] = [];
    let res: ServerResponse | undefined;
    const app = fromNodeListener((req, response) => {
      res = response;
      req.on("aborted", () => events.push("req aborted"));
      response.on("close", () => events.push("res close"));
      const timer = setInterval(() => response.write("tick"), 1);
      response.on("close", () => clearInterval(timer));
    });
    const iterator = iteratorOf(await app(gatewayRequest()));
    await iterator.next();
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    await until(() => events.length === 2, "both events");
    expect(events.sort()).toEqual(["req aborted", "res close"]);
    expect(res?.destroyed).toBe(true);
    expect(res?.writableFinished).toBe(false);
  });

  it("rejects at once for a signal that aborted before the call, without calling the listener", async () => {
    let called = false;
    const app = fromNodeListener(() => {
      called = true;
    });
    await expect(app(gatewayRequest({ signal: AbortSignal.abort() }))).rejects.toMatchObject({ name: "AbortError" });
    expect(called).toBe(false);
  });
});

describe("fromNodeListener: fusion (rule 35)", () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("hands back the app a toNodeListener product serves, unless fuse is false", () => {
    const app: GatewayApp = () => text("hi");
    const listener = toNodeListener(app, { fuse: false });
    expect(fromNodeListener(listener)).toBe(app);
    expect(fromNodeListener(listener, { fuse: false })).not.toBe(app);
  });

  it("carries a Node listener that toNodeListener returns as it is", () => {
    const app = fromNodeListener((_req, res) => void res.end());
    const fused = (app as { [kNodeListener]?: unknown })[kNodeListener];
    expect(typeof fused).toBe("function");
    expect(toNodeListener(app)).toBe(fused);
    expect(fromNodeListener(toNodeListener(app))).toBe(app);
    expect(toNodeListener(app, { fuse: false })).not.toBe(fused);
    expect(
      (fromNodeListener((_req, res) => void res.end(), { fuse: false }) as { [kNodeListener]?: unknown })[
        kNodeListener
      ],
    ).toBe(undefined);
  });

  it("answers on a server's own req/res as the unfused path does: mount fields, pass, errors", async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      const listener: NodeListener = (req, res, next) => {
        const mounted = req as IncomingMessage & { originalUrl: string; baseUrl: string };
        res.setHeader("x-prepared", "dropped when handing back");
        if (req.url?.startsWith("/mine")) res.end(JSON.stringify([req.url, mounted.originalUrl, mounted.baseUrl]));
        else if (req.url === "/error") next(new Error("secret"));
        else next();
      };
      server = await serve(fromNodeListener(listener));
      const mine = await get(server.url, "/mine?q=1");
      expect([mine.status, mine.body]).toEqual([200, '["/mine?q=1","/mine?q=1",""]']);
      const notMine = await get(server.url, "/other");
      expect([notMine.status, notMine.body, notMine.headers["content-type"], notMine.headers["x-prepared"]]).toEqual([
        404,
        "Not Found",
        "text/plain; charset=utf-8",
        undefined,
      ]);
      const failed = await get(server.url, "/error");
      expect([failed.status, failed.body]).toEqual([500, "Internal Server Error"]);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it("hands an error before the head to a host's next, as toNodeListener does", async () => {
    const error = new Error("to the host");
    const app = fromNodeListener((_req, _res, next) => next(error));
    const fused = toNodeListener(app) as unknown as (
      req: unknown,
      res: unknown,
      next: (error?: unknown) => void,
    ) => void;
    const unfused = toNodeListener(app, { fuse: false }) as unknown as typeof fused;
    const seen: unknown[] = [];
    server = await serve(() => text("unused"));
    for (const listener of [fused, unfused]) {
      await new Promise<void>((resolve) => {
        server?.server.removeAllListeners("request");
        server?.server.on("request", (req, res) =>
          listener(req, res, (received) => {
            seen.push(received);
            res.end();
            resolve();
          }),
        );
        void get(server?.url ?? "", "/");
      });
    }
    expect(seen).toEqual([error, error]);
  });

  it("hands an error after the head to serve()'s onError once, the client seeing a truncation", async () => {
    const error = new Error("after the head");
    const reported: unknown[] = [];
    const app = fromNodeListener((_req, res, next) => {
      res.write("partial");
      setImmediate(() => next(error));
    });
    server = await serve(app, { onError: (failure) => void reported.push(failure) });
    const got = await getTruncated(server.url);
    expect(got).toEqual({ body: "partial", truncated: true });
    await until(() => reported.length > 0, "the report");
    await tick();
    expect(reported).toEqual([error]);
  });

  it("reports a stream piped into res that breaks after the head, as the socketless path does", async () => {
    const error = new Error("stream broke");
    const reported: unknown[] = [];
    const app = fromNodeListener((_req, res) => {
      const source = new Readable({ read() {} });
      source.push("partial");
      source.on("error", () => res.destroy());
      source.pipe(res);
      setTimeout(() => source.destroy(error), 20);
    });
    server = await serve(app, { onError: (failure) => void reported.push(failure) });
    expect(await getTruncated(server.url)).toEqual({ body: "partial", truncated: true });
    await until(() => reported.length > 0, "the report");
    await tick();
    expect(reported).toEqual([error]);
  });

  it("stops watching a piped stream when the response is over: a source that outlives it keeps no listener", async () => {
    const shared = new PassThrough();
    const app = fromNodeListener((_req, res) => {
      shared.pipe(res, { end: false });
      shared.write("from the shared source ");
      setImmediate(() => {
        shared.unpipe(res);
        res.end("done");
      });
    });
    server = await serve(app);
    for (let round = 0; round < 3; round++) {
      const response = await fetch(server.url);
      expect(await response.text()).toBe("from the shared source done");
    }
    await until(() => shared.listenerCount("error") === 0, "the watch to let go of the shared source");
    expect(shared.listenerCount("error")).toBe(0);
  });

  describe("in a host framework's chain (a next of its own)", () => {
    type Host = (req: IncomingMessage, res: ServerResponse, fused: FusedNodeListener) => void;
    /** A server whose request handler plays a host framework around the fused listener of `listener`. */
    async function host(listener: NodeListener, around: Host): Promise<RunningServer> {
      const fused = (fromNodeListener(listener) as { [kNodeListener]?: FusedNodeListener })[kNodeListener];
      if (fused === undefined) throw new Error("not fused");
      const running = await serve(() => text("unused"));
      running.server.removeAllListeners("request");
      running.server.on("request", (req: IncomingMessage, res: ServerResponse) => around(req, res, fused));
      return running;
    }

    it("hands a pass to the host's next with its req/res as it left them, and the host answers", async () => {
      const hostRequest = Object.create(Object.getPrototypeOf(IncomingMessage.prototype)) as object;
      const seen: unknown[] = [];
      server = await host(
        (req, res, next) => {
          // What Koa and Express do before deciding to pass.
          seen.push(res.statusCode, res.getHeader("x-host"));
          res.statusCode = 404;
          res.setHeader("x-prepared", "by the listener");
          Object.setPrototypeOf(req, hostRequest);
          res.write = () => true;
          next();
        },
        (req, res, fused) => {
          const prototype = Object.getPrototypeOf(req);
          res.statusCode = 202;
          res.setHeader("x-host", "kept");
          fused(req, res, () => {
            seen.push(Object.getPrototypeOf(req) === prototype, Object.hasOwn(res, "write"), res.statusCode);
            res.end("host answered");
          });
        },
      );
      const got = await get(server.url, "/");
      expect([got.status, got.body, got.headers["x-host"], got.headers["x-prepared"]]).toEqual([
        202,
        "host answered",
        "kept",
        undefined,
      ]);
      // The listener saw the fresh response the socketless path gives it.
      expect(seen).toEqual([200, undefined, true, false, 202]);
    });

    it("hands an error before the head to the host's next with its response as it left it", async () => {
      const error = new Error("to the host");
      const seen: unknown[] = [];
      server = await host(
        (_req, res, next) => {
          res.setHeader("x-prepared", "by the listener");
          next(error);
        },
        (req, res, fused) => {
          res.setHeader("x-host", "kept");
          fused(req, res, (received) => {
            seen.push(received, res.getHeaderNames());
            res.end();
          });
        },
      );
      await get(server.url, "/");
      expect(seen).toEqual([error, ["x-host"]]);
    });

    it("sends the host's headers under the listener's when the listener answers", async () => {
      server = await host(
        (_req, res) => {
          res.setHeader("x-both", "listener");
          res.writeHead(201, "Made", { "x-head": "listener" }).end("answered");
        },
        (req, res, fused) => {
          res.setHeader("x-host", "host");
          res.setHeader("x-both", "host");
          fused(req, res, () => res.end("not reached"));
        },
      );
      const got = await get(server.url, "/");
      expect([got.status, got.statusText, got.body]).toEqual([201, "Made", "answered"]);
      expect([got.headers["x-host"], got.headers["x-both"], got.headers["x-head"]]).toEqual([
        "host",
        "listener",
        "listener",
      ]);
    });

    it("keeps the mount fields a host set, and gives a bare server's request the root's", async () => {
      const seen: unknown[] = [];
      const listener: NodeListener = (req, res) => {
        const mounted = req as IncomingMessage & { originalUrl?: string; baseUrl?: string };
        seen.push([req.url, mounted.originalUrl, mounted.baseUrl]);
        res.end();
      };
      server = await host(listener, (req, res, fused) => {
        // As Express shows an app under app.use("/gw", …).
        Object.assign(req, { originalUrl: req.url, baseUrl: "/gw", url: req.url?.slice(3) || "/" });
        fused(req, res, () => res.end());
      });
      await get(server.url, "/gw/x?q=1");
      await server.close();
      server = await serve(fromNodeListener(listener));
      await get(server.url, "/gw/x?q=1");
      expect(seen).toEqual([
        ["/x?q=1", "/gw/x?q=1", "/gw"],
        ["/gw/x?q=1", "/gw/x?q=1", ""],
      ]);
    });
  });

  it("lets inject() and a real server see the same response from a socketless listener", async () => {
    const app = fromNodeListener((_req, res) => {
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.writeHead(201, "Made");
      res.write("one,");
      setImmediate(() => res.end("two"));
    });
    const injected = await inject(app);
    server = await serve(app, { fuse: false });
    const served = await get(server.url, "/");
    expect([injected.status, injected.statusText, injected.headers["set-cookie"], await injected.text()]).toEqual([
      201,
      "Made",
      ["a=1", "b=2"],
      "one,two",
    ]);
    expect([served.status, served.statusText, served.headers["set-cookie"], served.body]).toEqual([
      201,
      "Made",
      ["a=1", "b=2"],
      "one,two",
    ]);
  });
});

/** The body a client got before the connection ended, and whether it ended short. */
function getTruncated(origin: string): Promise<{ body: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL("/", origin), { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("close", () => resolve({ body: Buffer.concat(chunks).toString(), truncated: !res.complete }));
      res.on("error", () => {});
    });
    req.on("error", reject);
    req.end();
  });
}

function get(
  origin: string,
  path: string,
): Promise<{ status: number; statusText: string; headers: IncomingMessage["headers"]; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, origin);
    const req = httpRequest(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? "",
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
