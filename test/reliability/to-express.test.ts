import { toExpressPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

runReliability(toExpressPath, { known: known([tests.wire413, bugs.expressFinalHandler]) });
