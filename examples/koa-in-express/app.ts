import { toExpress } from "@gangway/express";
import { fromKoa } from "@gangway/koa";
import Router from "@koa/router";
import express from "express";
import Koa from "koa";

/**
 * A Koa app, written as if it were served alone: a reports service on @koa/router. It builds its
 * links from `ctx.mountPath`, the prefix koa-mount would give it, so it works mounted anywhere.
 */
export const koa = new Koa();
const reports = [
  { id: "q1", title: "First quarter" },
  { id: "q2", title: "Second quarter" },
];
const router = new Router()
  .get("/", (ctx) => {
    ctx.body = reports.map((r) => ({ ...r, href: `${ctx.mountPath ?? ""}/${r.id}` }));
  })
  .get("/:id", (ctx) => {
    // Not a report id: leave the request untouched for whoever comes after the Koa app.
    if (!/^q\d+$/.test(ctx.params.id ?? "")) return;
    const report = reports.find((r) => r.id === ctx.params.id);
    if (report === undefined) ctx.throw(404, `no report ${ctx.params.id}`);
    ctx.set("x-served-by", "koa");
    ctx.body = { ...report, url: ctx.originalUrl };
  })
  .get("/fail/now", () => {
    throw new Error("the Koa app failed");
  });
koa.use(router.routes());

/**
 * The Express app that hosts it. The Koa app is mounted at /reports like any Express middleware;
 * what Koa does not handle falls through to the Express routes after it, and its errors reach
 * Express's error handler.
 */
export const app: express.Express = express();
app.get("/", (_req, res) => {
  res.type("text").send("Express home; reports live under /reports\n");
});
app.use("/reports", toExpress(fromKoa(koa)));
app.get("/reports/legacy", (_req, res) => {
  res.type("text").send("an Express route under the Koa mount\n");
});
app.use((_req, res) => {
  res.status(404).type("text").send("Express: not found\n");
});
app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(500).type("text").send(`Express caught: ${error.message}\n`);
});
