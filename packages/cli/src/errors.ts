/**
 * The CLI's own errors. Each one is something the person at the terminal can fix, so it is printed
 * as a message and a few hint lines — never a stack trace unless `--verbose` asks for the cause's —
 * and the process exits with `exitCode`.
 */

/**
 * Every CLI error code with its exit code: 2 when something was named or configured wrongly (fix
 * the command line, the reference or the module), 1 when a correct setup failed at run time.
 * `docs/cli.md` lists the same codes.
 */
export const cliErrorCatalogue = {
  GW_CLI_USAGE: 2,
  GW_CLI_NO_APP: 2,
  GW_CLI_BAD_REFERENCE: 2,
  GW_CLI_CONFIG_INVALID: 2,
  GW_CLI_MODULE_NOT_FOUND: 2,
  GW_CLI_MODULE_THREW: 2,
  GW_CLI_EXPORT_MISSING: 2,
  GW_CLI_WRONG_KIND: 2,
  GW_CLI_FACTORY_FAILED: 2,
  GW_CLI_ADAPTER_MISSING: 2,
  GW_CLI_ADAPTER_FAILED: 2,
  GW_CLI_INIT_EXISTS: 2,
  GW_CLI_STARTUP_FAILED: 1,
  GW_CLI_LISTEN_FAILED: 1,
  GW_CLI_WORKER_FAILED: 1,
} as const;

/** A stable CLI error code from {@link cliErrorCatalogue}. */
export type CliErrorCode = keyof typeof cliErrorCatalogue;

/** Options for {@link CliError}. */
export interface CliErrorOptions {
  /** Lines printed under the message: where it looked, what it found, what to run. */
  hints?: readonly string[];
  /** The error behind this one (the module's own exception); its stack is shown with `--verbose`. */
  cause?: unknown;
}

/**
 * An error the CLI reports as a message and an exit code.
 *
 * @example
 * ```ts
 * throw new CliError("GW_CLI_MODULE_NOT_FOUND", 'cannot find module "./src/app.ts"', {
 *   hints: ["looked for /srv/site/src/app.ts"],
 * });
 * ```
 */
export class CliError extends Error {
  override name = "CliError";
  readonly code: CliErrorCode;
  readonly exitCode: number;
  readonly hints: readonly string[];

  constructor(code: CliErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.exitCode = cliErrorCatalogue[code];
    this.hints = options.hints ?? [];
  }
}

/** A CLI error as it crosses from a worker or dev child to the supervisor over IPC. */
export interface SerializedCliError {
  code: CliErrorCode;
  message: string;
  hints: readonly string[];
  /** The cause's stack (or message), kept for `--verbose`. */
  causeStack?: string;
}

/**
 * Turns any error into the plain data a child process sends its supervisor; errors that are not
 * CliErrors are reported under `fallback` with their message.
 *
 * @example
 * ```ts
 * process.send?.({ type: "failed", error: toSerializedError(error, "GW_CLI_STARTUP_FAILED") });
 * ```
 */
export function toSerializedError(error: unknown, fallback: CliErrorCode): SerializedCliError {
  if (error instanceof CliError) {
    const cause = error.cause;
    return {
      code: error.code,
      message: error.message,
      hints: error.hints,
      ...(cause === undefined ? {} : { causeStack: stackOf(cause) }),
    };
  }
  return { code: fallback, message: messageOf(error), hints: [], causeStack: stackOf(error) };
}

/**
 * The text printed for a CLI error: `gangway: message (CODE)`, then indented hints, then — only
 * when `verbose` — the stack of the error behind it.
 *
 * @example
 * ```ts
 * process.stderr.write(formatCliError(error, { verbose: false }));
 * ```
 */
export function formatCliError(error: CliError | SerializedCliError, options: { verbose: boolean }): string {
  const lines = [`gangway: ${error.message} (${error.code})`, ...error.hints.map((hint) => `  ${hint}`)];
  const causeStack =
    error instanceof CliError ? (error.cause === undefined ? undefined : stackOf(error.cause)) : error.causeStack;
  const hasStack = causeStack?.includes("\n    at ") ?? false;
  if (options.verbose && causeStack) lines.push("", causeStack);
  else if (hasStack) lines.push("  (run with --verbose for the stack)");
  return `${lines.join("\n")}\n`;
}

/**
 * The one-line message of anything thrown: an Error's message, else its string form.
 *
 * @example
 * ```ts
 * messageOf(new Error("boom")); // "boom"
 * ```
 */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error.split("\n")[0] ?? error;
  return String(error);
}

function stackOf(error: unknown): string {
  return error instanceof Error && error.stack ? error.stack : String(error);
}
