import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectPath, nodeListenerServePath, servePath } from "../conformance/paths.js";
import { type ProcessWatch, watchProcess } from "../reliability/process-watch.js";
import { grownResources, runSoak } from "./soak-run.js";

const MiB = 1024 * 1024;

/**
 * The short form of `pnpm soak` for CI: 3,000 mixed requests (GET, POST echo, streamed response,
 * aborted request) on three paths, with the soak's assertions. The full run is 100,000 per path.
 */
describe("soak, short form", () => {
  let watch: ProcessWatch;
  beforeAll(() => {
    watch = watchProcess();
  });
  afterAll(() => watch.stop());

  // The Fetch path is left to the full run: its request.signal can miss an abort after a garbage
  // collection (a known bug, see test/reliability/fetch.test.ts), which a soak provokes at random.
  for (const path of [servePath, injectPath, nodeListenerServePath]) {
    it(`3,000 mixed requests on ${path.name} leave memory and handles where they were`, async () => {
      const figures = await runSoak(path, { requests: 3000 });
      expect(figures.failures).toBe(0);
      // Every streamed body finished, every aborted request's signal aborted (rules 11, 21).
      expect(figures.bodiesFinished).toBe(figures.bodiesStarted);
      expect(figures.signalsAborted).toBe(figures.aborts);
      // A leak of a few hundred bytes a request would show as megabytes; noise stays well under.
      expect(figures.heapAfter - figures.heapBefore).toBeLessThan(4 * MiB);
      expect(grownResources(figures.resourcesBefore, figures.resourcesAfter)).toEqual({});
      expect(watch.take()).toEqual([]);
    });
  }
});
