import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "../../../../test/helpers/http-client.js";
import { serve } from "../node/serve.js";
import { readText } from "../read-body.js";
import { toRequestBody } from "../request-body.js";
import { empty, html, json, pass, redirect, text } from "../response.js";
import type { GatewayRequest, GatewayResponse, OutgoingHeaders } from "../types.js";
import { type LintCode, LintError, type LintIssue, validate } from "./index.js";

function request(method = "GET"): GatewayRequest {
  return {
    method,
    scheme: "http",
    authority: "localhost",
    basePath: "",
    path: "/",
    query: "",
    headers: { host: "localhost" },
    body: null,
    signal: new AbortController().signal,
    env: {},
  };
}

function headerNamed(name: string, value: string): OutgoingHeaders {
  const headers = { "content-type": "text/plain" };
  Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  return headers;
}

const ok = { "content-type": "text/plain" };

async function* oneByte() {
  yield new Uint8Array([1]);
}

// Each response-side code, with responses that break its rule (and the request method, if not GET).
const broken: [LintCode, string, unknown, string?][] = [
  ["GW_LINT_NO_RESPONSE", "undefined", undefined],
  ["GW_LINT_RESPONSE_SHAPE", "null", null],
  ["GW_LINT_RESPONSE_SHAPE", "a string", "hello"],
  ["GW_LINT_RESPONSE_SHAPE", "an array", [200, {}, "x"]],
  ["GW_LINT_RESPONSE_SHAPE", "a Fetch Response", new Response("x")],
  ["GW_LINT_STATUS", "a string status", { status: "200" }],
  ["GW_LINT_STATUS", "status 99", { status: 99 }],
  ["GW_LINT_STATUS", "status 1000", { status: 1000 }],
  ["GW_LINT_STATUS", "a fractional status", { status: 200.5 }],
  ["GW_LINT_STATUS", "an interim 103", { status: 103 }],
  ["GW_LINT_STATUS_TEXT", "a reason phrase with CRLF", { status: 200, statusText: "OK\r\nx-a: 1" }],
  ["GW_LINT_STATUS_TEXT", "a reason phrase above U+00FF", { status: 200, statusText: "Fine ✓" }],
  ["GW_LINT_STATUS_TEXT", "a numeric reason phrase", { status: 200, statusText: 200 }],
  ["GW_LINT_HEADERS", "headers as pairs", { status: 200, headers: [["x-a", "1"]] }],
  ["GW_LINT_HEADERS", "a Fetch Headers object", { status: 200, headers: new Headers({ "x-a": "1" }) }],
  ["GW_LINT_HEADER_NAME", "a name with a space", { status: 200, headers: { "x a": "1" } }],
  ["GW_LINT_HEADER_NAME", "a name with a newline", { status: 200, headers: { "x-a\n": "1" } }],
  ["GW_LINT_HEADER_NAME", "an empty name", { status: 200, headers: { "": "1" } }],
  ["GW_LINT_HEADER_VALUE", "a value with LF", { status: 200, headers: { "x-a": "a\nb" } }],
  ["GW_LINT_HEADER_VALUE", "a value with CR", { status: 200, headers: { "x-a": "a\rb" } }],
  ["GW_LINT_HEADER_VALUE", "a value with NUL", { status: 200, headers: { "x-a": "a\0b" } }],
  ["GW_LINT_HEADER_VALUE", "a value above U+00FF", { status: 200, headers: { "x-a": "naïve ✓" } }],
  ["GW_LINT_HEADER_VALUE", "NaN", { status: 200, headers: { "x-a": Number.NaN } }],
  ["GW_LINT_HEADER_VALUE", "a boolean", { status: 200, headers: { "x-a": true } }],
  ["GW_LINT_HEADER_VALUE", "a list holding a number", { status: 200, headers: { "x-a": ["1", 2] } }],
  ["GW_LINT_HEADER_VALUE", "a cookie with LF", { status: 200, headers: { "set-cookie": ["a=1", "b=2\nx-a: 1"] } }],
  ["GW_LINT_PSEUDO_HEADER", "a :status header", { status: 200, headers: { ":status": "200" } }],
  ["GW_LINT_PSEUDO_HEADER", "a Status header", { status: 200, headers: { Status: "200 OK" } }],
  ["GW_LINT_HOP_BY_HOP", "connection", { status: 200, headers: { connection: "close" } }],
  ["GW_LINT_HOP_BY_HOP", "Transfer-Encoding", { status: 200, headers: { "Transfer-Encoding": "chunked" } }],
  ["GW_LINT_HOP_BY_HOP", "keep-alive", { status: 200, headers: { "keep-alive": "timeout=5" } }],
  ["GW_LINT_HOP_BY_HOP", "upgrade on a 200", { status: 200, headers: { upgrade: "websocket" } }],
  ["GW_LINT_HOP_BY_HOP", "te", { status: 200, headers: { te: "trailers" } }],
  ["GW_LINT_BODILESS_BODY", "a 204 with text", { status: 204, body: "x" }],
  ["GW_LINT_BODILESS_BODY", "a 304 with bytes", { status: 304, body: new Uint8Array([1]) }],
  ["GW_LINT_BODILESS_BODY", "a 204 with a stream", { status: 204, body: oneByte() }],
  ["GW_LINT_BODILESS_HEADERS", "a 204 with content-type", { status: 204, headers: ok }],
  ["GW_LINT_BODILESS_HEADERS", "a 204 with content-length", { status: 204, headers: { "content-length": "0" } }],
  ["GW_LINT_BODILESS_HEADERS", "a 304 with content-type", { status: 304, headers: { "Content-Type": "text/html" } }],
  ["GW_LINT_CONTENT_LENGTH", "a word", { status: 200, headers: { ...ok, "content-length": "five" } }],
  ["GW_LINT_CONTENT_LENGTH", "a negative number", { status: 200, headers: { ...ok, "content-length": -1 } }],
  ["GW_LINT_CONTENT_LENGTH", "a fraction", { status: 200, headers: { ...ok, "content-length": "1.5" } }],
  ["GW_LINT_CONTENT_LENGTH", "a list", { status: 200, headers: { ...ok, "content-length": ["1", "1"] } }],
  ["GW_LINT_CONTENT_LENGTH", "a padded string", { status: 200, headers: { ...ok, "content-length": " 1" } }],
  ["GW_LINT_LENGTH_MISMATCH", "a short text", { status: 200, headers: { ...ok, "content-length": 9 }, body: "héllo" }],
  [
    "GW_LINT_LENGTH_MISMATCH",
    "long bytes",
    { status: 200, headers: { ...ok, "content-length": "1" }, body: new Uint8Array(2) },
  ],
  ["GW_LINT_BODY_KIND", "a number", { status: 200, headers: ok, body: 42 }],
  ["GW_LINT_BODY_KIND", "a plain object", { status: 200, headers: ok, body: { a: 1 } }],
  ["GW_LINT_BODY_KIND", "an array of strings", { status: 200, headers: ok, body: ["a", "b"] }],
  [
    "GW_LINT_BODY_KIND",
    "a synchronous generator",
    {
      status: 200,
      headers: ok,
      body: (function* () {
        yield "a";
      })(),
    },
  ],
  ["GW_LINT_BODY_KIND", "an ArrayBuffer", { status: 200, headers: ok, body: new ArrayBuffer(2) }],
];

