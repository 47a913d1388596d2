import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import type { GatewayApp } from "@gangway/core";
import * as core from "@gangway/core";
import { ADAPTERS, type AppKind, describeValue, EXPECTED_KINDS, toAppKind } from "./app-kind.js";
import { CliError, messageOf } from "./errors.js";
import { type AppReference, findAppReference } from "./reference.js";
import { isTypeScript, registerTypeScript } from "./typescript.js";

/** Options for {@link loadApp}. */
export interface LoadOptions {
  /** Call the export with no arguments and serve what it returns (or resolves to). */
  factory?: boolean;
}

/** An app loaded from its reference, ready to serve. */
export interface LoadedApp {
  /** The gateway app: the export itself, or its adapter's product. Carries the rule 31 hooks. */
  app: GatewayApp;
  /** What the export was. */
  kind: AppKind;
  /** The export that was used: `app`, `default`, ... */
  exportName: string;
}

/** The names tried, in order, when a reference has no `#export`. */
const DEFAULT_EXPORTS = ["default", "app"] as const;

/**
 * Imports the module a reference names, picks the export (`#name`, else the default export, else
 * `app`), calls it only under `factory`, tells its kind by shape and turns it into a gateway app
 * — through `@gangway/express`, `@gangway/koa` or `@gangway/fastify` (resolved from the app's own
 * directory, where its project installed them) or core's `fromFetch`. Every way this can go wrong
 * is a {@link CliError} saying which.
 *
 * @example
 * ```ts
 * const reference = resolveReference("./src/app.ts#app", process.cwd(), "argument");
 * const { app, kind } = await loadApp(reference);
 * await serve(app, { port: 3000 });
 * ```
 */
export async function loadApp(reference: AppReference, options: LoadOptions = {}): Promise<LoadedApp> {
  const exports = await importModule(reference);
  const [exportName, value] = pickExport(exports, reference);
  const where = reference.exportName === undefined ? `${reference.label}#${exportName}` : reference.label;
  let target = value;
  if (options.factory) {
    if (typeof value !== "function") {
      throw new CliError("GW_CLI_FACTORY_FAILED", `--factory: ${where} is ${describeValue(value)}, not a function`);
    }
    try {
      target = await (value as () => unknown)();
    } catch (error) {
      throw new CliError("GW_CLI_FACTORY_FAILED", `the factory ${where} threw: ${messageOf(error)}`, { cause: error });
    }
  }
  const kind = toAppKind(target);
  const what = options.factory ? `the factory ${where} returned` : `${where} is`;
  if (kind === undefined) {
    const hints = [`expected ${EXPECTED_KINDS}`];
    if (typeof (target as { then?: unknown } | null)?.then === "function") {
      hints.push("export the app itself (await at the top level), or an async factory with --factory");
    } else if (typeof target === "function") {
      hints.push("export an instance of the class, or a function that makes one with --factory");
    }
    throw new CliError("GW_CLI_WRONG_KIND", `${what} ${describeValue(target)}, not an app`, { hints });
  }
  return { app: await toGatewayApp(kind, target, reference), kind, exportName };
}

async function importModule(reference: AppReference): Promise<Record<string, unknown>> {
  const url = pathToFileURL(reference.file).href;
  if (isTypeScript(reference.file)) await registerTypeScript();
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    // Only the module itself missing is "not found" (uvicorn checks the name the same way); a
    // missing import inside it is that module's own failure and is reported as such.
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "ERR_MODULE_NOT_FOUND" && (error as { url?: unknown }).url === url) {
      throw new CliError("GW_CLI_MODULE_NOT_FOUND", `cannot find module "${reference.label}"`, {
        hints: [`looked for ${reference.file}`],
      });
    }
    throw new CliError("GW_CLI_MODULE_THREW", `${reference.label} threw while loading: ${messageOf(error)}`, {
      cause: error,
    });
  }
  // TypeScript compiled as CommonJS (no "type": "module") puts its exports under `default`.
  const inner = namespace.default as { __esModule?: unknown } | null | undefined;
  if (typeof inner === "object" && inner !== null && inner.__esModule === true) {
    return inner as Record<string, unknown>;
  }
  return namespace;
}

