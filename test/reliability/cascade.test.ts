import { cascadeInjectPath, cascadePath } from "./paths.js";
import { runReliability } from "./suite.js";

runReliability(cascadePath);
runReliability(cascadeInjectPath);
