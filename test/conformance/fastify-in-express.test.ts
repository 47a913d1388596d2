import { fastifyInExpressPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

// Unfused (`fuse: false`): Fastify runs on the socketless pair. The fused path has its own file.
runConformance(fastifyInExpressPath(false));
