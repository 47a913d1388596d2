import { mountPath } from "./paths.js";
import { runReliability } from "./suite.js";

runReliability(mountPath);
