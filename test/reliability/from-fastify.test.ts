import { fromFastifyFusedPath, fromFastifyInjectPath, fromFastifyPath } from "./adapter-paths.js";
import { runReliability } from "./suite.js";

runReliability(fromFastifyFusedPath);
runReliability(fromFastifyPath);
runReliability(fromFastifyInjectPath);
