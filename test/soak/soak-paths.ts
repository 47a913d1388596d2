import { injectPath, nodeListenerFusedPath, nodeListenerServePath, servePath } from "../conformance/paths.js";
import type { ConformancePath } from "../conformance/suite.js";
import {
  fromExpressFusedPath,
  fromExpressPath,
  fromFastifyFusedPath,
  fromFastifyPath,
  fromKoaFusedPath,
  fromKoaPath,
  toExpressPath,
  toFastifyPath,
  toKoaPath,
} from "../reliability/adapter-paths.js";
import { cascadePath, fetchPath, mountPath, nodeListenerPath } from "../reliability/paths.js";

/**
 * Every path the soak drives: the core paths, then each adapter's.
 *
 * @example
 * ```ts
 * for (const path of soakPaths()) await runSoak(path, { requests: 100_000 });
 * ```
 */
export function soakPaths(): ConformancePath[] {
  return [
    servePath,
    injectPath,
    mountPath,
    cascadePath,
    fetchPath,
    nodeListenerPath,
    nodeListenerServePath,
    nodeListenerFusedPath,
    toExpressPath,
    fromExpressFusedPath,
    fromExpressPath,
    toKoaPath,
    fromKoaFusedPath,
    fromKoaPath,
    toFastifyPath,
    fromFastifyFusedPath,
    fromFastifyPath,
  ];
}

/**
 * One path per bridge direction for the 1 GiB run: Node's server, the socketless Node pair (both
 * ways), the Fetch round trip (both ways), and each adapter's way in and out.
 *
 * @example
 * ```ts
 * for (const path of streamPaths()) await streamThrough(path, 1024 ** 3, "download");
 * ```
 */
export function streamPaths(): ConformancePath[] {
  return [
    servePath,
    nodeListenerServePath,
    fetchPath,
    toExpressPath,
    fromExpressPath,
    toKoaPath,
    fromKoaPath,
    toFastifyPath,
    fromFastifyPath,
  ];
}
