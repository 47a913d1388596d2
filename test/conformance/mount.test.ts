import { mountPath } from "./paths.js";
import { runConformance } from "./suite.js";

runConformance(mountPath);
