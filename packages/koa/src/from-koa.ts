import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { fromNodeListener, type GatewayApp, GatewayError, type NodeListener } from "@gangway/core";
import { BodyStream } from "./body-stream.js";
import { markKoaRunner } from "./fuse.js";
import { type AnyKoa, type KoaErrorMode, type KoaOutcome, KoaRunner } from "./koa-runner.js";

/** Options for {@link fromKoa}. */
export interface FromKoaOptions {
  /**
   * What happens to an error Koa would answer with its default error response:
   * - `"reject"` (default): the gateway call rejects with it (rule 27), so `cascade`, `serve()`'s
   *   `onError` or a host framework's error handling sees it; Koa's default logger stays quiet,
   *   the app's own `app.on("error")` listeners still hear it.
   * - `"koa"`: Koa answers with its own error response, as `app.callback()` would.
   *
   * HTTP errors (`ctx.throw(403)`, anything with `expose` or a 4xx status) are answered as Koa
   * answers them in both modes: they are responses the app meant.
   */
  errors?: KoaErrorMode;
  /**
   * Let `serve()`, `toNodeListener()` and `toKoa` run the Koa app on their own `req`/`res`
   * (fusion, rule 35). Default `true`.
   */
  fuse?: boolean;
}

/** What fromNodeListener's socketless request, or Express's, adds to a Node request. */
type MountedRequest = IncomingMessage & { baseUrl?: unknown; originalUrl?: unknown };

/**
 * Wraps a Koa app as a gateway app. Koa sees what it would see under koa-mount at the request's
 * `basePath`: `ctx.path` is the gateway `path`, `ctx.originalUrl` the whole URL and
 * `ctx.mountPath` the prefix; `ctx.ip`, `ctx.protocol` and `ctx.host` follow the app's own
 * `proxy` setting.
 *
 * - Koa's untouched default 404 (no middleware set a body or a status) answers `pass()`, so
 *   `cascade` or a host framework can try elsewhere; a 404 the app set stays a 404.
 * - An error rejects the gateway call (see {@link FromKoaOptions.errors}); HTTP errors such as
 *   `ctx.throw(403)` are answered as Koa answers them.
 * - Every body Koa accepts streams through — strings, Buffers, Node streams, JSON, `null`, Fetch
 *   `Response`, `ReadableStream`, `Blob` — with every `set-cookie` kept separate and
 *   `ctx.message` as the reason phrase; apps that set `ctx.respond = false` and write to `ctx.res`
 *   themselves work too.
 *
 * `serve(fromKoa(app))` runs the app on the real Node pair, and `toKoa(fromKoa(app))` runs its
 * middleware in the host's chain (fusion, rule 35).
 *
 * @example
 * ```ts
 * import Koa from "koa";
 * import { serve } from "@gangway/core";
 * import { fromKoa } from "@gangway/koa";
 * const koa = new Koa().use((ctx) => { ctx.body = { hello: ctx.path }; });
 * await serve(fromKoa(koa), { port: 3000 });
 * ```
 */
export function fromKoa(koa: AnyKoa, options: FromKoaOptions = {}): GatewayApp {
  if (typeof (koa as Partial<AnyKoa> | null)?.createContext !== "function") {
    throw new GatewayError("GW_ERR_INVALID_APP", "fromKoa needs a Koa application (new Koa())");
  }
  const runner = new KoaRunner(koa, options.errors ?? "reject");
  const listener: NodeListener = function koaListener(req, res, next) {
    const mounted = req as MountedRequest;
    const basePath = typeof mounted.baseUrl === "string" ? mounted.baseUrl : "";
    const originalUrl = typeof mounted.originalUrl === "string" ? mounted.originalUrl : undefined;
    const ctx = runner.context(req, res, basePath, originalUrl);
    return runner.run(ctx).then((outcome) => deliver(runner, ctx, outcome, next));
  };
  const fuse = options.fuse !== false;
  const app = fromNodeListener(listener, { fuse });
  return fuse ? markKoaRunner(app, runner) : app;
}

type Context = Parameters<KoaRunner["run"]>[0];

/** Writes an outcome to the Node response, or hands it to the caller's side. */
function deliver(runner: KoaRunner, ctx: Context, outcome: KoaOutcome, next: (error?: unknown) => void): void {
  const res = ctx.res;
  switch (outcome.kind) {
    case "pass":
      next();
      return;
    case "owned":
      return;
    case "failed":
      if (res.headersSent) res.destroy(outcome.error);
      else next(outcome.error);
      return;
    case "respond": {
      const { body } = outcome;
      if (body === null) res.end();
      else if (typeof body === "string" || Buffer.isBuffer(body)) res.end(body);
      else pipeBody(runner, ctx, body, next);
    }
  }
}

/**
 * Pipes a stream body with the commit point of rule 19: a stream that fails before anything was
 * written is an app error (answered by Koa or handed to the caller); one that fails after
 * destroys the response, so the client sees it truncated. A client that goes away destroys the
 * stream. A gateway body (from a `toKoa` inside) longer than its content-length ends after the
 * declared bytes and is then handed back as an error after the head (rule 18): the caller's side
 * closes the connection and reports it.
 */
function pipeBody(runner: KoaRunner, ctx: Context, stream: Readable, next: (error?: unknown) => void): void {
  const res: ServerResponse = ctx.res;
  const onClose = () => {
    if (!res.writableFinished) stream.destroy();
  };
  let overflow: Error | undefined;
  // Set here, after the middleware chain: it replaces the host-side hook applyResponse put on.
  if (stream instanceof BodyStream) {
    stream.onOverflow = (error) => {
      overflow = error;
    };
  }
  // Ended here rather than by pipe(): an overflow must not end the response cleanly.
  stream.once("end", () => {
    if (overflow === undefined) {
      res.end();
      return;
    }
    res.off("close", onClose);
    if (runner.koa.listenerCount("error") > 0) runner.koa.emit("error", overflow, ctx);
    next(overflow);
  });
  stream.once("error", (error) => {
    res.off("close", onClose);
    stream.unpipe(res);
    if (res.headersSent || res.destroyed) {
      // Koa reports a stream that fails mid-response to the app's own listeners only.
      if (runner.koa.listenerCount("error") > 0) runner.koa.emit("error", error, ctx);
      res.destroy(error);
    } else {
      deliver(runner, ctx, runner.fail(ctx, error), next);
    }
  });
  res.once("close", onClose);
  stream.pipe(res, { end: false });
}
