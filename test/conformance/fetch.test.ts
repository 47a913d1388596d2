import { fetchPath } from "./paths.js";
import { runConformance } from "./suite.js";

runConformance(fetchPath);
