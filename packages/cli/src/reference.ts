import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CliError, messageOf } from "./errors.js";
import { isTypeScript, registerTypeScript } from "./typescript.js";

/**
 * An app reference resolved to a file: what every process that loads the app needs. Plain data, so
 * the supervisor can hand it to workers and dev children.
 */
export interface AppReference {
  /** Absolute path of the module, with its extension. */
  file: string;
  /** The export to use; `undefined` means the default export, then `app`. */
  exportName: string | undefined;
  /** The reference as written, for messages: `./src/app.ts#app`. */
  label: string;
  /** Where it came from: `argument`, `GANGWAY_APP`, `gangway.config.ts`, `package.json`. */
  source: string;
}

/** Module extensions an app reference may name or leave out, in the order they are tried. */
export const MODULE_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"] as const;

/** Config files read from the working directory, first found wins. */
export const CONFIG_FILES = ["gangway.config.ts", "gangway.config.js", "gangway.config.mjs", "gangway.config.json"];

const EXPORT_NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * Finds the app reference — the CLI argument, else `$GANGWAY_APP`, else the `app` field of
 * `gangway.config.{ts,js,mjs,json}` in `cwd`, else `gangway.app` in `cwd/package.json` — and
 * resolves it to an existing file. Nothing is imported but a config module.
 *
 * @example
 * ```ts
 * const reference = await findAppReference(process.argv[3], { cwd: process.cwd(), env: process.env });
 * reference.file; // "/srv/site/src/app.ts"
 * ```
 */
