import { cascadeInjectPath, cascadePath } from "./paths.js";
import { runConformance } from "./suite.js";

runConformance(cascadePath);
runConformance(cascadeInjectPath);
