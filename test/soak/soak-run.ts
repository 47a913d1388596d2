import { type GatewayApp, text } from "@gangway/core";
import type { ConformancePath } from "../conformance/suite.js";
import { activeResources } from "../reliability/handles.js";

/** What a soak run measured on one path. */
export interface SoakFigures {
  path: string;
  requests: number;
  seconds: number;
  /** Requests that did not end as their kind should (a GET that failed, an echo that differed). */
  failures: number;
  /** Live heap after a full collection: before (after warm-up) and after the run, server still up. */
  heapBefore: number;
  heapAfter: number;
  rssBefore: number;
  rssAfter: number;
  /** Active resources by kind before the server started and after it closed. */
  resourcesBefore: Record<string, number>;
  resourcesAfter: Record<string, number>;
  /** Streamed response bodies the app started, and how many were finished (rule 21). */
  bodiesStarted: number;
  bodiesFinished: number;
  /** Aborted requests whose request.signal aborted in the app. */
  aborts: number;
  signalsAborted: number;
}

/** Options for {@link runSoak}. */
export interface SoakOptions {
  requests: number;
  /** Clients sending at once. Default 16. */
  concurrency?: number;
}

const KiB = 1024;
const CHUNK = Buffer.alloc(KiB, 115);

/** Live memory after full collections, as the streaming behaviours measure it. */
async function settledMemory(): Promise<{ heap: number; rss: number }> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { heap: heapUsed + arrayBuffers, rss };
}

/**
 * Sends `requests` requests through `path`, a mix of four kinds in turn: a GET, a POST echoed
 * back, a streamed response, and a request the client aborts after the first chunk of an endless
 * stream. Returns the figures; asserting them is the caller's business.
 *
 * @example
 * ```ts
 * const figures = await runSoak(servePath, { requests: 3000 });
 * console.log(figures.heapAfter - figures.heapBefore);
 * ```
 */
export async function runSoak(path: ConformancePath, options: SoakOptions): Promise<SoakFigures> {
  const counts = { bodiesStarted: 0, bodiesFinished: 0, aborts: 0, signalsAborted: 0, failures: 0 };
  const app: GatewayApp = async (request) => {
    if (request.path.endsWith("/echo")) {
      const parts: Uint8Array[] = [];
      for await (const chunk of request.body ?? []) parts.push(chunk);
      return { status: 200, headers: { "content-type": "application/octet-stream" }, body: Buffer.concat(parts) };
    }
    if (request.path.endsWith("/stream") || request.path.endsWith("/endless")) {
      const endless = request.path.endsWith("/endless");
      if (endless) request.signal.addEventListener("abort", () => counts.signalsAborted++, { once: true });
      counts.bodiesStarted++;
      return {
        status: 200,
        body: (async function* () {
          try {
            for (let i = 0; endless || i < 8; i++) {
              yield CHUNK;
              if (endless) await new Promise((resolve) => setImmediate(resolve));
            }
          } finally {
            counts.bodiesFinished++;
          }
        })(),
      };
    }
    return text("ok");
  };

  const resourcesBefore = activeResources();
  const client = await path.start(app);
  const concurrency = options.concurrency ?? 16;
  const payload = Buffer.alloc(4 * KiB, 101);

  async function one(i: number): Promise<void> {
    switch (i % 4) {
      case 0: {
        const response = await client.send({ url: "/get" });
        if ((await response.text()) !== "ok") counts.failures++;
        return;
      }
      case 1: {
        const response = await client.send({ method: "POST", url: "/echo", body: payload });
        if (!(await response.bytes()).equals(payload)) counts.failures++;
        return;
      }
      case 2: {
        const response = await client.send({ url: "/stream" });
        if ((await response.bytes()).byteLength !== 8 * KiB) counts.failures++;
        return;
      }
      default: {
        counts.aborts++;
        const controller = new AbortController();
        const response = await client.send({ url: "/endless", signal: controller.signal });
        const iterator = response.body[Symbol.asyncIterator]();
        await iterator.next();
        controller.abort();
        await iterator.return?.().catch(() => {});
      }
    }
  }

  async function run(total: number, next = { i: 0 }): Promise<void> {
    const worker = async () => {
      for (let i = next.i++; i < total; i = next.i++) {
        await one(i).catch(() => {
          counts.failures++;
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  // Warm up first: JIT, pools and lazily created objects are not leaks.
  await run(Math.min(1000, Math.ceil(options.requests / 3)));
  const before = await settledMemory();
  const started = performance.now();
  await run(options.requests);
  const seconds = (performance.now() - started) / 1000;
  // Let the last aborts settle before measuring what is left.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = await settledMemory();
  await client.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    path: path.name,
    requests: options.requests,
    seconds,
    failures: counts.failures,
    heapBefore: before.heap,
    heapAfter: after.heap,
    rssBefore: before.rss,
    rssAfter: after.rss,
    resourcesBefore,
    resourcesAfter: activeResources(),
    bodiesStarted: counts.bodiesStarted,
    bodiesFinished: counts.bodiesFinished,
    aborts: counts.aborts,
    signalsAborted: counts.signalsAborted,
  };
}

/**
 * The resource kinds whose count grew from `before` to `after` (timers and pending file requests of
 * the test runner aside): what a run left open.
 *
 * @example
 * ```ts
 * expect(grownResources(figures.resourcesBefore, figures.resourcesAfter)).toEqual({});
 * ```
 */
export function grownResources(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [kind, count] of Object.entries(after)) {
    if (kind === "Timeout" || kind === "Immediate" || kind === "FSReqCallback") continue;
    if (count > (before[kind] ?? 0)) grown[kind] = count - (before[kind] ?? 0);
  }
  return grown;
}
