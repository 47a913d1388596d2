import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inject } from "@gangway/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { booksApp, server as expressApp } from "../../examples/mount-in-express/app.ts";
import { HttpClient } from "../helpers/http-client.js";

let server: Server;
let client: HttpClient;
beforeAll(async () => {
  server = createServer(expressApp);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it("serves Express's own home page", async () => {
  const response = await client.send({ url: "/" });
  expect(response.status).toBe(200);
  expect(await response.text()).toContain("Express home");
});

it("serves the gateway app under /gw", async () => {
  const response = await client.send({ url: "/gw/books" });
  expect(response.status).toBe(200);
  expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(await response.text().then(JSON.parse)).toContainEqual({ id: 1, title: "Notes on the Analytical Engine" });
});

it("creates a book from a body express.json() already parsed, with a location under /gw", async () => {
  const response = await client.send({
    method: "POST",
    url: "/gw/books",
    headers: { "content-type": "application/json" },
    body: '{"title":"Sketch of the Analytical Engine"}',
  });
  expect(response.status).toBe(201);
  const book = JSON.parse(await response.text()) as { id: number; title: string };
  expect(book.title).toBe("Sketch of the Analytical Engine");
  expect(response.headers.location).toBe(`/gw/books/${book.id}`);
  const fetched = await client.send({ url: `/gw/books/${book.id}` });
  expect(await fetched.text().then(JSON.parse)).toEqual(book);
});

it("passes unknown paths back to Express's routes after it", async () => {
  const response = await client.send({ url: "/gw/about" });
  expect(await response.text()).toBe("an Express route under /gw, after the gateway app\n");
  expect((await client.send({ url: "/gw/nothing" })).status).toBe(404);
});

it("hands the gateway app's errors to Express's error handler", async () => {
  const response = await client.send({ url: "/gw/crash" });
  expect(response.status).toBe(500);
  expect(await response.text().then(JSON.parse)).toEqual({ error: "the books app failed" });
});

it("runs the same gateway app without Express, mounted nowhere", async () => {
  const response = await inject(booksApp, { method: "POST", url: "/books", body: '{"title":""}' });
  expect(response.status).toBe(422);
});
