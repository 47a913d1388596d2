import { readdirSync } from "node:fs";
import { type GatewayApp, json } from "@gangway/core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { reportedErrors } from "../conformance/paths.js";
import type { ConformancePath, PathClient } from "../conformance/suite.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { type HandleCounts, openHandles } from "./handles.js";
import { type ProcessWatch, watchProcess } from "./process-watch.js";
import type { RawTarget } from "./raw-http.js";

/** How the reliability suite runs on one path. */
export interface ReliabilityOptions {
  /**
   * Faults this path is known to fail, by test name, each with the reason (the bug, where it
   * lives). They run as `it.fails`: the day the bug is fixed the test fails, and the entry goes.
   */
  known?: Record<string, string>;
  /**
   * Why this path has two servers in a row that both report (a socketless pair with a server on
   * each side): an error after commit then reaches `onError` once per server, not once.
   */
  nested?: string;
}

/** A client of one app behind a path, with a way to reach the real server underneath. */
export interface FaultClient extends PathClient {
  /**
   * Where the path's real server listens and the prefix its targets need, for faults that write
   * raw bytes on a socket; `null` on a socketless path.
   */
  target(): Promise<RawTarget | null>;
}

/** What a fault module gets. */
export interface FaultContext {
  path: ConformancePath;
  /** Starts `app` behind the path under test; closed after the test, which fails if it will not close. */
  start(app: GatewayApp): Promise<FaultClient>;
  /**
   * Errors the server reported while the current test ran: the paths send `onError` (or the
   * host's error handler) to `quietErrors`, which hands them here.
   */
  reported(): unknown[];
  /**
   * Asserts what the servers reported for the fault just provoked: `code` exactly once on a path
   * that answers errors (once per server on a nested one), and nothing else; on a socketless path
   * that rejects, nothing but `code` from a nested server. `null`: nothing at all (rule 26).
   * `or` lists codes that stand for the same report: a host's error path gets the app's own error
   * where `serve()` reports it wrapped (rule 27).
   */
  expectReported(code: string | null, or?: string[]): Promise<void>;
  /** The open sockets and servers when the current test began, before its server started. */
  baseline(): HandleCounts;
  /** Registers a test; a known failure of this path (see {@link ReliabilityOptions}) runs as `it.fails`. */
  test(name: string, fn: () => Promise<void>, timeout?: number): void;
}

/** A fault module registers its tests with `context.test(...)`. */
export type Fault = (context: FaultContext) => void;

// A request to this path answers where it arrived; the probe finds the server under any prefix.
const PROBE = "/__reliability_probe";

// Every file in faults/ is a fault; a new one is picked up by every path at once.
const files = readdirSync(new URL("./faults/", import.meta.url)).filter((file) => file.endsWith(".ts"));
const modules: Record<string, { fault: Fault }> = {};
for (const file of files.sort()) modules[file] = await import(`./faults/${file}`);

/**
 * Runs every fault against one path. Around each test it checks what no fault may leave behind:
 * an unhandled rejection, an uncaught exception, a MaxListenersExceededWarning, a server that
 * will not close, or a socket still open once it closed.
 *
 * @example
 * ```ts
 * import { servePath } from "../conformance/paths.js";
 * runReliability(servePath);
 * ```
 */
export function runReliability(path: ConformancePath, options: ReliabilityOptions = {}): void {
  describe(`reliability: ${path.name}`, () => {
    const open: PathClient[] = [];
    let watch: ProcessWatch;
    let baseline: HandleCounts;
    let reported: unknown[] = [];
    const observe = (error: unknown) => reported.push(error);
    const registered = new Set<string>();

    beforeAll(() => {
      watch = watchProcess();
      reportedErrors.add(observe);
    });
    afterAll(() => {
      watch.stop();
      reportedErrors.delete(observe);
      // A known issue under a name no fault registers (a typo, a renamed test) must not pass unseen.
      const strays = Object.keys(options.known ?? {}).filter((name) => !registered.has(name));
      expect(strays, "known issues that name no test of this suite").toEqual([]);
    });
    beforeEach(() => {
      reported = [];
      baseline = openHandles();
    });
    afterEach(async () => {
      // Reports that arrive late belong to this test, not the next.
      await sleep(20);
      const closing = Promise.all(open.splice(0).map((client) => client.close()));
      const hung = new Promise<"hung">((resolve) => setTimeout(resolve, 5000, "hung").unref());
      expect(await Promise.race([closing, hung]), "the server closes once its clients are gone").not.toBe("hung");
      await waitFor(
        () => {
          const now = openHandles();
          return now.sockets <= baseline.sockets && now.servers <= baseline.servers;
        },
        `sockets and servers back to ${JSON.stringify(baseline)}, not ${JSON.stringify(openHandles())}`,
      );
      expect(watch.take(), "no unhandled rejection, uncaught exception or listener leak").toEqual([]);
    });

    const context: FaultContext = {
      path,
      reported: () => reported,
      async expectReported(code, or = []) {
        const codes = () =>
          reported.map((error) => {
            const reportedCode = (error as { code?: unknown } | null)?.code ?? String(error);
            return typeof reportedCode === "string" && or.includes(reportedCode) ? code : reportedCode;
          });
        if (code !== null && path.errors === "respond") await waitFor(() => reported.length > 0, `${code} reported`);
        await sleep(20);
        if (code === null) expect(codes(), "nothing reported").toEqual([]);
        else if (options.nested === undefined) expect(codes()).toEqual(path.errors === "respond" ? [code] : []);
        else {
          // Nested servers: the inner one reports the error (once, where errors are answered), the
          // outer one at most the truncation it saw.
          const [own, others] = [codes().filter((c) => c === code), codes().filter((c) => c !== code)];
          if (path.errors === "respond") expect(own.length).toBeGreaterThan(0);
          for (const other of others) expect(other).toBe("GW_ERR_RESPONSE_ABORTED");
          expect(codes().length, "once per server").toBeLessThanOrEqual(2);
        }
      },
      baseline: () => baseline,
      test(name, fn, timeout) {
        registered.add(name);
        const reason = options.known?.[name];
        if (reason === undefined) it(name, fn, timeout);
        else it.fails(`${name} [known: ${reason}]`, fn, timeout);
      },
      async start(app) {
        const probed: GatewayApp = (request) =>
          request.path.endsWith(PROBE)
            ? json({ authority: request.authority, seen: request.basePath + request.path })
            : app(request);
        const client = await path.start(probed);
        open.push(client);
        let target: Promise<RawTarget | null> | undefined;
        return {
          send: (request) => client.send(request),
          close: () => client.close(),
          target: () => (target ??= probe(path, client)),
        };
      },
    };
    for (const [file, module] of Object.entries(modules)) {
      describe(file.replace(/\.ts$/, ""), () => module.fault(context));
    }
  });
}

async function probe(path: ConformancePath, client: PathClient): Promise<RawTarget | null> {
  if (path.transport !== "http") return null;
  const response = await client.send({ url: PROBE });
  const { authority, seen } = JSON.parse(await response.text()) as { authority: string; seen: string };
  const colon = authority.lastIndexOf(":");
  return {
    host: authority.slice(0, colon),
    port: Number(authority.slice(colon + 1)),
    prefix: seen.slice(0, -PROBE.length),
  };
}
