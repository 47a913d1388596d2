import { expressInFastifyFusedPath, koaInExpressFusedPath, koaInFastifyFusedPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

// The fused cross pairs (rule 35): the same faults as every other path. In Express, the host's own
// known bugs, as on express().use(toExpress(app)).
runReliability(koaInExpressFusedPath, {
  known: known([tests.endless, bugs.hostDrain], [tests.wire413, bugs.expressFinalHandler]),
});
// Express's finalhandler answers the 413 only after reading the whole upload, in Fastify as natively.
runReliability(expressInFastifyFusedPath, { known: known([tests.wire413, bugs.expressFinalHandler]) });
runReliability(koaInFastifyFusedPath);
