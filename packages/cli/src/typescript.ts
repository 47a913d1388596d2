import { extname } from "node:path";

let registered: Promise<void> | undefined;

/**
 * Lets this process import TypeScript modules with no build step, by registering tsx's loader
 * hooks — ESM and CommonJS, since a `.ts` file outside a `"type": "module"` package is loaded as
 * CommonJS. tsx is used on every Node version, even where Node strips types itself (≥ 22.18):
 * one loader means one behaviour — enums, parameter properties, `tsconfig` paths and `.js`
 * specifiers that point at `.ts` files work everywhere. Runs once per process.
 *
 * @example
 * ```ts
 * if (isTypeScript(file)) await registerTypeScript();
 * const namespace = await import(pathToFileURL(file).href);
 * ```
 */
export function registerTypeScript(): Promise<void> {
  registered ??= (async () => {
    const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
    esm.register();
    cjs.register();
  })();
  return registered;
}

/**
 * Whether a module file needs the TypeScript loader, judged by its extension.
 *
 * @example
 * ```ts
 * isTypeScript("/srv/site/src/app.ts"); // true
 * ```
 */
export function isTypeScript(file: string): boolean {
  return [".ts", ".mts", ".cts", ".tsx", ".jsx"].includes(extname(file));
}
