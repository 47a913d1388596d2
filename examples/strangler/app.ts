import { cascade } from "@gangway/core";
import { fromExpress } from "@gangway/express";
import { fromFastify } from "@gangway/fastify";
import express, { type Express } from "express";
import Fastify from "fastify";

/**
 * The legacy service: an Express app that has answered every route for years. Nothing in it
 * changes during the migration.
 */
export const legacy: Express = express();
legacy.get("/status", (_req, res) => {
  res.json({ service: "legacy", ok: true });
});
legacy.get("/reports/:year", (req, res) => {
  res.type("text/plain").send(`legacy report for ${req.params.year}\n`);
});
legacy.post("/orders", express.json(), (req, res) => {
  res.status(201).json({ ordered: req.body, source: "express" });
});

/**
 * The new service: a Fastify instance that grows one route at a time. Whatever it has answers;
 * whatever it lacks it hands on, because `fromFastify` turns "no route matched" into `pass()`.
 */
export const service = Fastify();
service.get("/status", async () => ({ service: "fastify", ok: true }));
service.get<{ Params: { id: string } }>("/users/:id", async (request) => ({
  id: request.params.id,
  name: "from the new database",
  source: "fastify",
}));
service.get("/health", async () => ({ healthy: true }));

/**
 * The strangler: the new service first, the legacy one for everything else. A route moves by
 * being added to `service`; when `legacy` answers nothing any more, it is deleted.
 */
export const app = cascade(fromFastify(service), fromExpress(legacy));
