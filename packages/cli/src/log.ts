import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

/** One finished request, as the access log records it. */
export interface AccessEntry {
  method: string;
  /** The request target as received: path and query. */
  url: string;
  status: number;
  /** From the request's arrival to the response's last byte (or the connection's end). */
  ms: number;
  /** The connection closed before the response was complete. */
  aborted: boolean;
}

const RESET = "\x1b[0m";
const DIM = "\x1b[2m";
const BOLD = "\x1b[1m";
const STATUS_COLORS = { 2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m" } as Record<number, string>;

/**
 * Formats one access log line: `GET /users?page=2 200 3.1ms`, with the method bold, the status
 * coloured by class and the duration dim when `color` is on; ` (aborted)` when the client left.
 *
 * @example
 * ```ts
 * formatAccessLine({ method: "GET", url: "/", status: 200, ms: 1.234, aborted: false }, { color: false });
 * // "GET / 200 1.2ms"
 * ```
 */
export function formatAccessLine(entry: AccessEntry, options: { color: boolean }): string {
  const ms = `${entry.ms < 10 ? entry.ms.toFixed(1) : Math.round(entry.ms)}ms`;
  const aborted = entry.aborted ? " (aborted)" : "";
  if (!options.color) return `${entry.method} ${entry.url} ${entry.status} ${ms}${aborted}`;
  const statusColor = STATUS_COLORS[Math.floor(entry.status / 100)] ?? "";
  return `${BOLD}${entry.method}${RESET} ${entry.url} ${statusColor}${entry.status}${RESET} ${DIM}${ms}${aborted}${RESET}`;
}

/**
 * Whether a stream should get colour: only a terminal, and never when `NO_COLOR` is set
 * (https://no-color.org); `FORCE_COLOR` turns it on anywhere.
 *
 * @example
 * ```ts
 * const color = useColor(process.stdout);
 * ```
 */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

/**
 * Wraps a Node request listener so that every request writes one access log line when its
 * response finishes or its connection closes. Logging at the Node level sees what went on the
 * wire — the status a 500 from an error handler really had — and costs the app nothing.
 *
 * @example
 * ```ts
 * createServer(withAccessLog(toNodeListener(app), (line) => process.stdout.write(`${line}\n`)));
 * ```
 */
export function withAccessLog(
  listener: RequestListener,
  write: (line: string) => void,
  options: { color: boolean } = { color: false },
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const start = performance.now();
    res.once("close", () => {
      const entry: AccessEntry = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        status: res.statusCode,
        ms: performance.now() - start,
        aborted: !res.writableFinished,
      };
      write(formatAccessLine(entry, options));
    });
    listener(req, res);
  };
}
