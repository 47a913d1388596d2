import { fromFastifyFusedPath, fromFastifyInjectPath, fromFastifyPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

runReliability(fromFastifyFusedPath, {
  known: known(
    [[...tests.afterCommit, tests.shortBody], bugs.fusedAfterCommit],
    [tests.badLength, bugs.toFastifyLengthCode],
    [tests.longBody, bugs.toFastifyOverlong],
  ),
});
runReliability(fromFastifyPath, {
  known: known(
    [[...tests.afterCommit.slice(0, 3), tests.shortBody], bugs.socketlessCause],
    [tests.badHead, bugs.writeHeadCodes],
    [tests.badLength, bugs.toFastifyLengthCode],
    [tests.longBody, bugs.toFastifyOverlong],
  ),
});
runReliability(fromFastifyInjectPath, {
  known: known([tests.badHead, bugs.writeHeadCodes], [tests.badLength, bugs.toFastifyLengthCode]),
});
