import { type GatewayApp, readText, text } from "@gangway/core";
import { expect } from "vitest";
import { sleep, waitFor } from "../../helpers/wait.js";
import { rawExchange } from "../raw-http.js";
import type { Fault } from "../suite.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 64 * KiB;
// Far more than any buffer on the way: a bridge that does not stall its producer runs through it.
const PLENTY = 256 * MiB;
const PAUSE = 2000;

export const fault: Fault = (context) => {
  const { start, test, expectReported } = context;

  test("a body trickling in one byte at a time arrives whole", async () => {
    const message = "fifty bytes, one at a time, over about one second.";
    expect(message.length).toBe(50);
    const client = await start(async (request) => text(`got: ${await readText(request)}`));
    const target = await client.target();
    if (target === null) {
      async function* trickle() {
        for (const byte of Buffer.from(message)) {
          await sleep(20);
          yield Uint8Array.of(byte);
        }
      }
      const response = await client.send({ method: "POST", url: "/trickle", body: trickle() });
      expect(await response.text()).toBe(`got: ${message}`);
      return;
    }
    const reply = await rawExchange(target, async (socket) => {
      socket.write(
        `POST ${target.prefix}/trickle HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\n` +
          `content-length: ${message.length}\r\nconnection: close\r\n\r\n`,
      );
      for (const char of message) {
        await sleep(20);
        socket.write(char);
      }
    });
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe(`got: ${message}`);
    await expectReported(null);
  });

  test(
    "a client that stops reading for seconds stalls the app's producer instead of buffering",
    async () => {
      let produced = 0;
      let finished = false;
      const app: GatewayApp = () => ({
        status: 200,
        headers: { "content-type": "application/octet-stream" },
        body: (async function* () {
          try {
            while (produced < PLENTY) {
              produced += CHUNK;
              yield Buffer.alloc(CHUNK, 1);
            }
          } finally {
            finished = true;
          }
        })(),
      });
      const client = await start(app);
      const controller = new AbortController();
      const response = await client.send({ url: "/download", signal: controller.signal });
      const iterator = response.body[Symbol.asyncIterator]();
      let received = (await iterator.next()).value?.byteLength ?? 0;
      await sleep(PAUSE / 2);
      const halfway = produced;
      await sleep(PAUSE / 2);
      // Stalled: nothing (beyond one chunk) produced in the second half of the pause, and only
      // what the buffers on the way hold is ahead of the reader.
      expect(produced - halfway).toBeLessThanOrEqual(CHUNK);
      expect(produced - received).toBeLessThan(16 * MiB);
      // The reader resumes and the producer follows it.
      while (received < 4 * MiB) received += (await iterator.next()).value?.byteLength ?? 0;
      controller.abort();
      await iterator.return?.();
      await waitFor(() => finished, "the body finished");
      await expectReported(null);
    },
    PAUSE * 5,
  );

  test(
    "an app that stops reading an upload for seconds stalls the client's producer instead of buffering",
    async () => {
      let sent = 0;
      let received = 0;
      let halfway = 0;
      let atEnd = 0;
      const app: GatewayApp = async (request) => {
        const iterator = request.body![Symbol.asyncIterator]();
        received += (await iterator.next()).value?.byteLength ?? 0;
        await sleep(PAUSE / 2);
        halfway = sent;
        await sleep(PAUSE / 2);
        atEnd = sent;
        // Reading again lets the client's producer go on.
        while (received < 4 * MiB) received += (await iterator.next()).value?.byteLength ?? 0;
        await iterator.return?.();
        return text(`read ${received}`);
      };
      const client = await start(app);
      async function* upload() {
        while (sent < PLENTY) {
          sent += CHUNK;
          yield Buffer.alloc(CHUNK, 2);
        }
      }
      const response = await client.send({ method: "POST", url: "/upload", body: upload() });
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/^read \d+$/);
      expect(atEnd - halfway).toBeLessThanOrEqual(CHUNK);
      expect(atEnd - CHUNK).toBeLessThan(16 * MiB);
      expect(sent).toBeGreaterThanOrEqual(4 * MiB);
      await expectReported(null);
    },
    PAUSE * 5,
  );
};
