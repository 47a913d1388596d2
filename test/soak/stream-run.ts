import { type GatewayApp, text } from "@gangway/core";
import type { ConformancePath } from "../conformance/suite.js";

/** What streaming a large body through a path measured. */
export interface StreamFigures {
  path: string;
  direction: "download" | "upload";
  bytes: number;
  seconds: number;
  /**
   * Highest live memory (`heapUsed + arrayBuffers` after full collections) sampled during the
   * transfer, less the level before it: what the bridges hold, not garbage awaiting the collector.
   */
  peakGrowth: number;
  /** Highest RSS sampled during the transfer, less the level before it. */
  peakRssGrowth: number;
  samples: number;
}

const CHUNK = 64 * 1024;
const SAMPLES = 16;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Live memory with nothing moving. ArrayBuffer backing stores are released by a task after gc(),
 * so garbage made between two collections still counts until a later one: collect three times,
 * letting the release task run between, and read only then.
 */
async function level(): Promise<{ live: number; rss: number }> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await pause(15);
  }
  const usage = process.memoryUsage();
  return { live: usage.heapUsed + usage.arrayBuffers, rss: usage.rss };
}

/**
 * Streams `bytes` through `path`: the app produces them for the client to read ("download"), or
 * the client sends them for the app to read ("upload"). Sixteen times along the way the app stops
 * its side of the transfer, so the other side soon has nothing more to move, and live memory is
 * sampled; the peak growth over the level before the transfer is what a bridge that buffers
 * would blow up. Needs `--expose-gc`.
 *
 * @example
 * ```ts
 * const figures = await streamThrough(servePath, 1024 ** 3, "download");
 * console.log(figures.peakGrowth / 1024 ** 2, "MiB");
 * ```
 */
export async function streamThrough(
  path: ConformancePath,
  bytes: number,
  direction: "download" | "upload",
): Promise<StreamFigures> {
  const chunks = Math.ceil(bytes / CHUNK);
  const every = Math.max(1, Math.floor(chunks / SAMPLES));
  let base = { live: 0, rss: 0 };
  let peak = { live: 0, rss: 0 };
  let samples = 0;
  const sample = async () => {
    const now = await level();
    peak = { live: Math.max(peak.live, now.live), rss: Math.max(peak.rss, now.rss) };
    samples++;
  };
  async function* produce(measure: boolean) {
    for (let i = 0; i < chunks; i++) {
      if (measure && i > 0 && i % every === 0) await sample();
      yield Buffer.alloc(CHUNK, i & 0xff);
    }
  }
  let received = 0;
  const app: GatewayApp = async (request) => {
    if (direction === "download") return { status: 200, body: produce(true) };
    let count = 0;
    for await (const chunk of request.body ?? []) {
      received += chunk.byteLength;
      // Chunks arrive in the sizes the socket delivers, so sample by bytes, not by chunk.
      if (Math.floor(received / (every * CHUNK)) > count) {
        count = Math.floor(received / (every * CHUNK));
        await sample();
      }
    }
    return text(String(received));
  };
  const client = await path.start(app);
  try {
    base = await level();
    peak = base;
    const started = performance.now();
    if (direction === "download") {
      const response = await client.send({ url: "/download" });
      for await (const chunk of response.body) received += chunk.byteLength;
    } else {
      const response = await client.send({ method: "POST", url: "/upload", body: produce(false) });
      if ((await response.text()) !== String(chunks * CHUNK)) throw new Error("the upload arrived incomplete");
    }
    const seconds = (performance.now() - started) / 1000;
    if (received !== chunks * CHUNK) throw new Error(`${received} of ${chunks * CHUNK} bytes arrived`);
    return {
      path: path.name,
      direction,
      bytes: chunks * CHUNK,
      seconds,
      peakGrowth: peak.live - base.live,
      peakRssGrowth: peak.rss - base.rss,
      samples,
    };
  } finally {
    await client.close();
  }
}
