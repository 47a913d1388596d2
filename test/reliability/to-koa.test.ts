import { toKoaPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

runReliability(toKoaPath, {
  known: known([[tests.endless, tests.wire413], bugs.hostDrain]),
});
