import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { type GatewayApp, GatewayError, json, readBytes } from "@gangway/core";
import express, { type RequestHandler } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { toExpress } from "./to-express.js";

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What the app got: the bytes and headers, or the code its read failed with. */
const echo: GatewayApp = async (request) => {
  try {
    const bytes = await readBytes(request);
    return json({
      body: Buffer.from(bytes).toString("utf8"),
      length: request.headers["content-length"] ?? null,
      encoding: request.headers["transfer-encoding"] ?? request.headers["content-encoding"] ?? null,
      nullBody: request.body === null,
    });
  } catch (error) {
    return json({ code: GatewayError.is(error) ? error.code : String(error) });
  }
};

/** Sends `body` through `parser` and the bridge to `echo`, and returns what the app reported. */
async function through(
  parser: RequestHandler,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<Record<string, unknown>> {
  const origin = await listen(express().use(parser).use(toExpress(echo)));
  const response = await fetch(origin, {
    method: "POST",
    body: typeof body === "string" ? body : new Uint8Array(body),
    headers,
  });
  return (await response.json()) as Record<string, unknown>;
}

describe("host-parsed bodies (rule 34)", () => {
  it("re-encodes express.json() with a matching content-length", async () => {
    const sent = '{ "a": [1, 2], "b": { "c": "é" } }';
    const seen = await through(express.json(), sent, { "content-type": "application/json" });
    expect(JSON.parse(seen.body as string)).toEqual(JSON.parse(sent));
    expect(seen.length).toBe(String(Buffer.byteLength(seen.body as string)));
    expect(seen.encoding).toBeNull();
  });

  it("re-encodes a +json media type, and drops the content-encoding the parser inflated", async () => {
    const seen = await through(express.json({ type: "application/*+json" }), gzipSync('{"v":1}'), {
      "content-type": "application/vnd.api+json",
      "content-encoding": "gzip",
    });
    expect(seen).toEqual({ body: '{"v":1}', length: "7", encoding: null, nullBody: false });
  });

  it("re-encodes express.urlencoded() fields, repeated names included", async () => {
    const seen = await through(express.urlencoded(), "a=1&b=x+y&a=2&c=%26", {
      "content-type": "application/x-www-form-urlencoded",
    });
    const params = new URLSearchParams(seen.body as string);
    expect(params.getAll("a")).toEqual(["1", "2"]);
    expect(params.get("b")).toBe("x y");
    expect(params.get("c")).toBe("&");
    expect(seen.length).toBe(String((seen.body as string).length));
  });

  it("re-encodes extended lists so the same parser reads them back, and refuses nested objects", async () => {
    const list = await through(express.urlencoded({ extended: true }), "one[]=x&many[]=y&many[]=z", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(list.body).toBe("one%5B%5D=x&many=y&many=z");
    const nested = await through(express.urlencoded({ extended: true }), "user[name]=ada", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(nested).toEqual({ code: "GW_ERR_BODY_CONSUMED" });
  });

  it("hands over express.raw()'s bytes as they are", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const origin = await listen(
      express()
        .use(express.raw())
        .use(
          toExpress(async (request) => ({
            status: 200,
            headers: { "x-length": String(request.headers["content-length"]) },
            body: await readBytes(request),
          })),
        ),
    );
    const response = await fetch(origin, {
      method: "POST",
      body: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    expect(response.headers.get("x-length")).toBe("5");
  });

  it("hands over express.text() as UTF-8, and refuses text the parser decoded from another charset", async () => {
    const utf8 = await through(express.text(), "héllo", { "content-type": "text/plain; charset=utf-8" });
    expect(utf8.body).toBe("héllo");
    const latin1 = await through(express.text(), Buffer.from("héllo", "latin1"), {
      "content-type": "text/plain; charset=iso-8859-1",
    });
    expect(latin1).toEqual({ code: "GW_ERR_BODY_CONSUMED" });
  });

  it("gives the stream itself when the parser skipped the content-type", async () => {
    const seen = await through(express.json(), "plain words", { "content-type": "text/plain" });
    expect(seen).toMatchObject({ body: "plain words", length: "11" });
  });

  it("rejects the first read with GW_ERR_BODY_CONSUMED when the host drained the stream unparsed", async () => {
    const drain: RequestHandler = (req, _res, next) => {
      req.resume();
      req.once("end", () => next());
    };
    const seen = await through(drain, "gone", { "content-type": "application/x-custom" });
    expect(seen).toEqual({ code: "GW_ERR_BODY_CONSUMED" });
  });

  it("keeps body: null for a request without content, whatever the parser did", async () => {
    const origin = await listen(express().use(express.json()).use(toExpress(echo)));
    const seen = await (
      await fetch(origin, { method: "POST", headers: { "content-type": "application/json" } })
    ).json();
    expect(seen).toMatchObject({ nullBody: true, body: "" });
  });
});
