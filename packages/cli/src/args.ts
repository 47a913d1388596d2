import { availableParallelism } from "node:os";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliError, messageOf } from "./errors.js";

/** The commands `gangway` knows. */
export type CommandName = "init" | "dev" | "serve";

/** Options of `gangway init`. */
export interface InitOptions {
  /** Where to write the project; default the working directory. */
  dir: string;
}

/** Options of `gangway dev`. */
export interface DevOptions {
  app: string | undefined;
  port: number;
  host: string;
  factory: boolean;
  /** Extra files or directories whose changes reload the app. */
  watch: string[];
  verbose: boolean;
}

/** Options of `gangway serve`. */
export interface ServeOptions {
  app: string | undefined;
  port: number;
  host: string;
  workers: number;
  /** Seconds in-flight requests get to finish after SIGTERM/SIGINT. */
  grace: number;
  log: boolean;
  factory: boolean;
  verbose: boolean;
}

/** A parsed command line. */
export type Invocation =
  | { command: "help"; topic: CommandName | undefined }
  | { command: "version" }
  | { command: "init"; options: InitOptions }
  | { command: "dev"; options: DevOptions }
  | { command: "serve"; options: ServeOptions };

const COMMANDS: readonly string[] = ["init", "dev", "serve"];

const common = {
  help: { type: "boolean", short: "h" },
  factory: { type: "boolean" },
  verbose: { type: "boolean" },
  port: { type: "string", short: "p" },
  host: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

/**
 * Parses `gangway`'s arguments with `node:util` `parseArgs` (strict: an unknown option is an
 * error, not silently ignored). Defaults that depend on the environment are read from `env`:
 * `serve` listens on `$PORT` (then on 0.0.0.0, as platforms that set it expect) or 8000 on
 * 127.0.0.1, and runs `$WEB_CONCURRENCY` workers or one.
 *
 * @example
 * ```ts
 * parseInvocation(["serve", "./src/app.ts#app", "--workers", "auto"], {});
 * // { command: "serve", options: { app: "./src/app.ts#app", port: 8000, host: "127.0.0.1", workers: 2, ... } }
 * ```
 */
export function parseInvocation(args: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  const [first, ...rest] = args;
  if (first === undefined) throw usageError("no command given");
  if (first === "-h" || first === "--help") return { command: "help", topic: undefined };
  if (first === "-v" || first === "--version") return { command: "version" };
  if (first === "help") {
    const topic = rest[0];
    if (topic !== undefined && !COMMANDS.includes(topic)) throw usageError(`unknown command "${topic}"`);
    return { command: "help", topic: topic as CommandName | undefined };
  }
  if (first.startsWith("-")) throw usageError(`unknown option "${first}"`);
  if (!COMMANDS.includes(first)) throw usageError(`unknown command "${first}"`);
  const command = first as CommandName;
  if (command === "init") {
    const { values, positionals } = parse(command, () =>
      parseArgs({ args: rest, options: { help: common.help }, allowPositionals: true, strict: true }),
    );
    if (values.help) return { command: "help", topic: command };
    return { command, options: { dir: positionals[0] ?? "." } };
  }
  if (command === "dev") {
    const { values, positionals } = parse(command, () =>
      parseArgs({
        args: rest,
        options: { ...common, watch: { type: "string", multiple: true } },
        allowPositionals: true,
        strict: true,
      }),
    );
    if (values.help) return { command: "help", topic: command };
    return {
      command,
      options: {
        app: positionals[0],
        port: toPort(values.port, 3000),
        host: values.host ?? "127.0.0.1",
        factory: values.factory ?? false,
        watch: values.watch ?? [],
        verbose: values.verbose ?? false,
      },
    };
  }
  const { values, positionals } = parse(command, () =>
    parseArgs({
      args: rest,
      options: {
        ...common,
        workers: { type: "string", short: "w" },
        grace: { type: "string" },
        log: { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help) return { command: "help", topic: command };
  const envPort = env.PORT ? toPort(env.PORT, 8000, "$PORT") : undefined;
  return {
    command,
    options: {
      app: positionals[0],
      port: toPort(values.port, envPort ?? 8000),
      host: values.host ?? (envPort === undefined ? "127.0.0.1" : "0.0.0.0"),
      workers: toWorkers(
        values.workers ?? env.WEB_CONCURRENCY ?? "1",
        values.workers ? "--workers" : "$WEB_CONCURRENCY",
      ),
      grace: toSeconds(values.grace, 30),
      log: values.log ?? false,
      factory: values.factory ?? false,
      verbose: values.verbose ?? false,
    },
  };
}

/** Runs one parseArgs call, turning its errors into usage errors; every command takes one positional. */
function parse<T extends { positionals: string[] }>(command: CommandName, run: () => T): T {
  let parsed: T;
  try {
    parsed = run();
  } catch (error) {
    throw usageError(messageOf(error).replace(/\. To specify a positional argument.*$/s, ""), command);
  }
  if (parsed.positionals.length > 1) throw usageError(`unexpected argument "${parsed.positionals[1]}"`, command);
  return parsed;
}

function toPort(text: string | undefined, fallback: number, name = "--port"): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw usageError(`${name} must be a port number from 0 to 65535, got "${text}"`);
  return port;
}

function toWorkers(text: string, name: string): number {
  if (text === "auto") return availableParallelism();
  const workers = Number(text);
  if (!/^\d+$/.test(text) || workers < 1)
    throw usageError(`${name} must be a positive integer or "auto", got "${text}"`);
  return workers;
}

function toSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw usageError(`--grace must be a number of seconds, got "${text}"`);
  }
  return seconds;
}

function usageError(message: string, command?: CommandName): CliError {
  return new CliError("GW_CLI_USAGE", message, { hints: [`see gangway ${command ? `${command} ` : ""}--help`] });
}
