import { koaInExpressPath } from "./cross-paths.js";
import { warmUp } from "./paths.js";
import { runConformance } from "./suite.js";

// Unfused (`fuse: false`): Koa runs on the socketless pair. The fused path has its own files.
const path = koaInExpressPath(false);
await warmUp(path);
runConformance(path);
