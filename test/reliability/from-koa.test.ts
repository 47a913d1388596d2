import { fromKoaFusedPath, fromKoaInjectPath, fromKoaPath } from "./adapter-paths.js";
import { runReliability } from "./suite.js";

runReliability(fromKoaFusedPath);
runReliability(fromKoaPath);
runReliability(fromKoaInjectPath);
