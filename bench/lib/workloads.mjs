/**
 * The load each workload puts on a server. Hello uses 100 connections × 10 pipelined requests,
 * as Fastify's own benchmarks do: without pipelining one autocannon core cannot saturate a raw
 * node:http core, and every fast server would tie at the load generator's limit. The body
 * workloads are not pipelined: there the bytes, not the request count, are the load.
 */
import { BIG_CHUNKS, CHUNK_SIZE, ECHO_SIZE, HELLO, STREAM_CHUNKS } from "../apps/payload.mjs";

export const workloads = {
  hello: { title: "GET /hello (13 bytes)", path: "/hello", connections: 100, pipelining: 10 },
  echo: {
    title: "POST /echo (64 KiB streamed back)",
    path: "/echo",
    method: "POST",
    bodySize: ECHO_SIZE,
    connections: 16,
  },
  stream: { title: "GET /stream (1 MiB in 64 KiB chunks)", path: "/stream", connections: 8 },
};

/** The slow-reader download: 64 MiB read ~1 MiB at a time with 50 ms pauses. */
export const slowReader = { path: "/big", bytes: BIG_CHUNKS * CHUNK_SIZE, readBytes: 1024 * 1024, pauseMs: 50 };

/** What a correct answer to each workload looks like, for the probe. */
export const expected = {
  hello: { status: 200, type: "text/plain", body: Buffer.from(HELLO) },
  echo: { status: 200, echoes: true },
  stream: { status: 200, length: STREAM_CHUNKS * CHUNK_SIZE },
};
