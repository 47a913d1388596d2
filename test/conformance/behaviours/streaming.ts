import { PassThrough } from "node:stream";
import { type GatewayApp, text } from "@gangway/core";
import { expect, it } from "vitest";
import { sleep } from "../../helpers/wait.js";
import type { Behaviour } from "../suite.js";

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const TOTAL = 10 * MiB;

declare const gc: () => void;

/**
 * Live memory after a full collection: what is actually held, not what awaits the collector.
 * ArrayBuffer backing stores are released by a sweeper task after gc(), so collect, let it run,
 * and collect again before reading `arrayBuffers`.
 */
async function liveBytes(): Promise<number> {
  gc();
  await sleep(20);
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

// Sampled at these fractions of the transfer. A bridge that buffers holds at least half the body
// at every sample; a busy shared machine adds noise to single samples, never to all of them, so
// the minimum growth is the measure.
const SAMPLES = new Set([0.5, 0.625, 0.75, 0.875].map((f) => (TOTAL / CHUNK) * f));

export const behaviour: Behaviour = ({ start, path }) => {
  it("streams a 10 MiB download without holding the body in memory", async () => {
    let produced = 0;
    let received = 0;
    let maxInFlight = 0;
    let growth = Number.POSITIVE_INFINITY;
    const app: GatewayApp = () => ({
      status: 200,
      headers: { "content-type": "application/octet-stream" },
      body: (async function* () {
        const baseline = await liveBytes();
        for (let i = 0; i < TOTAL / CHUNK; i++) {
          if (SAMPLES.has(i)) growth = Math.min(growth, (await liveBytes()) - baseline);
          produced += CHUNK;
          maxInFlight = Math.max(maxInFlight, produced - received);
          yield Buffer.alloc(CHUNK, i);
        }
      })(),
    });
    const client = await start(app);
    const response = await client.send({ url: "/download" });
    for await (const chunk of response.body) received += chunk.byteLength;
    expect(received).toBe(TOTAL);
    // A bridge that buffered the body would hold 5 MiB or more at every sample, and let the
    // producer run 10 MiB ahead of the reader; loopback socket buffers alone allow a few MiB.
    expect(maxInFlight).toBeLessThan(6 * MiB);
    expect(growth).toBeLessThan(4 * MiB);
  });

  it("streams a 10 MiB upload to the app without buffering it first", async () => {
    let sent = 0;
    let received = 0;
    let maxInFlight = 0;
    let growth = Number.POSITIVE_INFINITY;
    const app: GatewayApp = async (request) => {
      const baseline = await liveBytes();
      let chunks = 0;
      for await (const chunk of request.body ?? []) {
        received += chunk.byteLength;
        if (SAMPLES.has(++chunks)) growth = Math.min(growth, (await liveBytes()) - baseline);
      }
      return text(String(received));
    };
    async function* upload() {
      for (let i = 0; i < TOTAL / CHUNK; i++) {
        sent += CHUNK;
        maxInFlight = Math.max(maxInFlight, sent - received);
        yield Buffer.alloc(CHUNK, i);
      }
    }
    const client = await start(app);
    const response = await client.send({ method: "POST", url: "/upload", body: upload() });
    expect(await response.text()).toBe(String(TOTAL));
    // Upload in-flight bytes sit in two loopback socket buffers (client send, server receive),
    // which a busy machine fills; the live-memory check below is what rules out buffering.
    expect(maxInFlight).toBeLessThan(8 * MiB);
    expect(growth).toBeLessThan(4 * MiB);
  });

  it("echoes an upload past the drain bound as it arrives, and keeps the connection for the next request", async () => {
    // The app reads the upload while the response streams it back: nothing is left unread, so the
    // connection stays (a bridge that bounded the "unread" rest at once closed it, or said close).
    const app: GatewayApp = (request) =>
      request.method === "POST"
        ? { status: 200, headers: { "content-type": "application/octet-stream" }, body: request.body }
        : text("next");
    async function* upload() {
      for (let i = 0; i < 8; i++) {
        await sleep(10);
        yield Buffer.alloc(CHUNK, i);
      }
    }
    const client = await start(app);
    const echoed = await client.send({ method: "POST", url: "/echo", body: upload() });
    const bytes = await echoed.bytes();
    expect(bytes.byteLength).toBe(8 * CHUNK);
    expect(bytes[7 * CHUNK]).toBe(7);
    // A close after the response shows as a new connection for the next request.
    await sleep(50);
    const next = await client.send({ url: "/next" });
    expect(await next.text()).toBe("next");
    if (path.transport === "http") {
      expect(echoed.headers.connection).not.toBe("close");
      expect(next.connection).toBe(echoed.connection);
    }
  });

  it("delivers the first chunk of a slow response before the last one is produced", async () => {
    let producedLast = false;
    const app: GatewayApp = () => ({
      status: 200,
      headers: { "content-type": "text/event-stream" },
      body: (async function* () {
        yield Buffer.from("data: first\n\n");
        await sleep(300);
        producedLast = true;
        yield Buffer.from("data: last\n\n");
      })(),
    });
    const client = await start(app);
    const response = await client.send({ url: "/events" });
    expect(response.headers["content-type"]).toBe("text/event-stream");
    const iterator = response.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(Buffer.from(first.value!).toString()).toBe("data: first\n\n");
    expect(producedLast).toBe(false);
    let rest = "";
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest += Buffer.from(r.value).toString();
    expect(rest).toBe("data: last\n\n");
    expect(producedLast).toBe(true);
  });

  it("sends every body kind: string, bytes, async iterable, ReadableStream", async () => {
    const kinds: Record<string, () => unknown> = {
      string: () => "kind:string",
      bytes: () => new TextEncoder().encode("kind:bytes"),
      iterable: () =>
        (async function* () {
          yield Buffer.from("kind:");
          yield new Uint8Array(0);
          yield Buffer.from("iterable");
        })(),
      stream: () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("kind:stream"));
            controller.close();
          },
        }),
    };
    const client = await start((request) => ({ status: 200, body: kinds[request.path.slice(1)]!() as string }));
    for (const kind of Object.keys(kinds)) {
      expect(await (await client.send({ url: `/${kind}` })).text()).toBe(`kind:${kind}`);
    }
  });

  // A Node stream can go to the host whole (takeReadable): its framing must not change.
  it("sends a Node Readable as it arrives, and an empty one framed as empty (content-length: 0)", async () => {
    const client = await start((request) => {
      if (request.path === "/empty") return { status: 200, body: new PassThrough().end() };
      const stream = new PassThrough();
      stream.write("node:");
      setTimeout(() => stream.end("readable"), 20);
      return { status: 200, headers: { "content-type": "text/plain" }, body: stream };
    });
    const streamed = await client.send({ url: "/stream" });
    expect(streamed.status).toBe(200);
    expect(streamed.headers["content-length"]).toBeUndefined();
    expect(await streamed.text()).toBe("node:readable");
    const empty = await client.send({ url: "/empty" });
    expect(empty.status).toBe(200);
    expect(empty.headers["content-length"]).toBe("0");
    expect(await empty.text()).toBe("");
  });
};
