import { expressInFastifyPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

// Fused (rule 35): Express runs on Fastify's own request.raw/reply.raw, with the same behaviours as unfused.
runConformance(expressInFastifyPath(true));
