import { servePath } from "./paths.js";
import { runConformance } from "./suite.js";

runConformance(servePath);
