import { nodeListenerFusedPath, nodeListenerInjectPath, nodeListenerServePath } from "./paths.js";
import { runConformance } from "./suite.js";

runConformance(nodeListenerInjectPath);
runConformance(nodeListenerServePath);
runConformance(nodeListenerFusedPath);
