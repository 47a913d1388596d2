import { type GatewayApp, readBytes, text } from "@gangway/core";
import { expect } from "vitest";
import { sleep } from "../../helpers/wait.js";
import { openConnection, rawExchange, rawRequest } from "../raw-http.js";
import type { Fault } from "../suite.js";
import { codeOf, latch, settle } from "../support.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** An upload of `total` bytes in 16 KiB chunks. */
async function* upload(total: number) {
  for (let sent = 0; sent < total; sent += 16 * KiB) yield Buffer.alloc(Math.min(16 * KiB, total - sent), 97);
}

export const fault: Fault = (context) => {
  const { path, start, test, reported, expectReported } = context;

  test("a response body that throws midway reaches the client truncated and is reported once", async () => {
    const client = await start(() => ({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: (async function* () {
        yield Buffer.from("first ");
        await sleep(10);
        yield Buffer.from("second ");
        await sleep(10);
        throw Object.assign(new Error("midway"), { code: "E_MIDWAY" });
      })(),
    }));
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(200);
    const { bytes, failed } = await settle(response.body);
    // Never a clean end to a broken response (rule 24).
    expect(failed).toBe(true);
    expect(bytes.toString()).toBe("first second ");
    await expectReported("GW_ERR_RESPONSE_ABORTED", ["E_MIDWAY"]);
    // The server lives on, and fails the next response the same way.
    expect((await settle((await client.send({ url: "/" })).body)).failed).toBe(true);
  });

  test("an upload the client breaks off midway rejects the app's read, never hangs it", async () => {
    const outcome = latch();
    let readError: unknown;
    const client = await start(async (request) => {
      try {
        await readBytes(request, { limit: 16 * MiB });
      } catch (error) {
        readError = error;
      }
      outcome.resolve();
      return text("after the failed read");
    });
    async function* breaking() {
      yield Buffer.alloc(64 * KiB, 98);
      await sleep(50);
      throw Object.assign(new Error("the client broke off"), { code: "E_CLIENT_GONE" });
    }
    await client.send({ method: "POST", url: "/upload", body: breaking() }).catch(() => null);
    await outcome.promise;
    // Over a socket the server sees the connection reset; socketless, the app sees the client's own error.
    expect(codeOf(readError)).toBe(path.transport === "http" ? "GW_ERR_BODY_ABORTED" : "E_CLIENT_GONE");
    await expectReported(null);
  });

  test("an unread upload does not hang the client, and the next request is answered", async () => {
    const client = await start(async (request) => text(request.method === "POST" ? "ignored" : "next"));
    for (const size of [1, 32 * KiB, 4 * MiB]) {
      const response = await client.send({ method: "POST", url: "/ignore", body: upload(size) });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("ignored");
      expect(await (await client.send({ url: "/next" })).text()).toBe("next");
    }
    await expectReported(null);
  });

  test("an unread body of up to 64 KiB is drained, and the same connection carries the next request", async () => {
    const client = await start((request) => text(`${request.method} ${request.path}`));
    const target = await client.target();
    if (target === null) return;
    const connection = await openConnection(target);
    const body = "x".repeat(60 * KiB);
    connection.socket.write(
      `POST ${target.prefix}/first HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    const first = await connection.next();
    expect(first.status).toBe(200);
    expect(first.body.toString()).toBe(`POST /first`);
    connection.socket.write(rawRequest(target, "GET", `${target.prefix}/second`));
    const second = await connection.next();
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe("GET /second");
    await connection.closed();
  });

  test("an unread upload that never ends gets its response, then a closed connection within a bounded time", async () => {
    const client = await start(() => text("not reading that"));
    const target = await client.target();
    if (target === null) return;
    const connection = await openConnection(target);
    const { socket } = connection;
    socket.write(
      `POST ${target.prefix}/endless HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\ntransfer-encoding: chunked\r\n\r\n`,
    );
    const chunk = `${(4 * KiB).toString(16)}\r\n${"z".repeat(4 * KiB)}\r\n`;
    const trickle = setInterval(() => {
      if (!socket.destroyed && socket.writable) socket.write(chunk);
    }, 5);
    try {
      const response = await connection.next();
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe("not reading that");
      // The server drains a bounded amount, then closes: the client is not left uploading forever.
      await connection.closed(3000);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  for (const framing of ["content-length", "chunked"] as const) {
    test(`an oversized upload (${framing}) is answered 413 by the app's readBytes limit`, async () => {
      const app: GatewayApp = async (request) => text(`${(await readBytes(request, { limit: 1024 })).byteLength}`);
      const client = await start(app);
      const body = framing === "chunked" ? upload(1 * MiB) : "y".repeat(1 * MiB);
      // The client gets a 413: as a response, or on a socketless path as the rejection that the
      // server would have answered with 413. A host that renders the 4xx itself (as Express does)
      // makes it a response, not an error to report.
      const outcome = await client.send({ method: "POST", url: "/big", body }).then(
        async (response) => {
          await response.bytes();
          return response.status;
        },
        (error) => (codeOf(error) === "GW_ERR_BODY_TOO_LARGE" ? 413 : codeOf(error)),
      );
      expect(outcome).toBe(413);
      await sleep(20);
      for (const error of reported()) expect(codeOf(error)).toBe("GW_ERR_BODY_TOO_LARGE");
      expect(reported().length).toBeLessThanOrEqual(1);
      // The server answers the next request. The connection the 413 went out on may close under a
      // keep-alive client that queued this request on it already: it retries once, as browsers do.
      const next = () => client.send({ method: "POST", url: "/small", body: "tiny" });
      const retried = await next().catch((error) => (codeOf(error) === "ECONNRESET" ? next() : Promise.reject(error)));
      expect(await retried.text()).toBe("4");
    });
  }

  test("an oversized upload on the wire gets the whole 413 before the connection closes", async () => {
    const client = await start(async (request) => text(`${(await readBytes(request, { limit: 1024 })).byteLength}`));
    const target = await client.target();
    if (target === null) return;
    const reply = await rawExchange(target, async (socket) => {
      socket.write(
        `POST ${target.prefix}/big HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\ncontent-length: ${8 * MiB}\r\n\r\n`,
      );
      // Keep sending as a real client would, while the server answers and closes.
      for (let i = 0; i < 128 && socket.writable; i++) {
        if (!socket.write(Buffer.alloc(64 * KiB, 99)))
          await Promise.race([sleep(20), new Promise((r) => socket.once("drain", r))]);
      }
    });
    expect(reply.status).toBe(413);
  });
};
