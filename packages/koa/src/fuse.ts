import type { GatewayApp } from "@gangway/core";
import type { KoaRunner } from "./koa-runner.js";

/**
 * Fusion markers (rule 35). A registered symbol, so a product of one copy of `@gangway/koa` is
 * recognised by another in the same process.
 */

/** Marks an app made by `fromKoa` with the runner of the Koa app it wraps. */
export const kKoaRunner = Symbol.for("gangway.koa.runner");

/**
 * The runner behind an app made by `fromKoa`, or `undefined` for any other function — including
 * a `fromKoa` product wrapped in middleware, which must stay observable and so is never fused.
 *
 * @example
 * ```ts
 * const runner = koaRunnerOf(app);
 * if (runner !== undefined) console.log("a Koa app inside");
 * ```
 */
export function koaRunnerOf(app: GatewayApp): KoaRunner | undefined {
  return (app as { [kKoaRunner]?: KoaRunner })[kKoaRunner];
}

/**
 * Marks `app` as the direct product of `fromKoa` around `runner`.
 *
 * @example
 * ```ts
 * return markKoaRunner(fromNodeListener(listener), runner);
 * ```
 */
export function markKoaRunner(app: GatewayApp, runner: KoaRunner): GatewayApp {
  Object.defineProperty(app, kKoaRunner, { value: runner });
  return app;
}
