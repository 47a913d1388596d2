import { toKoaPath } from "./adapter-paths.js";
import { bugs, known, tests } from "./known-issues.js";
import { runReliability } from "./suite.js";

runReliability(toKoaPath, {
  known: known(
    [[tests.leaveMidUpload, ...tests.leaveMidResponse, tests.breaksOff, tests.downloadStall], bugs.toKoaDisconnect],
    [[...tests.afterCommit, tests.shortBody], bugs.toKoaTwice],
    [tests.longBody, bugs.toKoaOverlong],
    [tests.uploadStall, bugs.toKoaHang],
    [[tests.endless, tests.wire413], bugs.hostDrain],
  ),
});
