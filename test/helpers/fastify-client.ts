import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterEach } from "vitest";
import { HttpClient } from "./http-client.js";

/**
 * `listen(fastify)` for a test file: starts the instance on 127.0.0.1, port 0, and returns a
 * client for it; every instance and client it started is closed after each test.
 *
 * @example
 * ```ts
 * const listen = fastifyListener();
 * it("answers", async () => {
 *   const client = await listen(Fastify().register(toFastify(app)));
 *   expect((await client.send({ url: "/" })).status).toBe(200);
 * });
 * ```
 */
export function fastifyListener(): (fastify: FastifyInstance) => Promise<HttpClient> {
  const open: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((close) => close()));
  });
  return async (fastify) => {
    await fastify.listen({ port: 0, host: "127.0.0.1" });
    const client = new HttpClient(`http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`);
    open.push(async () => {
      client.close();
      await fastify.close();
    });
    return client;
  };
}
