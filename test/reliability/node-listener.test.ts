import { nodeListenerPath } from "./paths.js";
import { runReliability } from "./suite.js";

runReliability(nodeListenerPath);
