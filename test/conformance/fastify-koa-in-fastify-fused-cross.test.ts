import { koaInFastifyPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

// Fused (rule 35): Koa runs on Fastify's own request.raw/reply.raw, with the same behaviours as unfused.
runConformance(koaInFastifyPath(true));
