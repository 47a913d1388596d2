import { fromKoaFusedPath, fromKoaInjectPath, fromKoaPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

runReliability(fromKoaFusedPath, {
  known: known([[...tests.afterCommit, tests.shortBody, tests.longBody], bugs.fusedAfterCommit]),
});
runReliability(fromKoaPath, { known: known([tests.longBody, bugs.toKoaOverlong]) });
runReliability(fromKoaInjectPath);
