import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { GatewayResponse, OutgoingHeaders } from "@gangway/core";
import { hasBody } from "@gangway/core";
import type { Middleware, ParameterizedContext } from "koa";
import { isBodyConsumed } from "./host-body.js";
import { guardHostErrors } from "./host-errors.js";
import { toMountView } from "./host-path.js";
import { applyResponse, type KoaReadyResponse, readyResponse } from "./host-response.js";
import type { KoaRunner } from "./koa-runner.js";

/** The host's side of the shared Node response, put aside while the inner app runs. */
interface HostResponse {
  headers: OutgoingHttpHeaders;
  status: number;
  message: string | undefined;
}

/**
 * `toKoa(fromKoa(inner))` fused (rule 35): the inner Koa app runs in the host's chain on the real
 * `req`/`res`, with no gateway request or socketless pair between them, and with what the host
 * can observe kept identical to the unfused path:
 *
 * - the inner app sees the mount as `fromKoa` shows it (`ctx.path`, `ctx.originalUrl`,
 *   `ctx.mountPath`) and starts from a clean response: the host's headers and status are put
 *   aside while it runs, and restored under its answer;
 * - its untouched 404 falls through to `await next()`, leaving no trace on the response;
 * - its errors are thrown into the host chain, or answered as Koa does (HTTP errors, `"koa"`
 *   mode), and a body that fails before its first chunk counts as such an error;
 * - its answer is set through the host's context, so the host's middleware still applies.
 *
 * A body the host already parsed takes the unfused path, which re-encodes it (rule 34).
 *
 * @example
 * ```ts
 * const runner = koaRunnerOf(app);
 * if (runner !== undefined) return fusedMiddleware(runner, gatewayMiddleware);
 * ```
 */
export function fusedMiddleware(runner: KoaRunner, unfused: Middleware): Middleware {
  return async function fusedKoaMiddleware(ctx, next) {
    const { req, res } = ctx;
    if (hasBody(req) && isBodyConsumed(req)) return unfused(ctx, next);
    guardHostErrors(ctx);
    const { basePath, path, query } = toMountView(ctx);
    const search = query === "" ? "" : `?${query}`;
    const host = setAside(res);
    const url = req.url;
    // As fromKoa's socketless request would carry it: the path below the mount, "/" for "".
    req.url = (path === "" ? "/" : path) + search;
    let inner: ParameterizedContext;
    let outcome: Awaited<ReturnType<KoaRunner["run"]>>;
    try {
      inner = runner.context(req, res, basePath, basePath + path + search);
      outcome = await runner.run(inner);
    } finally {
      req.url = url;
    }
    let ready: KoaReadyResponse | Error | undefined;
    if (outcome.kind === "respond") ready = await readyInner(runner, inner, outcome.body);
    if (outcome.kind === "owned") {
      // The inner app writes to the real response itself: the host must not answer too.
      if (!res.headersSent) restore(res, host, true);
      ctx.respond = false;
      return;
    }
    if (!res.headersSent) restore(res, host, false);
    if (outcome.kind === "pass") {
      await next();
      return;
    }
    if (outcome.kind === "failed") throw outcome.error;
    if (ready instanceof Error) throw ready;
    if (ready !== undefined) applyResponse(ctx, ready);
  };
}

/** The inner app's answer taken to its commit point, or the error it became. */
async function readyInner(
  runner: KoaRunner,
  inner: ParameterizedContext,
  body: Buffer | string | Readable | null,
): Promise<KoaReadyResponse | Error> {
  try {
    return await readyResponse(toGatewayResponse(inner.res, body), inner.method);
  } catch (error) {
    // Unfused, this is fromKoa's stream failing before its first byte: the same error path.
    const again = runner.fail(inner, error);
    if (again.kind !== "respond") return again.kind === "failed" ? again.error : (error as Error);
    return readyResponse(toGatewayResponse(inner.res, again.body), inner.method);
  }
}

/** What the inner app left on the shared response, as the gateway response fromKoa would make. */
function toGatewayResponse(res: ServerResponse, body: Buffer | string | Readable | null): GatewayResponse {
  return {
    status: res.statusCode,
    statusText: res.statusMessage || undefined,
    headers: res.getHeaders() as OutgoingHeaders,
    body: body === null || typeof body === "string" || Buffer.isBuffer(body) ? body : bytesOf(body),
  };
}

/** A Koa stream body as bytes: Koa writes string chunks too. */
async function* bytesOf(stream: Readable): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) yield typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
}

function setAside(res: ServerResponse): HostResponse {
  const host: HostResponse = { headers: res.getHeaders(), status: res.statusCode, message: res.statusMessage };
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  return host;
}

/** Puts the host's headers and status back; `under` keeps the inner app's headers on top. */
function restore(res: ServerResponse, host: HostResponse, under: boolean): void {
  if (!under) {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.statusCode = host.status;
    res.statusMessage = host.message as string;
  }
  for (const [name, value] of Object.entries(host.headers)) {
    if (value !== undefined && !(under && res.hasHeader(name))) res.setHeader(name, value);
  }
}
