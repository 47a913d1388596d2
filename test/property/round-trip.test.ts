import type { GatewayApp, GatewayRequest, OutgoingHeaders } from "@gangway/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectPath, nodeListenerServePath, servePath } from "../conformance/paths.js";
import type { ConformancePath, PathClient } from "../conformance/suite.js";
import { fetchPath, nodeListenerPath } from "../reliability/paths.js";

/**
 * Round trips, generated: a request of any shape a client may send (method, raw path, query,
 * header set, a body cut into random chunks) reaches the app byte for byte, and a response of any
 * shape an app may return (status, reason, headers, set-cookie list, a body in random chunks)
 * reaches the client byte for byte — on every path, with the same generated cases.
 */

interface RequestCase {
  method: string;
  path: string;
  query: string;
  headers: [string, string][];
  /** The body as the client sends it: chunks, or one block with a content-length. */
  body: Uint8Array[] | null;
  whole: boolean;
}

interface ResponseCase {
  status: number;
  statusText: string | undefined;
  headers: [string, string][];
  cookies: string[];
  body: Uint8Array[];
}

const hex = fc.constantFrom(..."0123456789abcdefABCDEF");
const percentEscape = fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`);
// Characters a path segment keeps through every parser on the way, the WHATWG URL parser included.
const pathChar = fc.constantFrom(..."abcxyzABCXYZ0189-._~!$&'()*+,;=:@");
// A dot segment, however spelled, would be resolved by the URL parser of the Fetch path.
const isDotSegment = (segment: string) => /^(\.|%2e){1,2}$/i.test(segment);
const segment = fc
  .array(fc.oneof({ weight: 4, arbitrary: pathChar }, { weight: 1, arbitrary: percentEscape }), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => parts.join(""))
  .filter((value) => !isDotSegment(value));
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join("/")}`);
const query = fc.oneof(
  fc.constant(""),
  fc
    .array(fc.oneof(fc.constantFrom(..."abz09=&+-._~"), percentEscape), { minLength: 1, maxLength: 12 })
    .map((parts) => parts.join("")),
);
// A field value: visible ASCII and obs-text (0x80-0xFF) with inner spaces; parsers trim the ends.
const valueChar = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constant(0x20) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
);
const fieldValue = fc
  .array(valueChar, { minLength: 1, maxLength: 24 })
  .map((codes) => String.fromCharCode(...codes).trim())
  .filter((value) => value !== "");
const fieldName = (prefix: string) => fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,11}$/).map((name) => `${prefix}${name}`);
const fields = (prefix: string) =>
  fc.uniqueArray(fc.tuple(fieldName(prefix), fieldValue), { maxLength: 5, selector: ([name]) => name });
const bytes = fc.uint8Array({ maxLength: 2048 });
const chunks = fc.array(bytes, { maxLength: 6 });

const requestCase: fc.Arbitrary<RequestCase> = fc
  .record({
    method: fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
    path,
    query,
    headers: fields("x-q-"),
    chunks,
    whole: fc.boolean(),
  })
  .map(({ chunks: parts, method, ...rest }) => ({
    ...rest,
    method,
    // Fetch cannot carry a body on GET or HEAD; every other method gets one, possibly empty.
    body: method === "GET" || method === "HEAD" ? null : parts,
  }));

const responseCase: fc.Arbitrary<ResponseCase> = fc.record({
  status: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 200, max: 599 }) }, fc.constantFrom(204, 205, 304)),
  statusText: fc.option(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,18}[A-Za-z]$/), { nil: undefined }),
  headers: fields("x-r-"),
  cookies: fc.array(fc.stringMatching(/^[a-z]{1,6}=[a-z0-9]{0,8}$/), { maxLength: 3 }),
  body: chunks,
});

const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((part) => Buffer.from(part)));

/** What the app saw, compared field by field with what was sent. */
interface Seen {
  method: string;
  target: string;
  query: string;
  headers: GatewayRequest["headers"];
  body: Buffer | null;
}

function roundTrips(path: ConformancePath) {
  describe(`round trips on ${path.name}`, () => {
    let client: PathClient;
    let reply: ResponseCase;
    let seen: Seen | undefined;
    const lastSeen = () => seen;
    const app: GatewayApp = async (request) => {
      let body: Buffer | null = null;
      if (request.body !== null) {
        const parts: Buffer[] = [];
        for await (const chunk of request.body) parts.push(Buffer.from(chunk));
        body = Buffer.concat(parts);
      }
      seen = {
        method: request.method,
        target: request.basePath + request.path,
        query: request.query,
        headers: request.headers,
        body,
      };
      const headers: OutgoingHeaders = Object.fromEntries(reply.headers);
      if (reply.cookies.length > 0) headers["set-cookie"] = reply.cookies;
      const parts = reply.body;
      return {
        status: reply.status,
        ...(reply.statusText === undefined ? {} : { statusText: reply.statusText }),
        headers,
        body: (async function* () {
          for (const part of parts) yield part;
        })(),
      };
    };
    beforeAll(async () => {
      client = await path.start(app);
    });
    afterAll(() => client.close());

    it("carries every generated request and response byte for byte", async () => {
      await fc.assert(
        fc.asyncProperty(requestCase, responseCase, async (sent, answer) => {
          reply = answer;
          seen = undefined;
          const target = sent.query === "" ? sent.path : `${sent.path}?${sent.query}`;
          const body =
            sent.body === null
              ? undefined
              : sent.whole
                ? concat(sent.body)
                : (async function* () {
                    for (const part of sent.body ?? []) yield part;
                  })();
          // Node's client frames a streamed DELETE or OPTIONS body only when told to.
          const headers =
            body === undefined || sent.whole
              ? sent.headers
              : [...sent.headers, ["transfer-encoding", "chunked"] as const];
          const response = await client.send({ method: sent.method, url: target, headers, body });
          const received = await response.bytes();

          // Read through a call: the assignment happens inside the app, out of the compiler's sight.
          const saw = lastSeen();
          expect(saw).toBeDefined();
          expect(saw?.method).toBe(sent.method);
          expect(saw?.target).toBe(sent.path);
          expect(saw?.query).toBe(sent.query);
          for (const [name, value] of sent.headers) expect(saw?.headers[name], name).toBe(value);
          // An empty body may arrive as none at all (rule 10: content-length 0 is a null body).
          expect((saw?.body ?? Buffer.alloc(0)).equals(concat(sent.body ?? []))).toBe(true);

          expect(response.status).toBe(answer.status);
          if (answer.statusText !== undefined) expect(response.statusText).toBe(answer.statusText);
          for (const [name, value] of answer.headers) expect(response.headers[name], name).toBe(value);
          if (answer.cookies.length > 0) expect(response.headers["set-cookie"]).toEqual(answer.cookies);
          // HEAD, 204, 205 and 304 carry no content (rule 17), whatever the app gave.
          const bodiless = sent.method === "HEAD" || [204, 205, 304].includes(answer.status);
          expect(received.equals(bodiless ? Buffer.alloc(0) : concat(answer.body))).toBe(true);
        }),
        { numRuns: 100 },
      );
    });
  });
}

for (const path of [servePath, injectPath, fetchPath, nodeListenerPath, nodeListenerServePath]) roundTrips(path);
