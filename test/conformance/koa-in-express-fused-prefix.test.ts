import { koaInExpressPath } from "./cross-paths.js";
import { warmUp } from "./paths.js";
import { runConformance } from "./suite.js";

// Fused under app.use("/gw", …): Koa sees the prefix Express stripped, as the unfused path shows it.
const path = koaInExpressPath(true, "/gw");
await warmUp(path);
runConformance(path);
