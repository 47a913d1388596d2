/**
 * Does Koa middleware in front of an Express app get its turn back after `await next()`?
 *
 *   node bench/koa-upstream.mjs
 *
 * Runs the bench's Express app behind one upstream Koa middleware that counts how often it resumes
 * and sets `x-after` when it does, first through koa-connect (as the `peer:koa-connect` scenario
 * wraps it), then through `toKoa(fromExpress(app))`. koa-connect resolves the Koa middleware's
 * promise only when the Express app calls `next`, and an app that answers never does: Koa's chain
 * never completes, so upstream code after `await next()` never runs and Koa's `respond()` is never
 * reached. That is part of why its echo costs what Express's own does (docs/performance.md).
 */
import { once } from "node:events";
import { request } from "node:http";
import { fromExpress } from "@gangway/express";
import { toKoa } from "@gangway/koa";
import Koa from "koa";
import c2k from "koa-connect";
import { createExpressApp } from "./apps/express.mjs";

const REQUESTS = 100;

async function countResumes(label, inner) {
  let resumed = 0;
  const koa = new Koa();
  koa.use(async (ctx, next) => {
    await next();
    resumed++;
    ctx.set("x-after", "1");
  });
  koa.use(inner);
  const server = koa.listen(0, "127.0.0.1");
  await once(server, "listening");
  let withHeader = 0;
  try {
    for (let i = 0; i < REQUESTS; i++) {
      const res = await new Promise((resolve, reject) => {
        request({ host: "127.0.0.1", port: server.address().port, path: "/hello" }, resolve).on("error", reject).end();
      });
      if (res.headers["x-after"] !== undefined) withHeader++;
      res.resume();
      await once(res, "end");
    }
    // A middleware that resumes after the response went out would still be counted.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    server.closeAllConnections();
    server.close();
  }
  console.log(`${label}: upstream resumed ${resumed}/${REQUESTS}, x-after on ${withHeader}/${REQUESTS}`);
}

const express = createExpressApp();
// The peer scenario's own wrapper: Koa presets 404 and Express never sets 200 itself.
await countResumes(
  "koa-connect",
  c2k((req, res, next) => {
    res.statusCode = 200;
    express(req, res, next);
  }),
);
await countResumes("toKoa(fromExpress(app))", toKoa(fromExpress(createExpressApp())));
