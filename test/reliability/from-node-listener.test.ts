import { nodeListenerFusedPath, nodeListenerInjectPath, nodeListenerServePath } from "../conformance/paths.js";
import { runReliability } from "./suite.js";

// fuse: false on both sides makes two servers of one request: toNodeListener inside the socketless
// pair reports an error after commit, and so does the server outside it that sees the truncation.
const nested = "toNodeListener inside fromNodeListener, unfused: a server on each side of the pair";

runReliability(nodeListenerServePath, { nested });
runReliability(nodeListenerInjectPath, { nested });
runReliability(nodeListenerFusedPath);
