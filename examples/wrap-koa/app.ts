import { cascade, type GatewayApp, json, pass } from "@gangway/core";
import { fromKoa } from "@gangway/koa";
import { bodyParser } from "@koa/bodyparser";
import Router from "@koa/router";
import Koa from "koa";

interface Note {
  id: number;
  text: string;
}

/**
 * The existing Koa app, left exactly as it was: a small notes API with @koa/router and
 * @koa/bodyparser. Nothing in it knows about Gangway.
 */
export const koa = new Koa();
const notes: Note[] = [{ id: 1, text: "Koa apps keep working" }];
const router = new Router()
  .get("/notes", (ctx) => {
    ctx.body = notes;
  })
  .get("/notes/:id", (ctx) => {
    const note = notes.find((n) => n.id === Number(ctx.params.id));
    if (note === undefined) ctx.throw(404, `no note ${ctx.params.id}`);
    ctx.body = note;
  })
  .post("/notes", (ctx) => {
    const { text } = ctx.request.body as { text?: unknown };
    if (typeof text !== "string" || text === "") return ctx.throw(400, "a note needs text");
    const note: Note = { id: notes.length + 1, text };
    notes.push(note);
    ctx.status = 201;
    ctx.set("location", `${ctx.mountPath ?? ""}/notes/${note.id}`);
    ctx.body = note;
  });
koa.use(bodyParser()).use(router.routes()).use(router.allowedMethods());

/** A new route written as a gateway app, in front of the Koa app. */
const health: GatewayApp = (request) =>
  request.method === "GET" && request.path === "/health" ? json({ ok: true }) : pass();

/**
 * The one application object: new gateway routes first, then the Koa app for everything else.
 * Koa's untouched 404 is a `pass()`, so a path neither knows ends as the server's 404.
 */
export const app: GatewayApp = cascade(health, fromKoa(koa));
