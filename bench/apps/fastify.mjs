import { Readable } from "node:stream";
import Fastify from "fastify";
import { BYTES_TYPE, CHUNKS_BY_PATH, chunks, HELLO, TEXT_TYPE } from "./payload.mjs";

/**
 * The native Fastify 5 instance (not listening): routes declared the Fastify way, the echo body
 * left unparsed so it streams back, the logger off as in Fastify's own benchmarks.
 */
export function createFastifyApp() {
  const app = Fastify({ logger: false });
  // Hand the raw request stream through instead of buffering it: the echo streams both ways.
  app.addContentTypeParser(BYTES_TYPE, (_request, payload, done) => done(null, payload));
  app.get("/hello", (_request, reply) => {
    reply.type(TEXT_TYPE).send(HELLO);
  });
  app.post("/echo", (request, reply) => {
    reply.type(BYTES_TYPE).send(request.body);
  });
  for (const [path, count] of Object.entries(CHUNKS_BY_PATH)) {
    app.get(path, (_request, reply) => {
      reply.type(BYTES_TYPE).send(Readable.from(chunks(count)));
    });
  }
  return app;
}
