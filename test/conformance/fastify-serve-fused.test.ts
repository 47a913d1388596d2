import { fastifyServePath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

runConformance(fastifyServePath(true));
