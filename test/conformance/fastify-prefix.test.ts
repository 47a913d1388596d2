import { fastifyPrefixPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

runConformance(fastifyPrefixPath);
