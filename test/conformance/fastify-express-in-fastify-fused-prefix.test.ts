import { expressInFastifyPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

// Fused under the prefix /gw: Express sees the mount fields the unfused path shows it.
runConformance(expressInFastifyPath(true, "/gw"));
