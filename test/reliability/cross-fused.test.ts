import { expressInFastifyFusedPath, koaInExpressFusedPath, koaInFastifyFusedPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

// The fused cross pairs (rule 35): the same faults as every other path.
runReliability(koaInExpressFusedPath);
// Express's finalhandler answers the 413 only after reading the whole upload, in Fastify as natively.
runReliability(expressInFastifyFusedPath, { known: known([tests.wire413, bugs.expressFinalHandler]) });
runReliability(koaInFastifyFusedPath);