const warnings: [LintCode, string, unknown, string?][] = [
  ["GW_LINT_RESPONSE_FIELD", "a misspelt field", { status: 200, header: ok }],
  ["GW_LINT_DUPLICATE_HEADER", "one name in two cases", { status: 204, headers: { "x-a": "1", "X-A": "2" } }],
  ["GW_LINT_SET_COOKIE_JOINED", "joined cookies", { status: 204, headers: { "set-cookie": "a=1, b=2" } }],
  ["GW_LINT_SET_COOKIE_JOINED", "a joined list entry", { status: 204, headers: { "set-cookie": ["a=1; Path=/,b=2"] } }],
  ["GW_LINT_NOT_MODIFIED_METADATA", "a 304 with content-length", { status: 304, headers: { "content-length": 10 } }],
  [
    "GW_LINT_NOT_MODIFIED_METADATA",
    "a 304 with content-encoding",
    { status: 304, headers: { "content-encoding": "br" } },
  ],
  ["GW_LINT_HEAD_BODY", "a body for HEAD", { status: 200, headers: ok, body: "hello" }, "HEAD"],
  ["GW_LINT_NO_CONTENT_TYPE", "text without content-type", { status: 200, body: "hello" }],
];

async function lint(response: unknown, level: "error" | "warn", method?: string) {
  const issues: LintIssue[] = [];
  const app = validate(() => response as GatewayResponse, { level, onWarning: (issue) => issues.push(issue) });
  let error: unknown;
  let result: unknown;
  try {
    result = await app(request(method));
  } catch (caught) {
    error = caught;
  }
  return { issues, error, result };
}

