import { inject, serve } from "@gangway/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { app } from "../../examples/hello/app.ts";
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

it("says hello over HTTP", async () => {
  const response = await client.send({ url: "/" });
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("Hello from Gangway!\n");
});

it("greets by name from a JSON body", async () => {
  const response = await client.send({
    method: "POST",
    url: "/greet",
    headers: { "content-type": "application/json" },
    body: '{"name":"Ada"}',
  });
  expect(await response.text().then(JSON.parse)).toEqual({ greeting: "Hello, Ada!" });
});

it("answers 400 with a clear code for malformed JSON", async () => {
  const response = await client.send({ method: "POST", url: "/greet", body: "{nope" });
  expect(response.status).toBe(400);
  await expect(inject(app, { method: "POST", url: "/greet", body: "{nope" })).rejects.toMatchObject({
    code: "GW_ERR_BODY_INVALID",
  });
});

it("falls through with pass() for an unknown path", async () => {
  const response = await client.send({ url: "/nowhere" });
  expect(response.status).toBe(404);
});
