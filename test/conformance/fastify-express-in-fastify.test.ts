import { expressInFastifyPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

runConformance(expressInFastifyPath);
