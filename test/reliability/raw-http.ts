import { connect, type Socket } from "node:net";

/** Where a path's real server listens, and the prefix its targets need (a mount or host prefix). */
export interface RawTarget {
  host: string;
  port: number;
  prefix: string;
}

/** A response as read off the wire, byte for byte. */
export interface RawResponse {
  /** Every byte the server sent, head and body. */
  raw: Buffer;
  status: number;
  /** The header section as sent: one entry per field line, `name: value`. */
  lines: string[];
  body: Buffer;
}

const CRLF2 = Buffer.from("\r\n\r\n");

/**
 * Sends raw bytes on a fresh connection and reads the whole reply until the server closes it.
 * Requests should carry `connection: close` (or be ones the server refuses), so the reply ends
 * with the connection. `write` may trickle the request out itself.
 *
 * @example
 * ```ts
 * const reply = await rawExchange(target, "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
 * expect(reply.status).toBe(200);
 * ```
 */
export async function rawExchange(
  target: RawTarget,
  write: string | Buffer | ((socket: Socket) => Promise<void>),
  timeoutMs = 5000,
): Promise<RawResponse> {
  const socket = connect(target.port, target.host);
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of connection within ${timeoutMs} ms; got ${Buffer.concat(chunks).toString("latin1")}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A reset after the reply still leaves the reply: what matters is what arrived.
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  if (typeof write === "function") await write(socket);
  else socket.write(write);
  await closed;
  return parseResponse(Buffer.concat(chunks));
}

/**
 * Splits the first response in `raw` into status, field lines and body (de-chunked when chunked).
 * A connection that closed without a status line gives status 0.
 *
 * @example
 * ```ts
 * parseResponse(Buffer.from("HTTP/1.1 204 No Content\r\n\r\n")).status; // 204
 * ```
 */
export function parseResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf(CRLF2);
  if (end === -1) return { raw, status: 0, lines: [], body: Buffer.alloc(0) };
  const [statusLine = "", ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  let body = raw.subarray(end + 4);
  const field = (name: string) =>
    lines
      .find((line) => line.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim();
  if (field("transfer-encoding")?.toLowerCase() === "chunked") body = dechunk(body);
  else if (field("content-length") !== undefined) body = body.subarray(0, Number(field("content-length")));
  return { raw, status, lines, body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * The bytes of a request with `connection: close`: `head` is the request line's method and target,
 * `fields` extra field lines (raw strings, so they may hold any byte).
 *
 * @example
 * ```ts
 * rawRequest(target, "GET", "/x", ["x-a: 1"]); // "GET /x HTTP/1.1\r\nhost: ...\r\nx-a: 1\r\nconnection: close\r\n\r\n"
 * ```
 */
export function rawRequest(target: RawTarget, method: string, path: string, fields: string[] = [], body = ""): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, `host: ${target.host}:${target.port}`, ...fields, "connection: close"];
  if (body !== "") lines.push(`content-length: ${Buffer.byteLength(body, "latin1")}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body}`, "latin1");
}

/** A kept-alive raw connection: responses are read one at a time, as their framing says they end. */
export interface RawConnection {
  socket: Socket;
  /** The next complete response (content-length or chunked framing), or status 0 if the connection closed first. */
  next(timeoutMs?: number): Promise<RawResponse>;
  /** Resolves when the connection is closed; with the time it took from this call. */
  closed(timeoutMs?: number): Promise<number>;
}

/**
 * Opens a connection that stays open between responses, for faults about what a connection can
 * still carry (a second request after an unread body).
 *
 * @example
 * ```ts
 * const connection = await openConnection(target);
 * connection.socket.write(rawRequest(...));
 * const first = await connection.next();
 * ```
 */
export async function openConnection(target: RawTarget): Promise<RawConnection> {
  const socket = connect(target.port, target.host);
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  });
  socket.on("error", () => {});
  const closedAt = new Promise<void>((resolve) =>
    socket.on("close", () => {
      ended = true;
      wake?.();
      resolve();
    }),
  );
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  const waitForData = (deadline: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no complete response in time")), deadline - Date.now());
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  return {
    socket,
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const length = completeLength(buffered);
        if (length !== -1) {
          const response = parseResponse(buffered.subarray(0, length));
          buffered = buffered.subarray(length);
          return response;
        }
        if (ended) return parseResponse(buffered);
        await waitForData(deadline);
      }
    },
    async closed(timeoutMs = 5000) {
      const started = Date.now();
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs).unref(),
      );
      await Promise.race([closedAt, timeout]);
      return Date.now() - started;
    },
  };
}

/** The length of the first response in `data` if it is complete, else -1. */
function completeLength(data: Buffer): number {
  const end = data.indexOf(CRLF2);
  if (end === -1) return -1;
  const head = data.subarray(0, end).toString("latin1").toLowerCase();
  const bodyStart = end + 4;
  const status = Number(/^http\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return bodyStart;
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return data.length >= bodyStart + Number(length[1]) ? bodyStart + Number(length[1]) : -1;
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) {
    const last = data.indexOf("\r\n0\r\n\r\n", bodyStart - 2);
    return last === -1 ? -1 : last + 7;
  }
  return -1;
}
