import { validateHeaderName, validateHeaderValue } from "node:http";
import type { Readable } from "node:stream";
import {
  type BodyReader,
  checkResponse,
  closeConnection,
  declaredLength,
  discardBody,
  GatewayError,
  type GatewayResponse,
  hasClientLeft,
  isBodiless,
  openBody,
  takeReadable,
  toNodeHeaders,
} from "@gangway/core";
import type { FastifyReply } from "fastify";
import { BodyStream } from "./body-stream.js";
import { reportLate } from "./late-error.js";

/**
 * Answers a Fastify reply at once when the response's body is whole (absent, a string or bytes):
 * {@link sendReply}'s rules, with no `await`, so a route whose app answered synchronously returns
 * synchronously too, Fastify's cheapest path. Returns `false`, having touched nothing, for a
 * streamed body, having checked the response; throws, before the reply is touched, for a response
 * that is wrong. `beforeHead` runs once the response passed its checks, before the head is set.
 *
 * @example
 * ```ts
 * if (sendWholeReply(reply, request.method, response)) return;
 * ```
 */
export function sendWholeReply(
  reply: FastifyReply,
  method: string,
  response: GatewayResponse,
  beforeHead?: () => void,
): boolean {
  checkResponse(response);
  const body = response.body;
  if (body !== null && body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array)) return false;
  const { status, statusText } = response;
  const headers = toNodeHeaders(response.headers, -1);
  checkHead(statusText, headers);
  const declared = declaredLength(headers);
  beforeHead?.();
  if (isBodiless(status)) {
    // No content (rule 17). Fastify writes no content-length for 1xx/204/304 and "0" for 205.
    setHead(reply, status, headers);
    setStatusText(reply, statusText);
    reply.send();
    return true;
  }
  const length =
    body === null || body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  // A HEAD response declares GET's length and carries nothing (rule 17).
  if (declared !== -1 && declared !== length && method !== "HEAD") {
    throw new GatewayError("GW_ERR_CONTENT_LENGTH_MISMATCH", `content-length ${declared}, body ${length} bytes`);
  }
  setHead(reply, status, headers);
  setStatusText(reply, statusText);
  if (body === null || body === undefined) reply.send();
  else if (typeof body === "string" && sendsTextAsIs(reply)) {
    // Node writes a string body in one piece with the head; bytes go as a second chunk.
    reply.send(body);
  } else
    reply.send(
      typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    );
  return true;
}

/**
 * Answers a Fastify reply with a gateway response, through the reply rather than around it, so
 * the host's `onSend` and `onResponse` hooks (and the plugins built on them: cookies, CORS,
 * compression) still apply. Headers earlier hooks set are kept unless the app sets the same name;
 * every `set-cookie` is appended to those already there. Fastify has no reason-phrase API, so a
 * `statusText` is written to `reply.raw.statusMessage`, which Node sends with the status line.
 * `beforeHead`, when given, runs just before the head goes out (for a streamed body, with its first
 * chunk), when it may still set headers on `reply.raw`. Resolves once the reply is under way; a
 * response that is wrong (rules 14–18, 25) rejects before the reply was touched, so Fastify's error handler answers without any of its headers (rule 24).
 * A streamed body that fails after commit cuts the connection and goes to Fastify's error path
 * (see `reportLate`); one longer than its content-length sends the declared bytes, then closes.
 *
 * @example
 * ```ts
 * await sendReply(reply, "GET", { status: 200, headers: { "content-type": "text/plain" }, body: "hi" });
 * return reply;
 * ```
 */
