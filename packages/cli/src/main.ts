import { readFileSync } from "node:fs";
import { parseInvocation } from "./args.js";
import { devCommand } from "./commands/dev.js";
import { initCommand } from "./commands/init.js";
import { serveCommand } from "./commands/serve.js";
import { CliError, formatCliError } from "./errors.js";
import type { CommandIo } from "./io.js";
import { usage } from "./usage.js";

/**
 * Runs the `gangway` command line and resolves to its exit code: 0 done, 1 failed while running,
 * 2 bad usage or an app that cannot be loaded. Errors are printed as messages, never as stack
 * traces (unless `--verbose` asks for the cause's). `dev` and `serve` resolve when they stop.
 *
 * @example
 * ```ts
 * import { main } from "@gangway/cli";
 * process.exitCode = await main(["serve", "./src/app.ts#app", "--port", "8080"]);
 * ```
 */
export async function main(args: readonly string[], io: Partial<CommandIo> = {}): Promise<number> {
  const full: CommandIo = {
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
  };
  const verbose = args.includes("--verbose");
  try {
    const invocation = parseInvocation(args, full.env);
    switch (invocation.command) {
      case "help":
        full.stdout.write(usage(invocation.topic));
        return 0;
      case "version":
        full.stdout.write(`${version()}\n`);
        return 0;
      case "init":
        return await initCommand(invocation.options, full);
      case "dev":
        return await devCommand(invocation.options, full);
      case "serve":
        return await serveCommand(invocation.options, full);
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    full.stderr.write(formatCliError(error, { verbose }));
    return error.exitCode;
  }
}

/**
 * The version of `@gangway/cli`, from its package.json.
 *
 * @example
 * ```ts
 * version(); // "0.1.0"
 * ```
 */
export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}
