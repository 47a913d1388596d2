import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { GatewayError } from "../errors.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import { closeConnection, sendResponse } from "./send-response.js";
import { toGatewayRequest } from "./to-gateway-request.js";

/** Options for {@link toNodeListener} and `serve()`. */
export interface NodeListenerOptions {
  /**
   * Observes every error of the app (rule 24), before or after commit. Return a response to
   * answer with it instead of the default 500 (only honoured before commit). Default: log the
   * error with `console.error`, except client disconnects (rule 26).
   */
  onError?: (
    error: unknown,
    request: GatewayRequest | undefined,
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only logs returns nothing, and that is the common case.
  ) => void | GatewayResponse | Promise<void | GatewayResponse>;
  /**
   * Hand a `fromNodeListener` product's own listener back instead of wrapping it (fusion,
   * rule 35). Default `true`.
   */
  fuse?: boolean;
}

/** Marks a listener made by toNodeListener with the app it serves. */
export const kGatewayApp = Symbol.for("gangway.app");
/** Marks an app made by fromNodeListener with the listener it runs. */
export const kNodeListener = Symbol.for("gangway.nodeListener");

/** A Node listener made from a gateway app; `[kGatewayApp]` is that app. */
export type GatewayNodeListener = RequestListener & { [kGatewayApp]?: GatewayApp };

/**
 * Serves a gateway app from Node's `http` server: `http.createServer(toNodeListener(app))`. It
 * keeps every rule of the spec — commit point, backpressure, abort, HEAD/204/304, and errors
 * answered 500 before commit (no stack when `NODE_ENV=production`) or by destroying the
 * connection after.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { text, toNodeListener } from "@gangway/core";
 * createServer(toNodeListener(() => text("hello"))).listen(3000);
 * ```
 */
export function toNodeListener(app: GatewayApp, options: NodeListenerOptions = {}): GatewayNodeListener {
  if (typeof app !== "function") throw new GatewayError("GW_ERR_INVALID_APP", `got ${typeof app}`);
  const fused = (app as { [kNodeListener]?: RequestListener })[kNodeListener];
  if (fused !== undefined && options.fuse !== false) return fused;
  const onError = options.onError ?? logError;
  const listener: GatewayNodeListener = function gatewayListener(req, res) {
    // node:http ignores the listener's return value; handle() never rejects.
    void handle(app, req, res, onError);
  };
  listener[kGatewayApp] = app;
  return listener;
}

async function handle(
  app: GatewayApp,
  req: IncomingMessage,
  res: ServerResponse,
  onError: NonNullable<NodeListenerOptions["onError"]>,
): Promise<void> {
  const controller = new AbortController();
  // The client went away before the response completed (rule 11) — not the end of the request body.
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once("close", onClose);
  let request: GatewayRequest | undefined;
  try {
    request = toGatewayRequest(req, controller.signal, { "gangway.version": "1.0", "node.req": req, "node.res": res });
    await sendResponse(res, req.method ?? "GET", await app(request));
  } catch (error) {
    await answerError(res, error, request, onError);
  } finally {
    res.off("close", onClose);
  }
  // An app that answered without reading the upload: let Node discard the rest, so a keep-alive
  // connection can carry the next request.
  if (!req.complete && !req.destroyed) req.resume();
}

async function answerError(
  res: ServerResponse,
  error: unknown,
  request: GatewayRequest | undefined,
  onError: NonNullable<NodeListenerOptions["onError"]>,
): Promise<void> {
  let replacement: GatewayResponse | undefined;
  if (!(request?.signal.aborted && isDisconnect(error))) {
    try {
      replacement = (await onError(error, request)) || undefined;
    } catch (hookError) {
      logError(hookError);
    }
  }
  if (res.headersSent || res.destroyed) {
    closeConnection(res);
    return;
  }
  try {
    await sendResponse(res, request?.method ?? "GET", replacement ?? errorResponse(error));
  } catch (sendError) {
    logError(sendError);
    if (!res.headersSent) {
      res
        .writeHead(500, { "content-type": "text/plain; charset=utf-8", "content-length": 21 })
        .end("Internal Server Error");
    } else closeConnection(res);
  }
}

/**
 * The response a server sends for an error before commit (rule 24): the status of a
 * `GatewayError` under 500 with its message, else 500 — with the stack trace unless
 * `NODE_ENV=production`, as Express's final handler does.
 *
 * @example
 * ```ts
 * const response = errorResponse(new Error("boom")); // 500
 * ```
 */
export function errorResponse(error: unknown): GatewayResponse {
  const status = GatewayError.is(error) ? error.status : 500;
  let body: string;
  if (status < 500) body = (error as Error).message;
  else if (process.env.NODE_ENV === "production") body = "Internal Server Error";
  else body = error instanceof Error && error.stack ? error.stack : String(error);
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    body,
  };
}

function isDisconnect(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    code === "ERR_STREAM_PREMATURE_CLOSE" ||
    code === "ABORT_ERR" ||
    (error as Error)?.name === "AbortError"
  );
}

function logError(error: unknown): void {
  // Client disconnects (rule 26) and the client's own mistakes (4xx GatewayErrors) are not app faults.
  if (isDisconnect(error) || (GatewayError.is(error) && error.status < 500)) return;
  console.error(error);
}
