import { cascade, type GatewayApp, json, pass } from "@gangway/core";
import { fromExpress } from "@gangway/express";
import express, { type Express } from "express";

/**
 * An existing Express app, written the usual way and unaware of Gangway: routes, a JSON body
 * parser, a redirect, cookies, a streamed response and its own 404 for an unknown user.
 */
export const legacy: Express = express()
  .use(express.json())
  .get("/", (_req, res) => {
    res.redirect("/users");
  })
  .get("/users", (req, res) => {
    res.json({ users: ["ada", "grace"], mountedAt: req.baseUrl, url: req.originalUrl });
  })
  .get("/users/:name", (req, res) => {
    if (!["ada", "grace"].includes(req.params.name)) {
      res.status(404).json({ error: `no user ${req.params.name}` });
      return;
    }
    res.cookie("last-viewed", req.params.name).json({ name: req.params.name });
  })
  .post("/echo", (req, res) => {
    res.json({ youSent: req.body });
  })
  .get("/countdown", async (_req, res) => {
    // Written chunk by chunk: the gateway caller receives each line as it is written.
    res.type("text");
    for (let n = 3; n > 0; n--) {
      res.write(`${n}\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    res.end("liftoff\n");
  });

/** The same Express app as a gateway app: unmatched requests answer pass(). */
export const legacyApp: GatewayApp = fromExpress(legacy);

/**
 * A new gateway app in front, strangler-style: it answers what has been rewritten and passes the
 * rest to the Express app, whose own "no route" passes again to a last JSON 404.
 */
export const app: GatewayApp = cascade(
  (request) => (request.path === "/health" ? json({ ok: true }) : pass()),
  legacyApp,
  () => json({ error: "not found" }, { status: 404 }),
);
