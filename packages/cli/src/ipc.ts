import type { AppKind } from "./app-kind.js";
import type { SerializedCliError } from "./errors.js";

/** Sent by a serve worker or dev child to its supervisor. */
export type ChildMessage =
  /** Loaded, started and serving. */
  | {
      type: "gangway:ready";
      /** The URL the worker listens on; dev children are handed connections instead. */
      url: string | undefined;
      label: string;
      source: string;
      /** The app module; undefined when a dev child serves a load error page. */
      file: string | undefined;
      kind: AppKind | undefined;
      /** dev: whether the app is wrapped in core's validate(). */
      validated?: boolean;
    }
  /** Could not load or start; the process exits next. */
  | { type: "gangway:failed"; error: SerializedCliError }
  /** A dev reload could not load the app; the child serves an error page until the next change. */
  | { type: "gangway:load-error"; error: SerializedCliError }
  /** A serve worker closed its listener and asks for {@link SupervisorMessage} `gangway:released`. */
  | { type: "gangway:releasing" };

/** Sent by a supervisor to a serve worker or dev child. */
export type SupervisorMessage =
  /** Stop gracefully: finish in-flight requests within the grace period, run `shutdown`, exit 0. */
  | { type: "gangway:shutdown" }
  /** Stop now: cut open connections. */
  | { type: "gangway:cut" }
  /** The answer to `gangway:releasing`: every connection sent before it has arrived. */
  | { type: "gangway:released" };

/** The message a dev supervisor sends with each accepted connection's socket handle. */
export const SOCKET_MESSAGE = "gangway:socket";

/** What a serve worker or dev child is told through its environment (`GANGWAY_CHILD`). */
export interface ChildOptions {
  /** The app argument, if one was given; the child finds the reference itself. */
  app: string | undefined;
  cwd: string;
  factory: boolean;
  verbose: boolean;
  port: number;
  host: string;
  /** Milliseconds in-flight requests get after a shutdown request. */
  graceMs: number;
  accessLog: boolean;
  /** dev only: the first child of a run exits on a load error; later ones serve an error page. */
  initial: boolean;
}

/** The environment variable that carries {@link ChildOptions} as JSON. */
export const CHILD_OPTIONS_ENV = "GANGWAY_CHILD";

/**
 * Reads a child's options from its environment.
 *
 * @example
 * ```ts
 * const options = readChildOptions(process.env);
 * ```
 */
export function readChildOptions(env: NodeJS.ProcessEnv): ChildOptions {
  const text = env[CHILD_OPTIONS_ENV];
  if (!text) throw new Error(`${CHILD_OPTIONS_ENV} is not set: this module is started by gangway serve or gangway dev`);
  return JSON.parse(text) as ChildOptions;
}

/**
 * Sends a message to the supervisor and resolves once it is written, so a process can exit
 * right after without losing it. Resolves at once when there is no supervisor.
 *
 * @example
 * ```ts
 * await sendToSupervisor({ type: "gangway:failed", error });
 * process.exit(2);
 * ```
 */
export function sendToSupervisor(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}
