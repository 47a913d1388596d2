import type { IncomingMessage, ServerResponse } from "node:http";
import { isBodyUsed } from "../request-body.js";
import type { RequestBody } from "../types.js";

// How much of an unread upload is read and thrown away to keep a keep-alive connection, and for
// how long (as @hono/node-server's autoCleanupIncoming does); past either bound the connection is
// closed once the response is out. serve() and every to* adapter share them.
/** The most bytes of an unread upload a server reads and drops to keep the connection. */
export const DRAIN_BYTES = 64 * 1024;
/** The longest a server spends reading and dropping an unread upload. */
export const DRAIN_MS = 500;
// After closing, what still arrives is read and dropped for this long: closing a socket with
// unread data resets it, and a reset can destroy the response before the client has read it.
const LINGER_MS = 1000;

/**
 * Whether the response leaves behind an upload too large to drain: the app answered without
 * touching it, or failed (`body` is `undefined` when no gateway request could be built). The response then says `connection: close`, so a keep-alive client does
 * not queue its next request on a connection about to close.
 *
 * @example
 * ```ts
 * if (leavesLargeBodyUnread(request.raw, body, false)) reply.header("connection", "close");
 * ```
 */
export function leavesLargeBodyUnread(
  req: IncomingMessage,
  body: RequestBody | null | undefined,
  failed: boolean,
): boolean {
  if (body === null || req.complete || (!failed && isBodyUsed(body))) return false;
  const length = Number(req.headers["content-length"] ?? Number.POSITIVE_INFINITY);
  return !(length <= DRAIN_BYTES);
}

/**
 * Says `connection: close` in the head when the upload is too large to drain after the response
 * ({@link leavesLargeBodyUnread}), so that a keep-alive client does not queue its next request on
 * a connection about to close. Called at the commit point (`sendResponse`'s `beforeHead`), by when
 * an app streaming the request back has started reading it.
 *
 * @example
 * ```ts
 * await sendResponse(res, "POST", response, () => announceClose(req, res, request.body));
 * ```
 */
export function announceClose(req: IncomingMessage, res: ServerResponse, body: RequestBody | null | undefined): void {
  if (leavesLargeBodyUnread(req, body, false)) res.setHeader("connection", "close");
}

/**
 * Bounds what is read of an upload the app left unread, as `serve()` does (rule 10): up to
 * 64 KiB or 500 ms is read and dropped, so a keep-alive connection can carry the next request;
 * past that the connection is ended once the response is out. Node alone would either drain it
 * without bound or, once the app had read part of it, leave it paused and the connection held
 * forever, with the client stuck mid-upload.
 *
 * @example
 * ```ts
 * reply.send(payload);
 * if (!request.raw.complete) discardUnread(request.raw, reply.raw);
 * ```
 */
export function discardUnread(req: IncomingMessage, res: ServerResponse): void {
  // Once per request: a fused round trip runs two plugins on the same `req`.
  if (req.complete || req.destroyed || draining.has(req)) return;
  draining.add(req);
  let drained = 0;
  const stop = () => {
    clearTimeout(timer);
    req.off("data", count);
    req.off("end", stop);
    req.off("close", stop);
  };
  const giveUp = () => {
    stop();
    // Still flowing, so the socket is read (and dropped) while it lingers.
    req.on("data", ignore);
    const end = () => endConnection(req.socket);
    if (res.writableFinished || res.destroyed) end();
    else res.once("finish", end).once("close", end);
  };
  const count = (chunk: Buffer) => {
    drained += chunk.byteLength;
    if (drained > DRAIN_BYTES) giveUp();
  };
  const timer = setTimeout(giveUp, DRAIN_MS);
  req.on("data", count).once("end", stop).once("close", stop);
  // A stream the app paused (or half read) stays paused for a 'data' listener alone.
  req.resume();
}

const draining = new WeakSet<IncomingMessage>();

/**
 * {@link discardUnread} once the response has finished, for a host that sends the app's response
 * after the handler returned (Koa, Fastify): until then the app may still be reading the upload (a
 * body streamed back as it arrives), and what it reads is not left unread.
 *
 * @example
 * ```ts
 * reply.send(stream);
 * discardUnreadAfter(request.raw, reply.raw);
 * ```
 */
export function discardUnreadAfter(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || req.destroyed) return;
  if (res.writableFinished) discardUnread(req, res);
  else if (!res.destroyed) res.once("finish", () => discardUnread(req, res));
}

function ignore(): void {}

/**
 * Ends a connection whose response is out, then reads and drops what still arrives for LINGER_MS
 * before destroying it: closing with unread data would reset the connection, and a reset can
 * destroy the response before the client has read it.
 *
 * @example
 * ```ts
 * res.once("finish", () => endConnection(req.socket)); // an upload too large to drain
 * ```
 */
export function endConnection(socket: IncomingMessage["socket"]): void {
  if (socket.destroyed) return;
  socket.end();
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once("close", () => clearTimeout(linger));
}
