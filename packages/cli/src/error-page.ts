import { GatewayError, type GatewayRequest, type GatewayResponse } from "@gangway/core";
import { messageOf } from "./errors.js";

/**
 * The development error page: the error's status, message, stack and cause chain as HTML, so the
 * browser that made the failing request shows what broke. Only `gangway dev` uses it — the page
 * shows source paths and code to whoever asks.
 *
 * @example
 * ```ts
 * onError: (error, request) => toErrorPage(error, request)
 * ```
 */
export function toErrorPage(error: unknown, request: GatewayRequest | undefined): GatewayResponse {
  const status = GatewayError.is(error) ? error.status : 500;
  const blocks: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const code = (current as { code?: unknown } | null)?.code;
    const stack = current instanceof Error && current.stack ? current.stack : messageOf(current);
    blocks.push(`${depth === 0 ? "" : "Caused by: "}${typeof code === "string" ? `[${code}] ` : ""}${stack}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  const heading = request ? `${request.method} ${request.basePath}${request.path}` : messageOf(error);
  return renderErrorPage(status, heading, blocks);
}

/**
 * An HTML error page with a heading and preformatted blocks of text (stacks, CLI error reports).
 *
 * @example
 * ```ts
 * renderErrorPage(500, "the app could not be loaded", [formatCliError(error, { verbose: true })]);
 * ```
 */
export function renderErrorPage(status: number, heading: string, blocks: readonly string[]): GatewayResponse {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(heading)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#222}h1{font-size:1.2rem;color:#b00}
pre{background:#f6f6f6;padding:1rem;overflow:auto;font:13px/1.4 ui-monospace,monospace}
footer{color:#888;font-size:.85rem}</style></head>
<body><h1>${status} — ${escapeHtml(heading)}</h1>
${blocks.map((block) => `<pre>${escapeHtml(block)}</pre>`).join("\n")}
<footer>gangway dev shows this page because the app failed; gangway serve never shows stacks.</footer>
</body></html>
`;
  return {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
    body,
  };
}

/**
 * The production answer to an app error: the status and message of a client error (a 4xx
 * `GatewayError` says what the client did wrong), else a bare 500 — never a stack, whatever
 * `NODE_ENV` says.
 *
 * @example
 * ```ts
 * toProductionError(new Error("db down")).status; // 500, body "Internal Server Error"
 * ```
 */
export function toProductionError(error: unknown): GatewayResponse {
  const exposed = GatewayError.is(error) && error.status < 500;
  return {
    status: exposed ? error.status : 500,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    body: exposed ? error.message : "Internal Server Error",
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