describe("validate: the response coming out", () => {
  for (const [code, name, response, method] of broken) {
    it(`rejects ${name} with ${code}`, async () => {
      const { error } = await lint(response, "error", method);
      expect(LintError.is(error, code)).toBe(true);
    });
  }

  for (const [code, name, response, method] of broken.filter((_, i) => i % 3 === 0)) {
    it(`reports ${name} as ${code} at level "warn" and passes the response on`, async () => {
      const { error, issues, result } = await lint(response, "warn", method);
      expect(error).toBeUndefined();
      expect(issues.map((issue) => issue.code)).toContain(code);
      if (typeof response === "object" && response !== null && !Array.isArray(response)) {
        expect(result).toMatchObject({ status: (response as GatewayResponse).status });
      } else {
        expect(result).toBe(response);
      }
    });
  }

  for (const [code, name, response, method] of warnings) {
    it(`warns about ${name} with ${code} even at level "error"`, async () => {
      const { error, issues } = await lint(response, "error", method);
      expect(error).toBeUndefined();
      expect(issues).toEqual([expect.objectContaining({ code, severity: "warning" })]);
    });
  }

  it("warns with GW_LINT_PASS_AFTER_READ when the app reads the body, then passes", async () => {
    const issues: LintIssue[] = [];
    const app = validate(
      async (r) => {
        await readText(r);
        return pass();
      },
      { onWarning: (issue) => issues.push(issue) },
    );
    const response = await app({ ...request("POST"), headers: { "content-length": "2" }, body: toRequestBody("hi") });
    expect(response.status).toBe(404);
    expect(issues.map((issue) => issue.code)).toEqual(["GW_LINT_PASS_AFTER_READ"]);
  });

  it("finishes the body of a response it refuses", async () => {
    let returned = 0;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: new Uint8Array(1) }),
        return: async () => {
          returned++;
          return { done: true, value: undefined };
        },
      }),
    };
    const { error } = await lint({ status: 200, headers: { connection: "close" }, body }, "error");
    expect(LintError.is(error, "GW_LINT_HOP_BY_HOP")).toBe(true);
    expect(returned).toBe(1);
  });

  it("finds nothing wrong with well-formed responses of every kind", async () => {
    const good: [GatewayResponse, string?][] = [
      [text("hi")],
      [json({ a: 1 }, { status: 201 })],
      [html("<p>x</p>", { headers: { "set-cookie": ["a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT", "b=2"] } })],
      [redirect("/elsewhere", 303)],
      [empty()],
      [empty(304, { headers: { etag: '"v1"' } })],
      [pass()],
      [{ status: 101, headers: { upgrade: "websocket" } }],
      [{ status: 205, body: "ignored" }],
      [{ status: 299, statusText: "Très Bien", headers: { ...ok, "x-n": 42, "x-u": undefined, "x-e": [] }, body: "" }],
      [{ status: 999, headers: { ...ok, "content-length": "2" }, body: new Uint8Array(2) }],
      [{ status: 200, headers: { ...ok, "x-tab": "a\tb", "x-latin1": "caf\xe9" }, body: "x" }],
      [{ status: 200, headers: { ...ok, "content-length": 5 }, body: null }, "HEAD"],
      [{ status: 200, headers: ok, body: oneByte() }, "HEAD"],
      [{ status: 200, headers: headerNamed("__proto__", "x"), body: "x" }],
    ];
    for (const [response, method] of good) {
      const { issues, error } = await lint(response, "warn", method);
      expect(error).toBeUndefined();
      expect(issues, JSON.stringify(response)).toEqual([]);
    }
  });

  it("keeps the pass() mark on a response whose body it wraps", async () => {
    const streamed = { ...pass(), body: oneByte() };
    const response = await validate(() => streamed)(request());
    expect(response).not.toBe(streamed);
    expect((response as unknown as Record<symbol, unknown>)[Symbol.for("gangway.pass")]).toBe(true);
  });
});

describe("validate: a broken app behind a real server", () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()));
  });

  async function start(app: Parameters<typeof serve>[0], errors: unknown[]) {
    const server = await serve(app, { onError: (error) => void errors.push(error) });
    const client = new HttpClient(server.url);
    open.push({
      close: async () => {
        client.close();
        await server.close();
      },
    });
    return client;
  }

  const leaky = () => ({ status: 200, headers: { ...ok, "Keep-Alive": "timeout=99" }, body: "still here" });

  it("answers 500 at level error, and the server's onError sees the LintError", async () => {
    const errors: unknown[] = [];
    const client = await start(validate(leaky), errors);
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(500);
    await response.bytes();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: "LintError", code: "GW_LINT_HOP_BY_HOP", rule: 16 });
  });

  it('lets the response flow at level "warn", reporting the issue', async () => {
    const errors: unknown[] = [];
    const issues: LintIssue[] = [];
    const client = await start(validate(leaky, { level: "warn", onWarning: (i) => issues.push(i) }), errors);
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(200);
    expect(response.headers["keep-alive"]).not.toBe("timeout=99");
    expect(await response.text()).toBe("still here");
    expect(errors).toEqual([]);
    expect(issues).toEqual([expect.objectContaining({ code: "GW_LINT_HOP_BY_HOP", rule: 16, severity: "error" })]);
  });

  it("rejects a request the server would never build, before the app runs, over HTTP too", async () => {
    const errors: unknown[] = [];
    let called = 0;
    // Middleware in front of validate that derives a broken request: basePath "/".
    const inner = validate(() => {
      called++;
      return text("unreachable");
    });
    const client = await start((r) => inner({ ...r, basePath: "/", path: r.path }), errors);
    const response = await client.send({ url: "/a" });
    expect(response.status).toBe(500);
    await response.bytes();
    expect(called).toBe(0);
    expect(errors[0]).toMatchObject({ code: "GW_LINT_BASE_PATH", rule: 4 });
  });
});
