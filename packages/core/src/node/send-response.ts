import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { type BodyReader, openBody } from "../body-reader.js";
import { checkResponse, isBodiless } from "../check-response.js";
import { GatewayError } from "../errors.js";
import type { GatewayResponse, OutgoingHeaders } from "../types.js";

/**
 * Writes a gateway response to a Node `ServerResponse` by the rules of the spec: the commit point
 * (19), the pull protocol with `drain` (20), cleanup exactly once (21), HEAD/1xx/204/304 (17), and
 * content-length (18). Resolves once the response ended or the client went away; rejects with an
 * error that happened before commit (the caller may still answer 500) and destroys the
 * connection for one after.
 *
 * @example
 * ```ts
 * await sendResponse(res, "GET", await app(request));
 * ```
 */
export async function sendResponse(res: ServerResponse, method: string, response: GatewayResponse): Promise<void> {
  checkResponse(response);
  const { status } = response;
  const opened = openBody(response.body);
  if (opened === null || opened instanceof Uint8Array) {
    const length = opened === null ? 0 : opened.byteLength;
    // 1xx/204/304 must not carry a content-length; HEAD carries the one GET would.
    const headers = toNodeHeaders(response.headers, status < 200 || status === 204 || status === 304 ? -1 : length);
    res.writeHead(status, response.statusText, headers);
    if (opened === null || isBodiless(status, method)) res.end();
    else res.end(opened);
    return;
  }
  if (isBodiless(status, method)) {
    // HEAD and bodiless statuses: the headers go out and the body is finished unread (rule 17).
    try {
      res.writeHead(status, response.statusText, toNodeHeaders(response.headers, -1));
      res.end();
    } finally {
      await opened.finish();
    }
    return;
  }
  await sendStream(res, response, opened);
}

async function sendStream(res: ServerResponse, response: GatewayResponse, reader: BodyReader): Promise<void> {
  const onClose = () => void reader.finish();
  res.once("close", onClose);
  try {
    // Commit point (rule 19): nothing goes out until the first non-empty chunk, so an error
    // before it can still become a clean 500.
    let chunk = await reader.read();
    while (chunk !== null && chunk.byteLength === 0) chunk = await reader.read();
    if (res.destroyed) return;
    res.writeHead(response.status, response.statusText, toNodeHeaders(response.headers, chunk === null ? 0 : -1));
    if (chunk === null) {
      res.end();
      return;
    }
    try {
      while (chunk !== null) {
        if (res.destroyed) return;
        if (!res.write(chunk)) await drained(res);
        chunk = await reader.read();
      }
      if (!res.destroyed) res.end();
    } catch (error) {
      // After commit (rule 24): destroy, so the client sees a truncated response rather than a
      // clean end to a broken one.
      res.destroy();
      throw new GatewayError("GW_ERR_RESPONSE_ABORTED", undefined, { cause: error });
    }
  } finally {
    res.off("close", onClose);
    await reader.finish();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * Prepares gateway headers for `writeHead`: drops `undefined` values and, when `length` is not
 * -1 and the app set no content-length, adds one. Returns the app's own object when nothing needs
 * to change, so the common case allocates nothing.
 */
export function toNodeHeaders(headers: OutgoingHeaders | undefined, length: number): OutgoingHttpHeaders {
  if (headers === undefined) return length === -1 ? {} : { "content-length": length };
  let copy: OutgoingHeaders | undefined;
  let hasLength = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) {
      copy ??= { ...headers };
      delete copy[name];
    } else if (!hasLength && name.length === 14 && name.toLowerCase() === "content-length") {
      hasLength = true;
    }
  }
  if (length !== -1 && !hasLength) {
    copy ??= { ...headers };
    copy["content-length"] = length;
  }
  // Node reads header lists without mutating them; its type just lacks `readonly`.
  return (copy ?? headers) as OutgoingHttpHeaders;
}