export async function sendReply(
  reply: FastifyReply,
  method: string,
  response: GatewayResponse,
  beforeHead?: () => void,
): Promise<void> {
  // Checked there (rules 14-16) whatever the body.
  if (sendWholeReply(reply, method, response, beforeHead)) return;
  const { status, statusText } = response;
  const headers = toNodeHeaders(response.headers, -1);
  let declared: number;
  try {
    checkHead(statusText, headers);
    declared = declaredLength(headers);
  } catch (error) {
    // Refused before commit: the body is finished unsent (rule 24).
    await discardBody(response.body);
    throw error;
  }
  const setReason = () => setStatusText(reply, statusText);
  if (isBodiless(status)) {
    beforeHead?.();
    // No content (rule 17): the body is finished unread.
    await discardBody(response.body);
    setHead(reply, status, headers);
    setReason();
    reply.send();
    return;
  }
  if (declared === -1 && method !== "HEAD") {
    const stream = takeReadable(response.body);
    if (stream !== undefined) {
      sendReadable(reply, status, statusText, headers, stream, beforeHead);
      return;
    }
  }
  const opened = openBody(response.body) as BodyReader;
  if (method === "HEAD") {
    // A streamed body is finished unread for HEAD (rule 17); its length is unknown, as for GET.
    await opened.finish();
    beforeHead?.();
    setHead(reply, status, headers);
    setReason();
    reply.send();
    return;
  }
  const undo = applyHead(reply, status, headers);
  // The reason phrase goes out with the first chunk; a body that fails before it leaves the
  // error handler a reply without the app's headers (rule 24).
  const onFail = (error: unknown, complete: boolean) => {
    const res = reply.raw;
    if (complete) {
      // The declared bytes are on their way: close once they are out (rule 18). Node detaches the
      // socket from the response on finish, so hold on to it now.
      const socket = res.socket;
      res.once("finish", () => socket?.destroy());
    } else {
      closeConnection(res);
    }
    reportLate(reply, error);
  };
  const onCommit = () => {
    beforeHead?.();
    setReason();
  };
  reply.send(new BodyStream(opened, declared, { onCommit, onAbandon: undo, onFail }));
}

/**
 * A Node stream that is the body byte for byte ({@link takeReadable}) goes to Fastify as it is, as
 * a native route's stream does: Fastify pipes it, sends the head with its first chunk (rule 19),
 * answers a failure before that with its error handler, destroys the response on one after
 * (rule 24), and destroys the stream when the client goes away (rule 21). What {@link BodyStream}
 * adds around a body is kept by one listener: a failure before the first chunk takes the app's head
 * back off the reply first, and one after goes to the error path as `reportLate` (rule 27) unless
 * the client left (rule 26).
 */
function sendReadable(
  reply: FastifyReply,
  status: number,
  statusText: string | undefined,
  headers: NodeHeaders,
  stream: Readable,
  beforeHead: (() => void) | undefined,
): void {
  const res = reply.raw;
  const reason = res.statusMessage;
  const undo = applyHead(reply, status, headers);
  // Nothing is sent before the first chunk, so what beforeHead sets still goes out with the head.
  beforeHead?.();
  setStatusText(reply, statusText);
  // Added before Fastify's own (reply.send below), so it runs first.
  stream.on("error", (error) => {
    if (!res.headersSent) {
      undo();
      res.statusMessage = reason;
    } else if (!hasClientLeft(res)) {
      reportLate(reply, error);
    }
  });
  reply.send(stream);
}

function setStatusText(reply: FastifyReply, statusText: string | undefined): void {
  if (statusText !== undefined) reply.raw.statusMessage = statusText;
}

// A media type Fastify parses as one (a `type/subtype` of token characters), so it keeps it as set.
const MEDIA_TYPE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(?:;|$)/;

/**
 * Whether `reply.send(string)` sends the string's UTF-8 bytes exactly as `reply.send(bytes)`
 * would, headers included: the reply has a content-type Fastify parses, not a JSON one (Fastify
 * adds a charset to those), and no serializer of its own (Fastify runs one on strings). Fastify
 * keeps the serializer under a private symbol, found by its description; where it is not found
 * (another Fastify), the answer is no, and bytes are sent.
 */
function sendsTextAsIs(reply: FastifyReply): boolean {
  const type = reply.getHeader("content-type");
  if (typeof type !== "string") return false;
  // Most apps answer with a handful of types: the verdict on the last one spares two tests.
  if (type !== lastType) {
    lastType = type;
    lastTypeAsIs = MEDIA_TYPE.test(type) && !/json/i.test(type);
  }
  if (!lastTypeAsIs) return false;
  serializerKey ??=
    Object.getOwnPropertySymbols(reply).find((key) => key.description === "fastify.reply.serializer") ?? null;
  return serializerKey !== null && (reply as unknown as Record<symbol, unknown>)[serializerKey] === null;
}

let serializerKey: symbol | null | undefined;
let lastType: string | undefined;
let lastTypeAsIs = false;

// What Node's writeHead refuses in a reason phrase or a header value (CR, LF, NUL and other
// controls), and what it takes as a header name: its own tests (checkInvalidHeaderChar,
// checkIsHttpToken).
const BAD_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;

