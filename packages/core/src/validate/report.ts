import { type LintCode, type LintSeverity, lintRules, toLintMessage } from "./rules.js";

/** One finding of `validate()`. */
export interface LintIssue {
  /** Stable: match on it, never on `message`. */
  readonly code: LintCode;
  /** The spec rule the check enforces. */
  readonly rule: number;
  /** `validate: rule <n> (<rule name>): <what was found>`. */
  readonly message: string;
  readonly severity: LintSeverity;
}

/**
 * How `validate()` reports: `"error"` throws errors (as app errors) and hands warnings to
 * `onWarning`; `"warn"` hands everything to `onWarning` and lets the request go on; `"off"`
 * checks nothing.
 */
export type LintLevel = "error" | "warn" | "off";

/**
 * What `validate()` throws at level `"error"`: a breach of a MUST of the spec, named by a stable
 * `code` and the `rule` it breaks.
 *
 * @example
 * ```ts
 * import { LintError, validate } from "@gangway/core";
 * try { await validate(app)(request); }
 * catch (error) { if (LintError.is(error, "GW_LINT_HOP_BY_HOP")) console.error(error.message); }
 * ```
 */
export class LintError extends Error {
  override name = "LintError";
  readonly code: LintCode;
  readonly rule: number;

  constructor(code: LintCode, detail: string) {
    super(toLintMessage(code, detail));
    this.code = code;
    this.rule = lintRules[code].rule;
  }

  /**
   * Recognises a LintError by name and code, so errors from a second copy of `@gangway/core` are
   * recognised too.
   *
   * @example
   * ```ts
   * if (LintError.is(error, "GW_LINT_BODY_NOT_FINISHED")) leaks++;
   * ```
   */
  static is(error: unknown, code?: LintCode): error is LintError {
    if (typeof error !== "object" || error === null) return false;
    const e = error as { name?: unknown; code?: unknown };
    return (
      e.name === "LintError" &&
      typeof e.code === "string" &&
      Object.hasOwn(lintRules, e.code) &&
      (code === undefined || e.code === code)
    );
  }
}

/** Routes findings by level: one per `validate()` call. */
export class Reporter {
  readonly level: Exclude<LintLevel, "off">;
  readonly #onWarning: (issue: LintIssue) => void;

  constructor(level: Exclude<LintLevel, "off">, onWarning: (issue: LintIssue) => void) {
    this.level = level;
    this.#onWarning = onWarning;
  }

  /** Whether a finding of `code` throws rather than being handed to `onWarning`. */
  throws(code: LintCode): boolean {
    return this.level === "error" && lintRules[code].severity === "error";
  }

  /** Reports a finding where someone can catch it: throws a {@link LintError} when {@link throws} says so. */
  report(code: LintCode, detail: string): void {
    if (this.throws(code)) throw new LintError(code, detail);
    this.notify(code, detail);
  }

  /**
   * Reports a finding nobody can catch (a body dropped unfinished, seen after its consumer left):
   * it always goes to `onWarning`, keeping its severity.
   */
  notify(code: LintCode, detail: string): void {
    const { rule, severity } = lintRules[code];
    const issue: LintIssue = { code, rule, message: toLintMessage(code, detail), severity };
    try {
      this.#onWarning(issue);
    } catch (error) {
      // A failing hook must not turn a warning into an app error.
      console.error(error);
    }
  }
}

/** The default `onWarning`: one line on standard error. */
export function warnToConsole(issue: LintIssue): void {
  console.warn(`${issue.message} [${issue.code}]`);
}
