import { koaInFastifyPath } from "./fastify-paths.js";
import { runConformance } from "./suite.js";

// Unfused (`fuse: false`): Koa runs on the socketless pair. The fused path has its own file.
runConformance(koaInFastifyPath(false));
