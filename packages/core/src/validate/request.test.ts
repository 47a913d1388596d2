import { describe, expect, it } from "vitest";
import { toRequestBody } from "../request-body.js";
import { text } from "../response.js";
import type { GatewayApp, GatewayRequest } from "../types.js";
import { type LintCode, LintError, type LintIssue, validate } from "./index.js";

/** A well-formed request, as a server at the root would build it. */
function request(overrides: Record<string, unknown> = {}): GatewayRequest {
  return {
    method: "GET",
    scheme: "http",
    authority: "example.com:8080",
    basePath: "",
    path: "/",
    query: "",
    headers: { host: "example.com:8080" },
    body: null,
    signal: new AbortController().signal,
    remoteAddress: "127.0.0.1",
    env: { "gangway.version": "1.0" },
    ...overrides,
  } as GatewayRequest;
}

function withHeader(name: string, value: unknown): Record<string, unknown> {
  const headers = { host: "example.com:8080" };
  // defineProperty: "__proto__" must become a header, not a prototype.
  Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  return { headers };
}

/** Runs `overrides` through validate at both levels and returns what each saw. */
async function lint(overrides: Record<string, unknown>, level: "error" | "warn") {
  const issues: LintIssue[] = [];
  let called = 0;
  const app = validate(
    () => {
      called++;
      return text("ok");
    },
    { level, onWarning: (issue) => issues.push(issue) },
  );
  let error: unknown;
  try {
    await app(request(overrides));
  } catch (caught) {
    error = caught;
  }
  return { issues, called, error };
}

// Each request-side code, with requests that break its rule.
const broken: [LintCode, string, Record<string, unknown>][] = [
  ["GW_LINT_METHOD", "an empty method", { method: "" }],
  ["GW_LINT_METHOD", "a method with a space", { method: "GE T" }],
  ["GW_LINT_METHOD", "a numeric method", { method: 42 }],
  ["GW_LINT_BASE_PATH", 'basePath "/"', { basePath: "/", path: "/a" }],
  ["GW_LINT_BASE_PATH", "basePath without a leading slash", { basePath: "api", path: "/a" }],
  ["GW_LINT_BASE_PATH", "basePath ending in a slash", { basePath: "/api/", path: "/a" }],
  ["GW_LINT_PATH", "path without a leading slash", { path: "a/b" }],
  ["GW_LINT_PATH", "path and basePath both empty", { path: "" }],
  ["GW_LINT_PATH", "a path that is not a string", { path: undefined }],
  ["GW_LINT_TARGET", '"*" with GET', { path: "*" }],
  ["GW_LINT_TARGET", "a fragment in the path", { path: "/a#b" }],
  ["GW_LINT_TARGET", "an unsplit query in the path", { path: "/a?b=1" }],
  ["GW_LINT_RAW_PATH", "a path that is not node.req.url's", { path: "/a", env: { "node.req": { url: "/b" } } }],
  ["GW_LINT_RAW_PATH", "a query that is not node.req.url's", { query: "x=1", env: { "node.req": { url: "/?x=2" } } }],
  ["GW_LINT_QUERY", 'a query with its "?"', { query: "?a=1" }],
  ["GW_LINT_QUERY", "a query with a fragment", { query: "a=1#top" }],
  ["GW_LINT_QUERY", "a missing query", { query: undefined }],
  ["GW_LINT_SCHEME", "scheme ftp", { scheme: "ftp" }],
  ["GW_LINT_SCHEME", "scheme with a colon", { scheme: "https:" }],
  ["GW_LINT_AUTHORITY", "an empty authority", { authority: "" }],
  ["GW_LINT_AUTHORITY", "an authority with userinfo", { authority: "user@example.com" }],
  ["GW_LINT_AUTHORITY", "an authority with a path", { authority: "example.com/a" }],
  ["GW_LINT_REMOTE_ADDRESS", "a numeric remoteAddress", { remoteAddress: 127 }],
  ["GW_LINT_REQUEST_HEADERS", "headers as an array", { headers: [["host", "x"]] }],
  ["GW_LINT_REQUEST_HEADERS", "headers as null", { headers: null }],
  ["GW_LINT_REQUEST_HEADERS", "headers with a foreign prototype", { headers: Object.create({ polluted: "yes" }) }],
  ["GW_LINT_REQUEST_HEADER_NAME", "an upper-case header name", { headers: { "X-A": "1" } }],
  ["GW_LINT_REQUEST_HEADER_NAME", "a header name with a space", { headers: { "x a": "1" } }],
  ["GW_LINT_REQUEST_HEADER_NAME", "a pseudo-header", { headers: { ":path": "/" } }],
  ["GW_LINT_REQUEST_HEADER_VALUE", "a value with CRLF", { headers: { "x-a": "a\r\nb" } }],
  ["GW_LINT_REQUEST_HEADER_VALUE", "a numeric value", { headers: { "content-length": 5 } }],
  ["GW_LINT_REQUEST_HEADER_VALUE", "a list for a header other than set-cookie", { headers: { "x-a": ["1", "2"] } }],
  ["GW_LINT_REQUEST_HEADER_VALUE", "set-cookie as a string", { headers: { "set-cookie": "a=1" } }],
  ["GW_LINT_REQUEST_BODY", "a string body", { body: "hello" }],
  ["GW_LINT_REQUEST_BODY", "a body already read", { body: usedBody() }],
  ["GW_LINT_SIGNAL", "a signal that is no AbortSignal", { signal: {} }],
  ["GW_LINT_SIGNAL", "a missing signal", { signal: undefined }],
  ["GW_LINT_ENV", "env null", { env: null }],
  ["GW_LINT_ENV", "an env key without a dot", { env: { user: "ada" } }],
  ["GW_LINT_ENV", "a numeric gangway.version", { env: { "gangway.version": 1 } }],
];

