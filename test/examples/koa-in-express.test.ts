import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { app } from "../../examples/koa-in-express/app.ts";
import { HttpClient } from "../helpers/http-client.js";

let server: ReturnType<typeof createServer>;
let client: HttpClient;
beforeAll(async () => {
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it("serves Express's own routes", async () => {
  const response = await client.send({ url: "/" });
  expect(await response.text()).toBe("Express home; reports live under /reports\n");
});

it("runs the Koa app under /reports, which builds its links from ctx.mountPath", async () => {
  const response = await client.send({ url: "/reports" });
  expect(response.status).toBe(200);
  expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(JSON.parse(await response.text())).toEqual([
    { id: "q1", title: "First quarter", href: "/reports/q1" },
    { id: "q2", title: "Second quarter", href: "/reports/q2" },
  ]);
});

it("shows Koa the whole URL in ctx.originalUrl, and keeps its headers", async () => {
  const response = await client.send({ url: "/reports/q1?format=json" });
  expect(response.headers["x-served-by"]).toBe("koa");
  expect(JSON.parse(await response.text())).toEqual({
    id: "q1",
    title: "First quarter",
    url: "/reports/q1?format=json",
  });
});

it("answers a 404 Koa meant itself, and lets what Koa left untouched fall through to Express", async () => {
  const meant = await client.send({ url: "/reports/q9" });
  expect([meant.status, await meant.text()]).toEqual([404, "no report q9"]);
  const expressRoute = await client.send({ url: "/reports/legacy" });
  expect([expressRoute.status, await expressRoute.text()]).toEqual([200, "an Express route under the Koa mount\n"]);
  const nowhere = await client.send({ url: "/reports/legacy/x" });
  expect([nowhere.status, await nowhere.text()]).toEqual([404, "Express: not found\n"]);
});

it("hands the Koa app's errors to Express's error handler", async () => {
  const response = await client.send({ url: "/reports/fail/now" });
  expect([response.status, await response.text()]).toEqual([500, "Express caught: the Koa app failed\n"]);
});
