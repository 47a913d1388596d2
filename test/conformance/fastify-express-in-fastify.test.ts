import { expressInFastifyPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

// Unfused (`fuse: false`): Express runs on the socketless pair. The fused path has its own files.
runConformance(expressInFastifyPath(false));
