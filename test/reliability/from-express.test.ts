import { fromExpressFusedPath, fromExpressInjectPath, fromExpressPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

runReliability(fromExpressFusedPath, {
  known: known(
    [[...tests.afterCommit, tests.shortBody, tests.longBody], bugs.fusedAfterCommit],
    [tests.wire413, bugs.expressFinalHandler],
  ),
});
runReliability(fromExpressPath, {
  known: known(
    [[...tests.afterCommit.slice(0, 3), tests.shortBody, tests.longBody], bugs.socketlessCause],
    [tests.wire413, bugs.expressFinalHandler],
  ),
});
runReliability(fromExpressInjectPath);
