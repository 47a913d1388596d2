import { inject, type RunningServer, serve } from "@gangway/core";
import { fromExpress } from "@gangway/express";
import { afterAll, beforeAll, expect, it } from "vitest";
import { app, legacy, legacyApp } from "../../examples/express-as-gateway/app.ts";
import { HttpClient } from "../helpers/http-client.js";

let server: RunningServer;
let client: HttpClient;
beforeAll(async () => {
  server = await serve(app);
  client = new HttpClient(server.url);
});
afterAll(async () => {
  client.close();
  await server.close();
});

it("answers the new gateway route in front", async () => {
  const response = await client.send({ url: "/health" });
  expect(await response.text().then(JSON.parse)).toEqual({ ok: true });
});

it("serves the Express routes: redirect, JSON, cookie", async () => {
  const home = await client.send({ url: "/" });
  expect(home.status).toBe(302);
  expect(home.headers.location).toBe("/users");
  const user = await client.send({ url: "/users/ada" });
  expect(user.status).toBe(200);
  expect(user.headers["set-cookie"]).toEqual(["last-viewed=ada; Path=/"]);
  expect(await user.text().then(JSON.parse)).toEqual({ name: "ada" });
});

it("keeps the Express app's own 404, and falls through to the JSON 404 when no route matched", async () => {
  const unknownUser = await client.send({ url: "/users/nobody" });
  expect(unknownUser.status).toBe(404);
  expect(await unknownUser.text().then(JSON.parse)).toEqual({ error: "no user nobody" });
  const nowhere = await client.send({ url: "/nowhere" });
  expect(nowhere.status).toBe(404);
  expect(await nowhere.text().then(JSON.parse)).toEqual({ error: "not found" });
});

it("streams res.write() chunks as Express writes them", async () => {
  const response = await client.send({ url: "/countdown" });
  const iterator = response.body[Symbol.asyncIterator]();
  expect(Buffer.from((await iterator.next()).value!).toString()).toBe("3\n");
  let rest = "";
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest += Buffer.from(r.value).toString();
  expect(rest).toBe("2\n1\nliftoff\n");
});

it("is testable without a socket through inject()", async () => {
  const echoed = await inject(legacyApp, {
    method: "POST",
    url: "/echo",
    headers: { "content-type": "application/json" },
    body: '{"n":1}',
  });
  expect(await echoed.json()).toEqual({ youSent: { n: 1 } });
  const users = await inject(legacyApp, { url: "/users" });
  expect(await users.json()).toEqual({ users: ["ada", "grace"], mountedAt: "", url: "/users" });
});

it("serves the Express app alone with serve(fromExpress(app)): no route is a plain 404", async () => {
  const alone = await serve(fromExpress(legacy));
  const direct = new HttpClient(alone.url);
  try {
    expect(await (await direct.send({ url: "/users/grace" })).text().then(JSON.parse)).toEqual({ name: "grace" });
    const nowhere = await direct.send({ url: "/nowhere" });
    expect(nowhere.status).toBe(404);
    expect(await nowhere.text()).toBe("Not Found");
  } finally {
    direct.close();
    await alone.close();
  }
});
