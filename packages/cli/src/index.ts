/**
 * @module @gangway/cli — the `gangway` command as a library: `main(args)` runs it in-process, and
 * the loader that turns an app reference (`./src/app.ts#app`) into a gateway app is reusable.
 */

export { type AppKind, toAppKind } from "./app-kind.js";
export { CliError, type CliErrorCode, cliErrorCatalogue } from "./errors.js";
export { type LoadedApp, type LoadOptions, loadApp, loadNamedApp } from "./load-app.js";
export { main, version } from "./main.js";
export { type AppReference, findAppReference, resolveReference } from "./reference.js";
