import { toFastifyPath } from "./adapter-paths.js";
import { runReliability } from "./suite.js";

runReliability(toFastifyPath);
