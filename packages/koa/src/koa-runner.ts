import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type Koa from "koa";
import type { ParameterizedContext } from "koa";
import { discardKoaBody, errorBody, isHttpError, settle, toError } from "./koa-respond.js";
import { keepResponseCookies } from "./response-cookies.js";

/** Any Koa app, whatever its state and context types. */
export type AnyKoa = Koa<any, any>;
type Context = ParameterizedContext;
type Composed = (ctx: Context) => Promise<unknown>;
type KoaMiddleware = (ctx: Context, next: () => Promise<unknown>) => unknown;

/** What a Koa app made of one request. */
export type KoaOutcome =
  /** Koa's untouched default 404: no middleware set a body or a status. */
  | { kind: "pass" }
  /** `ctx.respond = false`, or the app ended the Node response itself. */
  | { kind: "owned" }
  /** A response to send: the headers and status are on `ctx.res`, the body is this. */
  | { kind: "respond"; body: Buffer | string | Readable | null }
  /** An error for the caller's side to handle (rule 27). */
  | { kind: "failed"; error: Error };

/** How a wrapped Koa app answers errors: hand them to the gateway caller, or answer as Koa does. */
export type KoaErrorMode = "reject" | "koa";

const PASS: KoaOutcome = { kind: "pass" };
const OWNED: KoaOutcome = { kind: "owned" };

/**
 * Runs a Koa app's middleware on a Node request/response pair the way `app.callback()` does, but
 * reports what came of it instead of always answering: Koa's untouched 404 is a pass, errors go to
 * the caller (or to Koa's own error response in `"koa"` mode, and always for HTTP errors such as
 * `ctx.throw(403)`), and every other outcome is Koa's `respond()` mirrored, with its body kept
 * for the caller to send. Used by `fromKoa` (onto a socketless or real response) and by the fused
 * `toKoa(fromKoa(app))` (into the host's context).
 *
 * @example
 * ```ts
 * const runner = new KoaRunner(koa, "reject");
 * const outcome = await runner.run(runner.context(req, res, "", undefined));
 * if (outcome.kind === "pass") next();
 * ```
 */
export class KoaRunner {
  readonly koa: AnyKoa;
  readonly errors: KoaErrorMode;
  #composed: Composed | undefined;
  #composedFrom: unknown[] | undefined;
  #composedLength = -1;

  constructor(koa: AnyKoa, errors: KoaErrorMode) {
    this.koa = koa;
    this.errors = errors;
  }

  /**
   * A Koa context for `req`/`res`, seen as koa-mount would show it at `basePath`:
   * `ctx.originalUrl` is the whole URL and `ctx.mountPath` the prefix.
   */
  context(req: IncomingMessage, res: ServerResponse, basePath: string, originalUrl: string | undefined): Context {
    const ctx = this.koa.createContext(req, res) as Context;
    if (originalUrl !== undefined) ctx.originalUrl = ctx.request.originalUrl = originalUrl;
    if (basePath !== "") (ctx as { mountPath?: string }).mountPath = basePath;
    keepResponseCookies(ctx.response);
    // Koa's handleRequest starts every response as a 404 that no one has claimed yet.
    res.statusCode = 404;
    return ctx;
  }

  /** Runs the middleware and settles the response as Koa's `respond()` would. */
  async run(ctx: Context): Promise<KoaOutcome> {
    const composed = this.#middleware();
    const { ctxStorage } = this.koa;
    try {
      await (ctxStorage ? ctxStorage.run(ctx, () => composed(ctx)) : composed(ctx));
      const res = ctx.res;
      if (ctx.respond === false || res.writableEnded || res.destroyed) return OWNED;
      if (isUntouched(ctx)) return PASS;
      return { kind: "respond", body: settle(ctx) };
    } catch (error) {
      return this.fail(ctx, error);
    }
  }

  /**
   * An error of the app or its body before anything was sent: reported as Koa reports errors, and
   * answered with Koa's error response in `"koa"` mode or for an HTTP error (`err.expose`, a 4xx
   * status) — anything else is the caller's.
   */
  fail(ctx: Context, thrown: unknown): KoaOutcome {
    const error = toError(thrown);
    const answered = this.errors === "koa" || isHttpError(error);
    this.report(ctx, error, answered);
    if (!answered || ctx.res.headersSent || ctx.res.destroyed) return { kind: "failed", error };
    discardKoaBody(ctx.body);
    return { kind: "respond", body: errorBody(ctx, error) };
  }

  /**
   * Reports an error the way Koa would: to the app's own `error` listeners when it has any, else
   * to Koa's default logger for the errors Koa answers itself. An error handed to the gateway
   * caller is left to the caller to log, so it is not printed twice.
   */
  report(ctx: Context, error: Error, answered: boolean): void {
    if (this.koa.listenerCount("error") > 0) this.koa.emit("error", error, ctx);
    else if (answered) this.koa.onerror(error);
  }

  // Composed once and again only when the middleware list changes: `use()` after wrapping works.
  #middleware(): Composed {
    const { middleware } = this.koa;
    if (
      this.#composed === undefined ||
      middleware !== this.#composedFrom ||
      middleware.length !== this.#composedLength
    ) {
      const koaCompose = (this.koa as { compose?: (middleware: unknown[]) => Composed }).compose;
      this.#composed = koaCompose ? koaCompose(middleware) : compose(middleware as KoaMiddleware[]);
      this.#composedFrom = middleware;
      this.#composedLength = middleware.length;
    }
    return this.#composed;
  }
}

/** Koa's default 404: no body set and no status ever assigned (`ctx.response._explicitStatus`). */
function isUntouched(ctx: Context): boolean {
  const response = ctx.response as { _explicitStatus?: boolean };
  return response._explicitStatus !== true && ctx.body == null && !ctx.res.headersSent;
}

/** koa-compose, for Koa apps without `app.compose` (Koa 2). */
function compose(middleware: KoaMiddleware[]): Composed {
  return (ctx) => {
    let index = -1;
    const dispatch = (i: number): Promise<unknown> => {
      if (i <= index) return Promise.reject(new Error("next() called multiple times"));
      index = i;
      const fn = middleware[i];
      if (fn === undefined) return Promise.resolve();
      try {
        return Promise.resolve(fn(ctx, () => dispatch(i + 1)));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
