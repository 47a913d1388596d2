import { koaInExpressPath } from "./cross-paths.js";
import { warmUp } from "./paths.js";
import { runConformance } from "./suite.js";

// Fused (rule 35): Koa runs on Express's own req/res, with the same behaviours as unfused.
const path = koaInExpressPath(true);
await warmUp(path);
runConformance(path);
