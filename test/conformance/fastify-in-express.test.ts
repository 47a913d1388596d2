import { fastifyInExpressPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

runConformance(fastifyInExpressPath);