function usedBody() {
  const body = toRequestBody("x");
  body[Symbol.asyncIterator]();
  return body;
}

describe("validate: the request going in", () => {
  for (const [code, name, overrides] of broken) {
    it(`rejects ${name} with ${code} before calling the app`, async () => {
      const { error, called } = await lint(overrides, "error");
      expect(LintError.is(error, code)).toBe(true);
      expect((error as LintError).rule).toBeTypeOf("number");
      expect(called).toBe(0);
    });
  }

  // The warn level for a representative subset: the finding is reported and the app still runs.
  for (const [code, name, overrides] of broken.filter((_, i) => i % 3 === 0)) {
    it(`reports ${name} as ${code} at level "warn" and calls the app`, async () => {
      const { error, called, issues } = await lint(overrides, "warn");
      expect(error).toBeUndefined();
      expect(called).toBe(1);
      expect(issues.map((issue) => issue.code)).toContain(code);
      expect(issues.find((issue) => issue.code === code)?.severity).toBe("error");
    });
  }

  const warnings: [LintCode, string, Record<string, unknown>][] = [
    ["GW_LINT_METHOD_UNUSUAL", "a lower-case method", { method: "get" }],
    ["GW_LINT_METHOD_UNUSUAL", "a method Node does not know", { method: "FROBNICATE" }],
    ["GW_LINT_REQUEST_HEADER_RESERVED", "a header named __proto__", withHeader("__proto__", "x")],
    ["GW_LINT_REQUEST_HEADER_RESERVED", "a header named constructor", withHeader("constructor", "x")],
  ];
  for (const [code, name, overrides] of warnings) {
    it(`warns about ${name} with ${code} even at level "error", and calls the app`, async () => {
      const { error, called, issues } = await lint(overrides, "error");
      expect(error).toBeUndefined();
      expect(called).toBe(1);
      expect(issues).toEqual([expect.objectContaining({ code, severity: "warning" })]);
    });
  }

  it("rejects a call without exactly one request object with GW_LINT_CALL", async () => {
    const app = validate(() => text("ok")) as unknown as (...args: unknown[]) => Promise<unknown>;
    await expect(app(request(), "extra")).rejects.toMatchObject({ name: "LintError", code: "GW_LINT_CALL", rule: 1 });
    await expect(app()).rejects.toMatchObject({ code: "GW_LINT_CALL" });
    await expect(app("/path")).rejects.toMatchObject({ code: "GW_LINT_CALL" });
  });

  it("finds nothing wrong with well-formed requests of every shape", async () => {
    const issues: LintIssue[] = [];
    const seen: GatewayRequest[] = [];
    const app = validate(
      (r) => {
        seen.push(r);
        return text("ok");
      },
      { level: "warn", onWarning: (issue) => issues.push(issue) },
    );
    const cases = [
      request(),
      request({ method: "OPTIONS", path: "*" }),
      request({ basePath: "/api", path: "" }),
      request({ basePath: "/api/v2", path: "/users/7", query: "a=1&b=%20" }),
      request({ path: "/a%20b/c%2Fd", query: "x", env: { "node.req": { url: "/a%20b/c%2Fd?x" } } }),
      request({ path: "/a", env: { "node.req": { url: "/a?" } } }),
      // A mount normalised the dot segments; the raw target is kept in gangway.rawPath (rule 33).
      request({ path: "/admin", env: { "gangway.rawPath": "/api/../admin", "node.req": { url: "/api/../admin" } } }),
      request({ scheme: "https", authority: "[::1]:8443", remoteAddress: undefined }),
      request({ authority: "xn--bcher-kva.example" }),
      request({ headers: { "set-cookie": ["a=1", "b=2"], cookie: "a=1; b=2", "x-empty": "" } }),
      request({ headers: Object.assign(Object.create(null), { host: "h" }) }),
      request({ method: "POST", headers: { "content-length": "2" }, body: toRequestBody("hi") }),
    ];
    for (const r of cases) await app(r);
    expect(issues).toEqual([]);
    expect(seen).toHaveLength(cases.length);
  });

  it("hands the app a new request object, leaving the caller's untouched", async () => {
    const original = request({ headers: { host: "h", "x-a": "1" } });
    let seen: GatewayRequest | undefined;
    await validate((r) => {
      seen = r;
      return text("ok");
    })(original);
    expect(seen).not.toBe(original);
    expect(seen).toMatchObject({ method: "GET", path: "/", headers: { "x-a": "1" } });
  });
});

