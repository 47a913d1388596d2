import type { AddressInfo } from "node:net";
import formbody from "@fastify/formbody";
import { type GatewayApp, GatewayError, json, readText } from "@gangway/core";
import { toFastify } from "@gangway/fastify";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";

/**
 * Rule 34 in a Fastify host: with `hostParsers: true` the host's content-type parsers run for the
 * app's routes, and the app still gets the body — re-encoded, or a clear GW_ERR_BODY_CONSUMED.
 */
const echo: GatewayApp = async (request) => {
  try {
    const body = await readText(request);
    return json({
      body,
      length: request.headers["content-length"] ?? null,
      chunked: request.headers["transfer-encoding"] ?? null,
    });
  } catch (error) {
    if (GatewayError.is(error)) return json({ code: error.code }, { status: 500 });
    throw error;
  }
};

let client: HttpClient;
let close: () => Promise<void>;
beforeAll(async () => {
  const fastify = Fastify();
  await fastify.register(formbody);
  fastify.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_request, body, done) =>
    done(null, body),
  );
  fastify.addContentTypeParser("application/x-custom", { parseAs: "string" }, (_request, body, done) =>
    done(null, { wrapped: body }),
  );
  fastify.addContentTypeParser(/^text\/latin1/, { parseAs: "string" }, (_request, body, done) => done(null, body));
  fastify.register(toFastify(echo, { hostParsers: true }), { prefix: "/parsed" });
  fastify.register(toFastify(echo), { prefix: "/raw" });
  await fastify.listen({ port: 0, host: "127.0.0.1" });
  client = new HttpClient(`http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`);
  close = async () => {
    client.close();
    await fastify.close();
  };
});
afterAll(() => close());

async function post(url: string, type: string, body: string | AsyncIterable<Uint8Array>) {
  const response = await client.send({ method: "POST", url, headers: { "content-type": type }, body });
  return { status: response.status, seen: JSON.parse(await response.text()) };
}

async function* chunked(text: string) {
  yield Buffer.from(text);
}

describe("host-parsed bodies (hostParsers: true)", () => {
  it("re-encodes what Fastify's JSON parser produced, with a corrected content-length", async () => {
    const { seen } = await post("/parsed/x", "application/json", chunked('{ "a" : [1, 2],  "b":"é" }'));
    expect(JSON.parse(seen.body)).toEqual({ a: [1, 2], b: "é" });
    expect(seen.length).toBe(String(Buffer.byteLength(seen.body)));
    expect(seen.chunked).toBeNull();
  });

  it("gives the text Fastify's text/plain parser read", async () => {
    const { seen } = await post("/parsed/x", "text/plain", "plain text, ünïcode");
    expect(seen.body).toBe("plain text, ünïcode");
  });

  it("re-serializes a form @fastify/formbody parsed", async () => {
    const { seen } = await post("/parsed/x", "application/x-www-form-urlencoded", "a=1&b=x+y&b=%26");
    expect([...new URLSearchParams(seen.body)]).toEqual([
      ["a", "1"],
      ["b", "x y"],
      ["b", "&"],
    ]);
  });

  it("hands over the Buffer of a parseAs: buffer parser as it is", async () => {
    const { seen } = await post("/parsed/x", "application/octet-stream", "bytes as sent");
    expect(seen.body).toBe("bytes as sent");
  });

  it("refuses with GW_ERR_BODY_CONSUMED what a parser turned into its own object, or text in another charset", async () => {
    expect(await post("/parsed/x", "application/x-custom", "<x/>")).toEqual({
      status: 500,
      seen: { code: "GW_ERR_BODY_CONSUMED" },
    });
    expect(await post("/parsed/x", "text/latin1; charset=latin1", "caf")).toEqual({
      status: 500,
      seen: { code: "GW_ERR_BODY_CONSUMED" },
    });
  });

  it("parses nothing by default: the app reads the bytes as sent", async () => {
    const { seen } = await post("/raw/x", "application/json", '{ "a" : 1 }');
    expect(seen.body).toBe('{ "a" : 1 }');
  });
});
