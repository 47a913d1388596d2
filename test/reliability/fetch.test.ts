import { fetchPath } from "./paths.js";
import { runReliability } from "./suite.js";

runReliability(fetchPath);
