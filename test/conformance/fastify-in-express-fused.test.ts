import { fastifyInExpressPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

// Fused (rule 35): Fastify routes Express's own req/res, with the same behaviours as unfused.
runConformance(fastifyInExpressPath(true));
