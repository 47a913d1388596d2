import { toFastifyPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

runReliability(toFastifyPath, {
  known: known(
    [[...tests.afterCommit, tests.shortBody], bugs.toFastifyAfterCommit],
    [tests.badHead.slice(0, 6), bugs.writeHeadCodes],
    [tests.badHead[6], bugs.toFastifyReason],
    [tests.badLength, bugs.toFastifyLengthCode],
    [tests.longBody, bugs.toFastifyOverlong],
    [tests.leaveMidUpload, bugs.toFastifyDisconnect],
    [[tests.chunked413, tests.uploadStall], bugs.toFastifyHang],
    [[tests.endless, tests.wire413], bugs.hostDrain],
  ),
});
