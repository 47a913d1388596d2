import { describe } from "../body-reader.js";
import { GatewayError } from "../errors.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import { lintRequest } from "./check-request.js";
import { lintResponse } from "./check-response.js";
import { toLintedRequest } from "./guard-request.js";
import { type LintIssue, type LintLevel, Reporter, warnToConsole } from "./report.js";

export { LintError, type LintIssue, type LintLevel } from "./report.js";
export { type LintCode, type LintRule, type LintSeverity, lintRules } from "./rules.js";
export { checkFinished } from "./wrap-body.js";

/** Options for {@link validate}. */
export interface ValidateOptions {
  /**
   * `"error"` (default): a breach of a MUST is an app error — a request-side one rejects before the
   * app runs, a response-side one rejects the call, a body-side one makes the body's iteration
   * throw — and warnings go to `onWarning`. `"warn"`: every finding goes to `onWarning` and the
   * request and response flow on unchanged. `"off"`: `validate` returns the app itself.
   */
  level?: LintLevel;
  /**
   * Receives warnings (and, at level `"warn"`, errors too), plus errors found when nobody is left to
   * throw to: a body dropped unfinished. Default: one line to `console.warn`.
   */
  onWarning?: (issue: LintIssue) => void;
  /**
   * Milliseconds after `request.signal` aborts by which the response body must be finished, or
   * `GW_LINT_BODY_NOT_FINISHED` is reported. Default 1000.
   */
  finishTimeout?: number;
}

const LEVELS: readonly LintLevel[] = ["error", "warn", "off"];

/**
 * The lint middleware (rule 32), Gangway's `wsgiref.validate` and `Rack::Lint`: wraps an app and
 * checks every request going in (rules 3–13), every response coming out (rules 1, 14–20, 25, 30),
 * and each body as it is read and finished (rules 10, 18, 20, 21). Each finding has a stable
 * `GW_LINT_*` code and a message citing its rule, such as
 * `validate: rule 15 (response headers): value of "x-a" contains LF`. The app behind it gets a new,
 * write-guarded request, never the caller's. Meant for development and tests; see
 * `docs/validate.md`.
 *
 * @example
 * ```ts
 * import { serve, validate } from "@gangway/core";
 * await serve(validate(app)); // a broken response is now a 500 naming the rule it broke
 * const linted = validate(app, { level: "warn", onWarning: (issue) => issues.push(issue) });
 * ```
 */
export function validate(app: GatewayApp, options: ValidateOptions = {}): GatewayApp {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `validate got ${describe(app)}`);
  const { level = "error", onWarning = warnToConsole, finishTimeout = 1000 } = options;
  if (!LEVELS.includes(level)) {
    throw new TypeError(`validate: options.level must be "error", "warn" or "off", got ${JSON.stringify(level)}`);
  }
  if (typeof onWarning !== "function") {
    throw new TypeError(`validate: options.onWarning must be a function, got ${describe(onWarning)}`);
  }
  if (!Number.isFinite(finishTimeout) || finishTimeout < 0) {
    throw new TypeError(`validate: options.finishTimeout must be a non-negative number, got ${String(finishTimeout)}`);
  }
  if (level === "off") return app;
  const reporter = new Reporter(level, onWarning);

  const validated = async function validated(...args: unknown[]): Promise<GatewayResponse> {
    const request = args[0] as GatewayRequest;
    const isObject = typeof request === "object" && request !== null;
    if (args.length !== 1 || !isObject) {
      reporter.report(
        "GW_LINT_CALL",
        `the app was called with ${args.length} argument(s), the first ${describe(request)}: call it with the request alone`,
      );
      // At level "warn", something that is no request at all goes through untouched.
      if (!isObject) return app(request);
    }
    lintRequest(request, reporter);
    const linted = toLintedRequest(request, reporter);
    const response: unknown = await app(linted.request);
    return lintResponse(response, { request, body: linted.body, reporter, finishTimeout });
  } as GatewayApp;
  // Middleware carries the hooks of the app it wraps (rule 28).
  if (app.startup) validated.startup = app.startup;
  if (app.shutdown) validated.shutdown = app.shutdown;
  return validated;
}
