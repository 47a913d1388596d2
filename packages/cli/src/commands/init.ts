import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, relative, resolve } from "node:path";
import type { InitOptions } from "../args.js";
import { CliError } from "../errors.js";
import { starterFiles } from "./init-templates.js";

/**
 * `gangway init [dir]`: writes a starter project — src/app.ts, gangway.config.ts, tsconfig.json,
 * test/app.test.ts, package.json — that runs at once (`npm install && npm run dev`). Refuses to
 * overwrite anything: if one of those files exists, nothing is written.
 *
 * @example
 * ```ts
 * const code = await initCommand({ dir: "my-site" }, { cwd: process.cwd(), stdout: process.stdout });
 * ```
 */
export async function initCommand(
  options: InitOptions,
  io: { cwd: string; stdout: { write(text: string): unknown } },
): Promise<number> {
  const root = resolve(io.cwd, options.dir);
  const files = starterFiles(toPackageName(basename(root)));
  const existing = Object.keys(files).filter((path) => existsSync(resolve(root, path)));
  if (existing.length > 0) {
    throw new CliError(
      "GW_CLI_INIT_EXISTS",
      `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""} in ${root}`,
      {
        hints: ["gangway init never overwrites a file: pick a new or empty directory"],
      },
    );
  }
  for (const [path, content] of Object.entries(files)) {
    const file = resolve(root, path);
    await mkdir(dirname(file), { recursive: true });
    // "wx": fail rather than overwrite a file that appeared since the check.
    await writeFile(file, content, { flag: "wx" });
  }
  const shown = relative(io.cwd, root) || ".";
  io.stdout.write(
    [
      `Created a Gangway app in ${shown}: ${Object.keys(files).join(", ")}`,
      "",
      "Next:",
      ...(shown === "." ? [] : [`  cd ${shown}`]),
      "  npm install",
      "  npm run dev      # http://127.0.0.1:3000, reloads on change",
      "  npm test         # node:test with inject(), no server needed",
      "  npm start        # gangway serve, for production",
      "",
    ].join("\n"),
  );
  return 0;
}

/** A valid npm package name made from a directory name. */
function toPackageName(directory: string): string {
  const name = directory
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "");
  return name || "gangway-app";
}
