import { fastifyHostPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

runConformance(fastifyHostPath);
