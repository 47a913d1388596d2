import { inject, serve } from "@gangway/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { app } from "../../examples/wrap-koa/app.ts";
import { HttpClient } from "../helpers/http-client.js";

let server: Awaited<ReturnType<typeof serve>>;
let client: HttpClient;
beforeAll(async () => {
  server = await serve(app, { onError: () => {} });
  client = new HttpClient(server.url);
});
afterAll(async () => {
  client.close();
  await server.close();
});

it("serves the Koa app's routes over HTTP", async () => {
  const response = await client.send({ url: "/notes" });
  expect(response.status).toBe(200);
  expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(JSON.parse(await response.text())).toEqual([{ id: 1, text: "Koa apps keep working" }]);
});

it("answers the new gateway route in front of it", async () => {
  const response = await client.send({ url: "/health" });
  expect(JSON.parse(await response.text())).toEqual({ ok: true });
});

it("lets Koa parse a JSON body and answer 201 with a location", async () => {
  const response = await client.send({
    method: "POST",
    url: "/notes",
    headers: { "content-type": "application/json" },
    body: '{"text":"written through Gangway"}',
  });
  expect(response.status).toBe(201);
  expect(response.headers.location).toBe("/notes/2");
  expect(JSON.parse(await response.text())).toEqual({ id: 2, text: "written through Gangway" });
});

it("keeps Koa's own answers: a 404 it meant, a 400 it threw, a 405 from allowedMethods", async () => {
  const missing = await client.send({ url: "/notes/99" });
  expect([missing.status, await missing.text()]).toEqual([404, "no note 99"]);
  const bad = await client.send({
    method: "POST",
    url: "/notes",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect([bad.status, await bad.text()]).toEqual([400, "a note needs text"]);
  const wrongMethod = await client.send({ method: "DELETE", url: "/notes" });
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.allow).toContain("GET");
});

it("ends a path neither app knows as the server's 404", async () => {
  const response = await client.send({ url: "/nowhere" });
  expect([response.status, await response.text()]).toEqual([404, "Not Found"]);
});

it("tests the same Koa app without a socket, through inject()", async () => {
  const response = await inject(app, { url: "/notes/1" });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ id: 1, text: "Koa apps keep working" });
});
