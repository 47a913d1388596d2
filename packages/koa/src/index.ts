/**
 * @module @gangway/koa — a gateway app as Koa middleware (`toKoa`), and a Koa app as a gateway
 * app (`fromKoa`).
 */

export { type FromKoaOptions, fromKoa } from "./from-koa.js";
export type { KoaErrorMode } from "./koa-runner.js";
export { type ToKoaOptions, toKoa } from "./to-koa.js";