function pickExport(exports: Record<string, unknown>, reference: AppReference): [string, unknown] {
  const found = Object.keys(exports).filter((name) => name !== "__esModule");
  const listed = found.length > 0 ? `exports found: ${found.join(", ")}` : "the module has no exports";
  if (reference.exportName !== undefined) {
    if (!(reference.exportName in exports)) {
      throw new CliError("GW_CLI_EXPORT_MISSING", `${reference.label} has no export "${reference.exportName}"`, {
        hints: [listed],
      });
    }
    return [reference.exportName, exports[reference.exportName]];
  }
  const present = DEFAULT_EXPORTS.filter((name) => exports[name] !== undefined);
  // A CommonJS module's `default` is its whole `module.exports`; prefer whichever is an app.
  const chosen = present.find((name) => toAppKind(exports[name]) !== undefined) ?? present[0];
  if (chosen === undefined) {
    throw new CliError("GW_CLI_EXPORT_MISSING", `${reference.label} has no default export and no export "app"`, {
      hints: [listed, `name one: ${reference.label}#${found[0] ?? "app"}`],
    });
  }
  return [chosen, exports[chosen]];
}

async function toGatewayApp(kind: AppKind, value: unknown, reference: AppReference): Promise<GatewayApp> {
  if (kind === "gateway") return value as GatewayApp;
  if (kind === "fetch") {
    const fromFetch = (core as Record<string, unknown>).fromFetch;
    if (typeof fromFetch !== "function") {
      throw new CliError("GW_CLI_ADAPTER_MISSING", "this @gangway/core has no fromFetch, needed for a Fetch handler", {
        hints: ["npm install @gangway/core@latest"],
      });
    }
    return fromFetch(value) as GatewayApp;
  }
  const adapter = ADAPTERS[kind];
  const from = await importAdapter(kind, reference);
  let app: unknown;
  try {
    app = await from(value);
  } catch (error) {
    throw new CliError(
      "GW_CLI_ADAPTER_FAILED",
      `${adapter.export}() failed on ${reference.label}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  if (typeof app !== "function") {
    throw new CliError(
      "GW_CLI_ADAPTER_FAILED",
      `${adapter.export}() returned ${describeValue(app)}, not a gateway app`,
    );
  }
  return app as GatewayApp;
}

/**
 * Loads a framework adapter from the app's own directory: the app's project is where its
 * framework and the matching adapter are installed, and with pnpm nothing else can see them.
 */
async function importAdapter(kind: keyof typeof ADAPTERS, reference: AppReference): Promise<(app: unknown) => unknown> {
  const adapter = ADAPTERS[kind];
  const require = createRequire(reference.file);
  try {
    require.resolve(`${adapter.package}/package.json`);
  } catch {
    throw new CliError(
      "GW_CLI_ADAPTER_MISSING",
      `${reference.label} is ${adapter.name}, and ${adapter.package} is not installed`,
      {
        hints: [`npm install ${adapter.package}`, `(looked from ${dirname(reference.file)})`],
      },
    );
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(require.resolve(adapter.package)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError("GW_CLI_ADAPTER_FAILED", `${adapter.package} could not be loaded: ${messageOf(error)}`, {
      cause: error,
      hints: [`reinstall it (npm install ${adapter.package}), or build it if it is a workspace package`],
    });
  }
  const from = namespace[adapter.export];
  if (typeof from !== "function") {
    throw new CliError("GW_CLI_ADAPTER_FAILED", `${adapter.package} has no export ${adapter.export}`, {
      hints: [`npm install ${adapter.package}@latest`],
    });
  }
  return from as (app: unknown) => unknown;
}

/**
 * Finds the app reference (argument, `$GANGWAY_APP`, config, package.json) and loads it: what
 * every serving process does first.
 *
 * @example
 * ```ts
 * const { reference, loaded } = await loadNamedApp(undefined, { cwd: process.cwd(), env: process.env });
 * ```
 */
export async function loadNamedApp(
  argument: string | undefined,
  options: { cwd: string; env: NodeJS.ProcessEnv; factory: boolean },
): Promise<{ reference: AppReference; loaded: LoadedApp }> {
  const reference = await findAppReference(argument, options);
  return { reference, loaded: await loadApp(reference, { factory: options.factory }) };
}
