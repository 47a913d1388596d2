import { injectPath } from "./paths.js";
import { runConformance } from "./suite.js";

runConformance(injectPath);
