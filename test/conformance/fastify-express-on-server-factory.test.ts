import { expressOnServerFactoryPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

// Fused, on Fastify's server built by toServerFactory: Express's prototype swap is a no-op there,
// and every behaviour stays what it is on Fastify's usual server.
runConformance(expressOnServerFactoryPath());
