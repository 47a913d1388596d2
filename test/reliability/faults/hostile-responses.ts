import { Readable } from "node:stream";
import type { GatewayApp, GatewayResponse } from "@gangway/core";
import { expect } from "vitest";
import { waitFor } from "../../helpers/wait.js";
import { rawExchange, rawRequest } from "../raw-http.js";
import type { Fault } from "../suite.js";
import { codeOf, settle } from "../support.js";

/** A header value, name or reason phrase that would add a header line if it reached the wire raw. */
const INJECT = "x-injected: 1";

/** Malformed responses an app may return, each with the code the server must report (rule 25). */
const malformed: Record<string, [response: unknown, code: string]> = {
  "CR LF in a header value": [
    { status: 200, headers: { "x-a": `ok\r\n${INJECT}` }, body: "ok" },
    "GW_ERR_INVALID_HEADER",
  ],
  "a bare LF in a header value": [
    { status: 200, headers: { "x-a": `ok\n${INJECT}` }, body: "ok" },
    "GW_ERR_INVALID_HEADER",
  ],
  "NUL in a header value": [{ status: 200, headers: { "x-a": "ok\0no" }, body: "ok" }, "GW_ERR_INVALID_HEADER"],
  "CR LF in a header name": [
    { status: 200, headers: { [`x-a\r\n${INJECT}`]: "1" }, body: "ok" },
    "GW_ERR_INVALID_HEADER",
  ],
  "a space in a header name": [{ status: 200, headers: { "x a": "1" }, body: "ok" }, "GW_ERR_INVALID_HEADER"],
  "CR LF in one set-cookie of several": [
    { status: 200, headers: { "set-cookie": ["a=1", `b=2\r\n${INJECT}`] }, body: "ok" },
    "GW_ERR_INVALID_HEADER",
  ],
  "CR LF in the reason phrase": [{ status: 200, statusText: `OK\r\n${INJECT}`, body: "ok" }, "GW_ERR_INVALID_STATUS"],
  "status 0": [{ status: 0, body: "ok" }, "GW_ERR_INVALID_STATUS"],
  "status 1000": [{ status: 1000, body: "ok" }, "GW_ERR_INVALID_STATUS"],
  "status 200.5": [{ status: 200.5, body: "ok" }, "GW_ERR_INVALID_STATUS"],
  "a number body": [{ status: 200, body: 42 }, "GW_ERR_INVALID_BODY"],
  "a plain-object body": [{ status: 200, body: { ok: true } }, "GW_ERR_INVALID_BODY"],
  "not an object": [null, "GW_ERR_INVALID_RESPONSE"],
  "a content-length longer than the body": [
    { status: 200, headers: { "content-length": "99" }, body: "short" },
    "GW_ERR_CONTENT_LENGTH_MISMATCH",
  ],
  "a content-length shorter than the body": [
    { status: 200, headers: { "content-length": "2" }, body: `long body\r\n\r\nHTTP/1.1 200 OK\r\n${INJECT}\r\n\r\n` },
    "GW_ERR_CONTENT_LENGTH_MISMATCH",
  ],
  "a content-length that is not a number": [
    { status: 200, headers: { "content-length": "5, 5" }, body: "hello" },
    "GW_ERR_INVALID_HEADER",
  ],
};

export const fault: Fault = (context) => {
  const { path, start, test, expectReported } = context;

  for (const [name, [response, code]] of Object.entries(malformed)) {
    test(`${name} is ${code}: reported once, answered 500, nothing injected on the wire`, async () => {
      const client = await start((() => response) as unknown as GatewayApp);
      if (path.errors === "reject") {
        await expect(client.send({ url: "/" }).then(() => "served", codeOf)).resolves.toBe(code);
        await expectReported(code);
        return;
      }
      const target = await client.target();
      if (target !== null) {
        const reply = await rawExchange(target, rawRequest(target, "GET", `${target.prefix}/`));
        expect(reply.status).toBe(500);
        expect(reply.lines.filter((line) => line.toLowerCase().startsWith("x-injected"))).toEqual([]);
        // The head is what an injection would reach; a development 500 may quote the bad name in its body.
        const head = reply.raw.subarray(0, reply.raw.indexOf("\r\n\r\n")).toString("latin1");
        expect(head).not.toMatch(/\r\nx-injected/i);
      } else {
        expect((await client.send({ url: "/" })).status).toBe(500);
      }
      await expectReported(code);
    });
  }

  // Refused before anything is sent: the stream behind the body must still be finished (rule 21).
  test("an unusable content-length over a Node stream body is GW_ERR_INVALID_HEADER, and the stream is finished", async () => {
    let finished = 0;
    const client = await start(() => ({
      status: 200,
      headers: { "content-length": "5, 5" },
      body: new Readable({
        read() {
          this.push("hello");
          this.push(null);
        },
        destroy(error, callback) {
          finished++;
          callback(error);
        },
      }),
    }));
    if (path.errors === "reject") {
      await expect(client.send({ url: "/" }).then(() => "served", codeOf)).resolves.toBe("GW_ERR_INVALID_HEADER");
    } else {
      expect((await client.send({ url: "/" })).status).toBe(500);
    }
    await expectReported("GW_ERR_INVALID_HEADER");
    await waitFor(() => finished > 0, "the stream finished");
  });

  test("a streamed body shorter than its content-length is truncated and reported once", async () => {
    const client = await start(() => ({
      status: 200,
      headers: { "content-length": "100" },
      body: (async function* () {
        yield Buffer.from("forty bytes of the hundred it promised..");
      })(),
    }));
    const response = await client.send({ url: "/" });
    const { bytes, failed } = await settle(response.body);
    expect(failed).toBe(true);
    expect(bytes.byteLength).toBe(40);
    await expectReported("GW_ERR_CONTENT_LENGTH_MISMATCH");
  });

  test("a streamed body longer than its content-length sends exactly the declared bytes and is reported once", async () => {
    let finished = 0;
    const body: GatewayResponse["body"] = (async function* () {
      try {
        yield Buffer.from("0123456");
        yield Buffer.from(`789\r\n\r\nHTTP/1.1 200 OK\r\n${INJECT}\r\n\r\n`);
      } finally {
        finished++;
      }
    })();
    const client = await start(() => ({ status: 200, headers: { "content-length": "10" }, body }));
    const target = await client.target();
    if (target !== null) {
      const reply = await rawExchange(target, rawRequest(target, "GET", `${target.prefix}/`));
      expect(reply.status).toBe(200);
      expect(reply.raw.toString("latin1")).not.toMatch(/x-injected/i);
      expect(reply.body.toString()).toBe("0123456789");
    } else {
      const { bytes } = await settle((await client.send({ url: "/" })).body);
      expect("0123456789".startsWith(bytes.toString())).toBe(true);
    }
    await waitFor(() => finished === 1, "the body finished");
    await expectReported("GW_ERR_CONTENT_LENGTH_MISMATCH");
  });
};
