import { serve } from "@gangway/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { app } from "../../examples/strangler/app.ts";
import { HttpClient } from "../helpers/http-client.js";

let server: Awaited<ReturnType<typeof serve>>;
let client: HttpClient;
beforeAll(async () => {
  server = await serve(app);
  client = new HttpClient(server.url);
});
afterAll(async () => {
  client.close();
  await server.close();
});

const get = async (url: string) => {
  const response = await client.send({ url });
  return { status: response.status, body: await response.text() };
};

it("answers a route only the new Fastify service has", async () => {
  const { status, body } = await get("/users/ada");
  expect(status).toBe(200);
  expect(JSON.parse(body)).toEqual({ id: "ada", name: "from the new database", source: "fastify" });
  expect(JSON.parse((await get("/health")).body)).toEqual({ healthy: true });
});

it("hands a route only the legacy Express app has to Express", async () => {
  expect(await get("/reports/2024")).toEqual({ status: 200, body: "legacy report for 2024\n" });
});

it("lets Fastify win a route both have", async () => {
  expect(JSON.parse((await get("/status")).body)).toEqual({ service: "fastify", ok: true });
});

it("hands a POST over with its body unread, so Express parses it", async () => {
  const response = await client.send({
    method: "POST",
    url: "/orders",
    headers: { "content-type": "application/json" },
    body: '{"item":"tea"}',
  });
  expect(response.status).toBe(201);
  expect(JSON.parse(await response.text())).toEqual({ ordered: { item: "tea" }, source: "express" });
});

it("answers 404 when neither has the route", async () => {
  expect(await get("/nowhere")).toEqual({ status: 404, body: "Not Found" });
});
