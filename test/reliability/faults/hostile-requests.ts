import { type GatewayApp, type GatewayRequest, json } from "@gangway/core";
import { expect } from "vitest";
import { rawExchange, rawRequest } from "../raw-http.js";
import type { Fault } from "../suite.js";
import { codeOf } from "../support.js";

/** What the app saw of a request, as JSON-safe data. */
function seen(request: GatewayRequest) {
  return {
    method: request.method,
    authority: request.authority,
    basePath: request.basePath,
    path: request.path,
    query: request.query,
  };
}

/** The value of a header as the bytes it stands for (rule 8: one character per octet). */
const hex = (value: unknown) => (typeof value === "string" ? Buffer.from(value, "latin1").toString("hex") : null);

export const fault: Fault = (context) => {
  const { path, start, test, expectReported } = context;

  test("header names that shadow Object.prototype stay plain data and pollute nothing", async () => {
    const names = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "__defineGetter__"];
    const client = await start((request) => {
      const { headers } = request;
      const prototype = Object.getPrototypeOf(headers);
      return json({
        prototypeIntact: prototype === Object.prototype || prototype === null,
        own: Object.fromEntries(
          names.map((name) => [name, Object.getOwnPropertyDescriptor(headers, name)?.value ?? null]),
        ),
        polluted: ({} as Record<string, unknown>).polluted ?? null,
        // Code that stringifies the headers must still work.
        entries: Object.keys(headers).length > 0,
      });
    });
    const response = await client.send({ url: "/", headers: names.map((name) => [name, "polluted"] as const) });
    expect(response.status).toBe(200);
    const result = JSON.parse(await response.text());
    expect(result.prototypeIntact).toBe(true);
    expect(result.polluted).toBeNull();
    for (const name of names) expect([null, "polluted"]).toContain(result.own[name]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.toString.call({})).toBe("[object Object]");
  });

  test("100 repeats of a header are combined as Node combines them", async () => {
    const client = await start((request) =>
      json({ dup: request.headers["x-dup"], cookie: request.headers.cookie, type: request.headers["content-type"] }),
    );
    const values = Array.from({ length: 100 }, (_, i) => `v${i}`);
    const headers = [
      ...values.map((value) => ["x-dup", value] as const),
      ...values.map((value) => ["cookie", `c${value}=1`] as const),
      ...values.map((value) => ["content-type", `text/${value}`] as const),
    ];
    const response = await client.send({ url: "/", headers });
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toEqual({
      dup: values.join(", "),
      cookie: values.map((value) => `c${value}=1`).join("; "),
      // Fields Node keeps single: the first wins (rule 8).
      type: "text/v0",
    });
  });

  test("an 8 KiB header value is served intact; a 16 KiB one is refused cleanly by a Node server", async () => {
    const client = await start((request) => json({ length: (request.headers["x-big"] as string | undefined)?.length }));
    const medium = "m".repeat(8 * 1024);
    expect(JSON.parse(await (await client.send({ url: "/", headers: { "x-big": medium } })).text())).toEqual({
      length: medium.length,
    });
    const big = "b".repeat(16 * 1024);
    const target = await client.target();
    if (target === null) {
      expect(JSON.parse(await (await client.send({ url: "/", headers: { "x-big": big } })).text())).toEqual({
        length: big.length,
      });
      return;
    }
    const reply = await rawExchange(target, rawRequest(target, "GET", `${target.prefix}/`, [`x-big: ${big}`]));
    expect(reply.status).toBe(431);
    expect((await client.send({ url: "/" })).status).toBe(200);
    await expectReported(null);
  });

  test("non-ASCII bytes in a header value reach the app as a byte string", async () => {
    const bytes = Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x20, 0xff, 0x80, 0x7e]);
    const client = await start((request) => json({ hex: hex(request.headers["x-bytes"]) }));
    const target = await client.target();
    if (target === null) {
      const response = await client.send({ url: "/", headers: { "x-bytes": bytes.toString("latin1") } });
      expect(JSON.parse(await response.text())).toEqual({ hex: bytes.toString("hex") });
      return;
    }
    const request = Buffer.concat([
      Buffer.from(`GET ${target.prefix}/ HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\nx-bytes: `),
      bytes,
      Buffer.from("\r\nconnection: close\r\n\r\n"),
    ]);
    const reply = await rawExchange(target, request);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body.toString())).toEqual({ hex: bytes.toString("hex") });
  });

  test("control bytes in a request header are refused with 400 before the app runs", async () => {
    let calls = 0;
    const client = await start(() => {
      calls++;
      return json({});
    });
    const target = await client.target();
    if (target === null) return;
    for (const bad of ["x-a: one\0two", "x-a: one\rtwo", "x a: spaced name", "x-a\0: nul name"]) {
      const reply = await rawExchange(target, rawRequest(target, "GET", `${target.prefix}/`, [bad]));
      expect(reply.status, JSON.stringify(bad)).toBe(400);
    }
    expect(calls).toBe(0);
    expect((await client.send({ url: "/" })).status).toBe(200);
  });

  test("malformed percent-escapes reach the app raw, and the server answers the next request", async () => {
    const client = await start((request) => json(seen(request)));
    for (const raw of ["/%", "/%%", "/bad%zz", "/%E0%A4%A", "/%00", "/a%2F..%2Fb", "/%C0%AF"]) {
      const response = await client.send({ url: `${raw}?q=%` });
      const result = await response.text();
      // A host whose router refuses undecodable paths natively (Fastify) keeps doing so, cleanly.
      if (path.malformedPaths === "refuse" && response.status === 400) continue;
      expect(response.status, raw).toBe(200);
      expect(JSON.parse(result).path, raw).toBe(raw);
      expect(JSON.parse(result).query, raw).toBe("q=%");
    }
    expect((await client.send({ url: "/fine" })).status).toBe(200);
  });

  test("an absolute-form target is reduced to origin-form, its authority winning over host", async () => {
    const client = await start((request) => json(seen(request)));
    const target = await client.target();
    if (target === null) {
      const response = await client.send({ url: "http://example.test/abs?q=1" });
      expect(JSON.parse(await response.text())).toMatchObject({
        authority: "example.test",
        path: "/abs",
        query: "q=1",
      });
      return;
    }
    const reply = await rawExchange(target, rawRequest(target, "GET", `http://example.test${target.prefix}/abs?q=1`));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body.toString())).toMatchObject({
      authority: "example.test",
      path: "/abs",
      query: "q=1",
    });
  });

  test("the target * reaches the app only with OPTIONS; any other method never sees it", async () => {
    const calls: ReturnType<typeof seen>[] = [];
    const app: GatewayApp = (request) => {
      calls.push(seen(request));
      return json(seen(request));
    };
    const client = await start(app);
    const target = await client.target();
    for (const method of ["OPTIONS", "GET"]) {
      calls.length = 0;
      let status: number;
      if (target === null) {
        status = await client.send({ method, url: "*" }).then(
          (response) => response.status,
          (error) => (codeOf(error) === "GW_ERR_INVALID_URL" ? 400 : 500),
        );
      } else {
        const raw = `${method} * HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\nconnection: close\r\n\r\n`;
        status = (await rawExchange(target, raw)).status;
      }
      const reachedApp = calls.filter((call) => call.path === "*");
      if (method === "OPTIONS" && reachedApp.length > 0) {
        expect(reachedApp).toEqual([
          { method: "OPTIONS", authority: expect.any(String), basePath: "", path: "*", query: "" },
        ]);
        expect(status).toBe(200);
      } else {
        // Refused or not found, but never handed to the app as "*", and never a server error.
        expect(reachedApp, method).toEqual([]);
        expect([400, 404], `${method} * answered ${status}`).toContain(status);
      }
    }
    expect((await client.send({ url: "/after" })).status).toBe(200);
  });

  test("a 64 KiB path is refused cleanly (431 or 414) on a socket, and the server lives on", async () => {
    let calls = 0;
    const client = await start((request) => {
      calls++;
      return json({ length: request.path.length });
    });
    const long = `/${"p".repeat(64 * 1024)}`;
    const target = await client.target();
    if (target === null) {
      const response = await client.send({ url: long });
      expect(JSON.parse(await response.text())).toEqual({ length: long.length });
      return;
    }
    const reply = await rawExchange(target, rawRequest(target, "GET", `${target.prefix}${long}`));
    expect([414, 431]).toContain(reply.status);
    expect(calls).toBe(0);
    expect((await client.send({ url: "/short" })).status).toBe(200);
    await expectReported(null);
  });

  test("a target with a fragment never reaches the app with the fragment", async () => {
    const calls: ReturnType<typeof seen>[] = [];
    const client = await start((request) => {
      calls.push(seen(request));
      return json(seen(request));
    });
    const target = await client.target();
    if (target === null) {
      await expect(client.send({ url: "/a#frag" }).then(() => "served", codeOf)).resolves.toBe("GW_ERR_INVALID_URL");
    } else {
      const reply = await rawExchange(target, rawRequest(target, "GET", `${target.prefix}/a#frag`));
      expect([400, 404]).toContain(reply.status);
    }
    expect(calls.filter((call) => call.path.includes("#"))).toEqual([]);
  });
};
