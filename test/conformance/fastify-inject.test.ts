import { fastifyInjectPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

runConformance(fastifyInjectPath);
