import { describe, expect, it } from "vitest";
import { nodeListenerServePath, servePath } from "../conformance/paths.js";
import { fetchPath } from "../reliability/paths.js";
import { streamThrough } from "./stream-run.js";

const MiB = 1024 * 1024;

/**
 * The short form of `pnpm soak:gib` for CI: 64 MiB each way through serve(), the socketless Node
 * pair and the Fetch round trip, with live memory growing less than 32 MiB at its peak. The full
 * run streams 1 GiB each way with a 64 MiB bound.
 */
describe("streaming 64 MiB through every bridge direction", () => {
  for (const path of [servePath, nodeListenerServePath, fetchPath]) {
    for (const direction of ["download", "upload"] as const) {
      it(`${direction} through ${path.name} peaks under 32 MiB of growth`, async () => {
        const figures = await streamThrough(path, 64 * MiB, direction);
        expect(figures.bytes).toBe(64 * MiB);
        expect(figures.peakGrowth).toBeLessThan(32 * MiB);
      });
    }
  }
});