export async function findAppReference(
  argument: string | undefined,
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<AppReference> {
  const { cwd, env } = options;
  if (argument !== undefined) return resolveReference(argument, cwd, "argument");
  if (env.GANGWAY_APP) return resolveReference(env.GANGWAY_APP, cwd, "GANGWAY_APP");
  const fromConfig = await readConfigReference(cwd);
  if (fromConfig) return resolveReference(fromConfig.reference, dirname(fromConfig.file), fromConfig.source);
  const fromPackage = readPackageReference(cwd);
  if (fromPackage) return resolveReference(fromPackage, cwd, "package.json");
  throw new CliError("GW_CLI_NO_APP", "no app named", {
    hints: [
      "name one: gangway serve ./src/app.ts#app",
      "or set GANGWAY_APP, or add { app: './src/app.ts#app' } to gangway.config.ts,",
      'or "gangway": { "app": "./src/app.ts#app" } to package.json',
      `(looked in ${cwd})`,
    ],
  });
}

/**
 * Parses `path/to/module#export` and finds the file: the path as written, else with each of
 * {@link MODULE_EXTENSIONS} added, else `index` with each extension when it names a directory.
 *
 * @example
 * ```ts
 * resolveReference("./src/app#app", "/srv/site", "argument").file; // "/srv/site/src/app.ts"
 * ```
 */
export function resolveReference(text: string, baseDir: string, source: string): AppReference {
  const hash = text.lastIndexOf("#");
  const path = hash === -1 ? text : text.slice(0, hash);
  const exportName = hash === -1 ? undefined : text.slice(hash + 1);
  const where = source === "argument" ? "" : ` (from ${source})`;
  if (path === "") {
    throw new CliError("GW_CLI_BAD_REFERENCE", `"${text}" names no module${where}`, {
      hints: ["write path/to/module#export, e.g. ./src/app.ts#app"],
    });
  }
  if (exportName !== undefined && !EXPORT_NAME.test(exportName)) {
    const hints = exportName.endsWith("()")
      ? [`to call a factory, name it and pass --factory: ${path}#${exportName.slice(0, -2)} --factory`]
      : ["the part after # is one export name, e.g. #app or #default"];
    throw new CliError("GW_CLI_BAD_REFERENCE", `"${exportName}" is not an export name${where}`, { hints });
  }
  const absolute = resolve(baseDir, path);
  const file = findModuleFile(absolute);
  if (file === undefined) {
    const hints = [`looked for ${absolute}${extname(absolute) ? "" : ` with ${MODULE_EXTENSIONS.join(", ")}`}`];
    // gunicorn and uvicorn write module:app; point at our separator when that is what was meant.
    const colon = text.lastIndexOf(":");
    if (hash === -1 && colon > 1 && findModuleFile(resolve(baseDir, text.slice(0, colon)))) {
      hints.push(`did you mean "${text.slice(0, colon)}#${text.slice(colon + 1)}"? (the export follows #)`);
    }
    throw new CliError("GW_CLI_MODULE_NOT_FOUND", `cannot find module "${path}"${where}`, { hints });
  }
  if (!(MODULE_EXTENSIONS as readonly string[]).includes(extname(file))) {
    throw new CliError("GW_CLI_BAD_REFERENCE", `"${path}" is not a JavaScript or TypeScript module${where}`, {
      hints: [`an app module ends in ${MODULE_EXTENSIONS.join(", ")}`],
    });
  }
  return { file, exportName, label: text, source };
}

function findModuleFile(absolute: string): string | undefined {
  if (isFile(absolute)) return absolute;
  for (const extension of MODULE_EXTENSIONS) if (isFile(absolute + extension)) return absolute + extension;
  if (isDirectory(absolute)) {
    for (const extension of MODULE_EXTENSIONS) {
      const index = resolve(absolute, `index${extension}`);
      if (isFile(index)) return index;
    }
  }
  return undefined;
}

async function readConfigReference(
  cwd: string,
): Promise<{ reference: string; file: string; source: string } | undefined> {
  const name = CONFIG_FILES.find((candidate) => existsSync(resolve(cwd, candidate)));
  if (name === undefined) return undefined;
  const file = resolve(cwd, name);
  let config: unknown;
  try {
    if (name.endsWith(".json")) config = JSON.parse(readFileSync(file, "utf8"));
    else {
      if (isTypeScript(file)) await registerTypeScript();
      const namespace = (await import(pathToFileURL(file).href)) as { default?: unknown };
      config = namespace.default;
      // A TypeScript config in a CommonJS package compiles to exports.default.
      if (isRecord(config) && config.__esModule === true) config = config.default;
    }
  } catch (error) {
    throw new CliError("GW_CLI_CONFIG_INVALID", `${name} could not be read: ${messageOf(error)}`, { cause: error });
  }
  if (!isRecord(config)) {
    throw new CliError(
      "GW_CLI_CONFIG_INVALID",
      `${name} must ${name.endsWith(".json") ? "hold" : "export default"} an object`,
      {
        hints: ['e.g. export default { app: "./src/app.ts#app" }'],
      },
    );
  }
  if (config.app === undefined) return undefined;
  if (typeof config.app !== "string") {
    throw new CliError("GW_CLI_CONFIG_INVALID", `"app" in ${name} must be a module reference string`, {
      hints: [`got ${typeof config.app}; write app: "./src/app.ts#app"`],
    });
  }
  return { reference: config.app, file, source: name };
}

function readPackageReference(cwd: string): string | undefined {
  const file = resolve(cwd, "package.json");
  if (!existsSync(file)) return undefined;
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliError("GW_CLI_CONFIG_INVALID", `package.json could not be read: ${messageOf(error)}`);
  }
  const section = isRecord(manifest) ? manifest.gangway : undefined;
  if (section === undefined) return undefined;
  if (!isRecord(section) || (section.app !== undefined && typeof section.app !== "string")) {
    throw new CliError("GW_CLI_CONFIG_INVALID", '"gangway.app" in package.json must be a module reference string', {
      hints: ['write "gangway": { "app": "./src/app.ts#app" }'],
    });
  }
  return section.app as string | undefined;
}

/**
 * A path as messages show it: relative to `cwd` when inside it, with a leading `./`.
 *
 * @example
 * ```ts
 * displayPath("/srv/site/src/app.ts", "/srv/site"); // "./src/app.ts"
 * ```
 */
export function displayPath(file: string, cwd: string): string {
  const path = relative(cwd, file);
  if (path === "" || path.startsWith("..") || isAbsolute(path)) return file;
  return `./${path}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
