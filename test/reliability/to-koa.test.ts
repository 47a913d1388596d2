import { toKoaPath } from "./adapter-paths.js";
import { runReliability } from "./suite.js";

runReliability(toKoaPath);
