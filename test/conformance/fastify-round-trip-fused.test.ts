import { fastifyRoundTripPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

runConformance(fastifyRoundTripPath(true));