/**
 * Refuses, before the reply is touched, a head that Node's `writeHead` would refuse: with the
 * codes core's `toHeadError` gives those refusals (rule 25). Checked here rather than caught from
 * `writeHead`, which Fastify calls inside `reply.send()`, after `onSend` hooks that may run later,
 * or (for a stream) inside its pipe once the first chunk is written, where no caller could catch it.
 */
function checkHead(statusText: string | undefined, headers: NodeHeaders): void {
  if (statusText !== undefined && BAD_CHAR.test(statusText)) {
    throw new GatewayError(
      "GW_ERR_INVALID_STATUS",
      `invalid character in the reason phrase ${JSON.stringify(statusText)}`,
    );
  }
  // Node's own validators say what is wrong, but each is a wrapped call that costs more than the
  // test itself on every response: they run only for a head that fails the test.
  for (const name in headers) if (!isToken(name) || !isValidValue(headers[name])) validateHeader(name, headers[name]);
}

// Names and values that passed, so that the same header on the next response costs a lookup
// rather than a regular expression (~250 machine instructions each; Node tests them again in
// writeHead). Emptied when full: an app that sends a new value every time (an ETag, a date) only
// keeps them turning over.
const validNames = new Set<string>();
const validTexts = new Set<string>();
const REMEMBERED = 256;

function isToken(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!TOKEN.test(name)) return false;
  remember(validNames, name);
  return true;
}

function isValidValue(value: NodeHeaders[string]): boolean {
  // A number's text is digits, a sign, a point, an exponent or a word: never a bad character.
  if (typeof value === "number") return true;
  if (!Array.isArray(value)) return isValidText(String(value));
  for (const item of value) if (item === undefined || !isValidText(String(item))) return false;
  return true;
}

function isValidText(text: string): boolean {
  if (validTexts.has(text)) return true;
  if (BAD_CHAR.test(text)) return false;
  remember(validTexts, text);
  return true;
}

function remember(set: Set<string>, text: string): void {
  if (set.size >= REMEMBERED) set.clear();
  set.add(text);
}

/** Node's verdict on a header that failed {@link checkHead}'s test: its refusal, as the spec's error. */
function validateHeader(name: string, value: NodeHeaders[string]): void {
  try {
    validateHeaderName(name);
    if (Array.isArray(value)) for (const item of value) validateHeaderValue(name, item);
    else validateHeaderValue(name, String(value));
  } catch (error) {
    throw new GatewayError("GW_ERR_INVALID_HEADER", (error as Error).message, { cause: error });
  }
}

type NodeHeaders = ReturnType<typeof toNodeHeaders>;

/** Sets status and headers on the reply. */
function setHead(reply: FastifyReply, status: number, headers: NodeHeaders): void {
  // Fastify's code() refuses 600-999, which rule 14 allows and Node sends.
  if (status <= 599) reply.code(status);
  else reply.raw.statusCode = status;
  for (const name in headers) {
    const value = headers[name]!;
    // Fastify's header() lowercases the name itself. Only set-cookie, which it would replace rather
    // than add to the host's, is told apart here, and its length spares lowercasing the others.
    if (name.length === 10 && name.toLowerCase() === "set-cookie") appendCookies(reply, value);
    else reply.header(name, value);
  }
}

/**
 * {@link setHead}, returning a function that puts the headers back as they were: for a streamed
 * body, whose failure before its first chunk leaves the error handler a reply without the app's
 * headers (rule 24). A whole body has no such moment, so it skips the bookkeeping.
 */
function applyHead(reply: FastifyReply, status: number, headers: NodeHeaders): () => void {
  const previous: [string, unknown][] = [];
  for (const name in headers) {
    const lower = name.toLowerCase();
    previous.push([lower, reply.getHeader(lower)]);
  }
  setHead(reply, status, headers);
  return () => {
    for (const [name, value] of previous) {
      reply.removeHeader(name);
      if (value !== undefined) reply.header(name, value);
    }
  };
}

/** Adds cookies after those set so far, on the reply or on `reply.raw` (rule 15: never joined). */
function appendCookies(reply: FastifyReply, value: NodeHeaders[string]): void {
  const onRaw = reply.raw.getHeader("set-cookie");
  const current = reply.getHeader("set-cookie");
  // Fastify's writeHead replaces what `reply.raw.setHeader` set under the same name: keep both.
  const merged = [...toList(onRaw), ...(current === onRaw ? [] : toList(current)), ...toList(value)];
  reply.removeHeader("set-cookie");
  reply.header("set-cookie", merged);
}

function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}
