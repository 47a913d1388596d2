import { type LintCode, type LintIssue, validate } from "@gangway/core";
import { afterAll, expect } from "vitest";
import { sleep } from "../helpers/wait.js";
import { servePath } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * Every behaviour again, with the app wrapped in `validate()` and served by `serve()` over real
 * HTTP. A well-formed app must behave exactly as without it, and raise no lint error.
 *
 * The path runs at level "warn", so the response flows on after a finding and the behaviours that
 * break a rule on purpose (to test the server's side of it) still see what they assert. Those are
 * listed below with the errors they must raise; any other test that raises an error-severity issue
 * fails. Warnings (a body without content-type, a HEAD body, a header named `constructor`) are
 * allowed: they are advice, and well-formed apps may trigger them.
 */
const deliberate: Record<string, LintCode[]> = {
  // errors.ts: `{ status: "200" }`; the server answers it with a 500.
  "treats a response of the wrong shape as an app error": ["GW_LINT_STATUS"],
  // bodiless.ts: 204 and 304 given a body the server must drop.
  "sends no body and no content-length with 204 and 304": ["GW_LINT_BODILESS_BODY"],
  // content-length.ts: bodies that lie about their length, and hop-by-hop headers to be dropped.
  "refuses a whole body whose content-length lies, before commit": ["GW_LINT_LENGTH_MISMATCH"],
  "truncates the response when a streamed body is shorter than its content-length": ["GW_LINT_LENGTH_MISMATCH"],
  "never sends more than the declared content-length of a streamed body": ["GW_LINT_LENGTH_MISMATCH"],
  "drops hop-by-hop headers an app sets, so they never reach the wire as the app wrote them": ["GW_LINT_HOP_BY_HOP"],
};

const FINISH_TIMEOUT = 100;

interface Finding {
  test: string;
  issue: LintIssue;
}

// Findings reported after a test ended (a body dropped unfinished) still name the test they came from.
const findings: Finding[] = [];

function errorsOf(test: string): LintCode[] {
  const codes = findings.filter((f) => f.test === test && f.issue.severity === "error").map((f) => f.issue.code);
  return [...new Set(codes)].sort();
}

function expectedFor(test: string): LintCode[] {
  const entry = Object.entries(deliberate).find(([name]) => test.endsWith(name));
  return [...(entry?.[1] ?? [])].sort();
}

const validatePath: ConformancePath = {
  name: "validate() under serve()",
  transport: servePath.transport,
  errors: servePath.errors,
  async start(app) {
    const test = expect.getState().currentTestName ?? "(outside a test)";
    const client = await servePath.start(
      validate(app, {
        level: "warn",
        finishTimeout: FINISH_TIMEOUT,
        onWarning: (issue) => findings.push({ test, issue }),
      }),
    );
    return {
      send: (request) => client.send(request),
      close: async () => {
        await client.close();
        expect(errorsOf(test), `lint errors in "${test}"`).toEqual(expectedFor(test));
      },
    };
  },
};

runConformance(validatePath);

afterAll(async () => {
  // Late findings: bodies left unfinished after an abort, or collected unfinished.
  await sleep(FINISH_TIMEOUT * 2);
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(20);
  const tests = new Set(findings.map((f) => f.test));
  for (const test of tests) expect(errorsOf(test), `late lint errors in "${test}"`).toEqual(expectedFor(test));
});
