import { fromExpressFusedPath, fromExpressInjectPath, fromExpressPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

runReliability(fromExpressFusedPath, {
  known: known([tests.wire413, bugs.expressFinalHandler]),
});
runReliability(fromExpressPath, {
  known: known([tests.wire413, bugs.expressFinalHandler]),
});
runReliability(fromExpressInjectPath);
