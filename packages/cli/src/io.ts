import { extname } from "node:path";
import { fileURLToPath } from "node:url";

/** What a command reads and writes, passed in so `main()` can run in-process (tests, tools). */
export interface CommandIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

/**
 * The path of a module next to `fromUrl` (a module's `import.meta.url`), with the same extension:
 * `.js` from the build, `.ts` when running from source.
 *
 * @example
 * ```ts
 * cluster.setupPrimary({ exec: siblingModule(import.meta.url, "serve-worker") });
 * ```
 */
export function siblingModule(fromUrl: string, name: string): string {
  return fileURLToPath(new URL(`./${name}${extname(fileURLToPath(fromUrl))}`, fromUrl));
}

/**
 * Calls `handler` on each SIGINT and SIGTERM with how many have arrived, so a second one can
 * hurry a graceful stop along. Returns a function that removes the listeners.
 *
 * @example
 * ```ts
 * const off = onStopSignals((count) => (count === 1 ? drain() : cut()));
 * ```
 */
export function onStopSignals(handler: (count: number, signal: NodeJS.Signals) => void): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals) => handler(++count, signal);
  process.on("SIGINT", listener);
  process.on("SIGTERM", listener);
  return () => {
    process.off("SIGINT", listener);
    process.off("SIGTERM", listener);
  };
}

/**
 * Says where an app reference came from, for banners: `./src/app.ts#app (from gangway.config.ts)`.
 *
 * @example
 * ```ts
 * describeSource("./src/app.ts#app", "GANGWAY_APP"); // "./src/app.ts#app (from GANGWAY_APP)"
 * ```
 */
export function describeSource(label: string, source: string): string {
  return source === "argument" ? label : `${label} (from ${source})`;
}
