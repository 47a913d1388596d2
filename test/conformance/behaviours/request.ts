import { type GatewayApp, json, readText } from "@gangway/core";
import { expect, it } from "vitest";
import type { Behaviour } from "../suite.js";

const echoRequest: GatewayApp = async (request) =>
  json({
    method: request.method,
    scheme: request.scheme,
    basePath: request.basePath,
    path: request.path,
    query: request.query,
    hasBody: request.body !== null,
    body: await readText(request),
    aborted: request.signal.aborted,
    authority: request.authority,
  });

export const behaviour: Behaviour = ({ start }) => {
  it("shows the app the method, raw path and raw query", async () => {
    const client = await start(echoRequest);
    const response = await client.send({ method: "DELETE", url: "/a%20b/c%2Fd?x=1&y=%20&x=2" });
    const seen = await response.text().then(JSON.parse);
    expect(seen).toMatchObject({
      method: "DELETE",
      scheme: "http",
      path: "/a%20b/c%2Fd",
      query: "x=1&y=%20&x=2",
      hasBody: false,
      body: "",
      aborted: false,
    });
    expect(seen.basePath + seen.path).toMatch(/\/a%20b\/c%2Fd$/);
    expect(seen.authority).toMatch(/^[\w.-]+(:\d+)?$/);
  });

  it("gives a request without a body a null body, and an empty query as an empty string", async () => {
    const client = await start(echoRequest);
    const seen = await (await client.send({ url: "/plain" })).text().then(JSON.parse);
    expect(seen.hasBody).toBe(false);
    expect(seen.query).toBe("");
  });

  it("echoes a body sent with content-length", async () => {
    const client = await start(echoRequest);
    const body = "héllo wörld ".repeat(1000);
    const seen = await (await client.send({ method: "POST", url: "/echo", body })).text().then(JSON.parse);
    expect(seen.hasBody).toBe(true);
    expect(seen.body).toBe(body);
  });

  it("echoes a chunked body that has no content-length", async () => {
    const client = await start(echoRequest);
    async function* parts() {
      for (const part of ["one,", "two,", "three"]) yield Buffer.from(part);
    }
    const seen = await (await client.send({ method: "PUT", url: "/echo", body: parts() })).text().then(JSON.parse);
    expect(seen.hasBody).toBe(true);
    expect(seen.body).toBe("one,two,three");
  });

  it("streams a request body back as the response body", async () => {
    const client = await start((request) => ({
      status: 200,
      headers: { "content-type": "application/octet-stream" },
      body: request.body,
    }));
    const payload = Buffer.alloc(200_000, 7);
    const response = await client.send({ method: "POST", url: "/pipe", body: payload });
    expect(Buffer.compare(await response.bytes(), payload)).toBe(0);
  });
};