describe("validate: requests are immutable (rule 13)", () => {
  const mutations: [string, (r: GatewayRequest) => void][] = [
    ["assigns a field", (r) => ((r as { path: string }).path = "/elsewhere")],
    ["adds a header", (r) => (r.headers["x-added"] = "1")],
    ["deletes a header", (r) => delete r.headers.host],
    ["writes to env", (r) => ((r.env as Record<string, unknown>)["my.user"] = "ada")],
    ["defines a field", (r) => Object.defineProperty(r, "path", { value: "/x" })],
    ["replaces the prototype of headers", (r) => Object.setPrototypeOf(r.headers, null)],
  ];

  for (const [name, mutate] of mutations) {
    it(`rejects an app that ${name} with GW_LINT_REQUEST_MUTATED`, async () => {
      const app = validate((r) => {
        mutate(r);
        return text("ok");
      });
      const caught = await Promise.resolve(app(request({ headers: { host: "h" } }))).catch((error: unknown) => error);
      expect(LintError.is(caught, "GW_LINT_REQUEST_MUTATED")).toBe(true);
      expect((caught as LintError).rule).toBe(13);
    });
  }

  it('lets the write through at level "warn", on validate\'s copy of the request', async () => {
    const issues: LintIssue[] = [];
    const original = request();
    let after: string | undefined;
    const app = validate(
      (r) => {
        (r as { path: string }).path = "/elsewhere";
        after = r.path;
        return text("ok");
      },
      { level: "warn", onWarning: (issue) => issues.push(issue) },
    );
    await app(original);
    expect(issues.map((issue) => issue.code)).toEqual(["GW_LINT_REQUEST_MUTATED"]);
    expect(after).toBe("/elsewhere");
    expect(original.path).toBe("/");
  });

  it("allows deriving a new request, as middleware should", async () => {
    const inner: GatewayApp = (r) => text(`${r.basePath}|${r.path}|${String(r.env["my.user"])}`);
    const app = validate((r) =>
      validate(inner)({ ...r, basePath: "/api", path: "/x", env: { ...r.env, "my.user": "ada" } }),
    );
    const response = await app(request({ path: "/api/x" }));
    expect(response.body).toBe("/api|/x|ada");
  });
});
