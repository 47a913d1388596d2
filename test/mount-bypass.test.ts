import { type GatewayApp, type GatewayRequest, json, mount, type RunningServer, serve } from "@gangway/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClient } from "./helpers/http-client.js";

/**
 * Rule 33 as a security boundary: `mount` decides which app may see a request, so no spelling of a
 * path under "/admin" may reach anything but the admin app — which enforces its own guard — and a
 * spelling whose raw and normalized forms name different apps reaches none.
 */

interface Seen {
  app: string;
  basePath: string;
  path: string;
  rawPath: string | null;
}

function seenBy(name: string, request: GatewayRequest): Seen {
  return {
    app: name,
    basePath: request.basePath,
    path: request.path,
    rawPath: request.env["gangway.rawPath"] ?? null,
  };
}

const publicApp: GatewayApp = (request) => json(seenBy("public", request));
/** The admin app guards itself: without the token it answers 401, still saying what it saw. */
const adminApp: GatewayApp = (request) =>
  json(seenBy("admin", request), { status: request.headers.authorization === "Bearer s3cret" ? 200 : 401 });
const fallback: GatewayApp = (request) => json(seenBy("fallback", request));

const app = mount({ "/public": publicApp, "/admin": adminApp }, fallback);

describe("mount bypass attempts over real HTTP", () => {
  let server: RunningServer;
  let client: HttpClient;
  beforeAll(async () => {
    server = await serve(app);
    client = new HttpClient(server.url);
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it.each([
    // target, app, status, basePath, path, gangway.rawPath
    ["/admin", "admin", 401, "/admin", "", null],
    ["/admin/", "admin", 401, "/admin", "/", null],
    ["/admin/x/../y", "admin", 401, "/admin", "/y", "/admin/x/../y"],
    ["/admin/%2e%2e/admin/x", "admin", 401, "/admin", "/x", "/admin/%2e%2e/admin/x"],
    ["/ADMIN", "fallback", 200, "", "/ADMIN", null],
    ["/public%2F..%2Fadmin", "fallback", 200, "", "/public%2F..%2Fadmin", null],
    ["/admin%2F", "fallback", 200, "", "/admin%2F", null],
    ["/admin;x", "fallback", 200, "", "/admin;x", null],
    ["/public/./x", "public", 200, "/public", "/x", "/public/./x"],
    ["/public/x?next=/admin", "public", 200, "/public", "/x", null],
  ])(
    "%s is answered by %s (%i), seeing basePath %j and path %j",
    async (target, name, status, basePath, path, rawPath) => {
      const response = await client.send({ url: target });
      expect(response.status).toBe(status);
      expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(JSON.parse(await response.text())).toEqual({ app: name, basePath, path, rawPath });
    },
  );

  // Spelled raw, these name another app (or none) than their normalized form does: a host guard
  // that read the raw path would have been bypassed, so mount refuses them (rule 33 (g)).
  it.each([
    "//admin",
    "/%61dmin",
    "/public/../admin",
    "/public/%2e%2e/admin",
    "/public/%2E%2E/admin",
    "/public/.%2e/admin/users",
    "/x/../admin",
    "/admin/../public",
  ])("%s is refused with 400 and reaches no app", async (target) => {
    const response = await client.send({ url: target, headers: { authorization: "Bearer s3cret" } });
    expect(response.status).toBe(400);
    expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(await response.text()).not.toContain('"app"');
  });

  it("lets the admin app's own guard decide once the request reaches it", async () => {
    const response = await client.send({
      url: "/admin/x/%2e%2e/users",
      headers: { authorization: "Bearer s3cret" },
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toMatchObject({ app: "admin", basePath: "/admin", path: "/users" });
  });
});

// An oracle independent of mount's own code: the WHATWG URL parser resolves dot segments (also
// spelled `%2e`) the way RFC 3986 does, and with a non-special scheme treats `\` as data, not a
// separator. Unreserved escapes are then decoded per segment, and empty segments dropped.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Who the raw spelling names: its first segment, split on every "/" and compared as written. */
function literalOwner(raw: string): string {
  const first = raw.split("/")[1];
  return first === "admin" || first === "public" ? first : "fallback";
}

function oracle(raw: string): { resolved: string; first: string | null } {
  // Climbing above the root leaves an empty pathname on a non-special URL; the path is then "/".
  const resolved = new URL(`gw://host${raw}`).pathname || "/";
  const segments = resolved.split("/").filter((segment) => segment !== "");
  const first = segments[0];
  if (first === undefined || /%(?![0-9A-Fa-f]{2})/.test(first)) return { resolved, first: null };
  const decoded = first.replace(/%([0-9A-Fa-f]{2})/g, (encoded, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : encoded.toUpperCase();
  });
  return { resolved, first: decoded };
}

const segment = fc.constantFrom(
  "admin",
  "ADMIN",
  "%61dmin",
  "%61%64%6D%69%6E",
  "adm%69n",
  "public",
  "x",
  "",
  ".",
  "..",
  "%2e",
  "%2E%2e",
  ".%2E",
  "%2e.",
  "...",
  "admin%2F",
  "%2F",
  "%5C",
  "admin;x",
  "%zz",
  "a\\b",
);

describe("mount: no spelling of a path under /admin reaches another app", () => {
  it("holds for generated paths: the app chosen is the one both spellings name, or the request is refused", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 7 }), async (segments) => {
        const raw = `/${segments.join("/")}`;
        const request: GatewayRequest = Object.freeze({
          method: "GET",
          scheme: "http",
          authority: "example.test",
          basePath: "",
          path: raw,
          query: "",
          headers: Object.freeze({}),
          body: null,
          signal: new AbortController().signal,
          env: Object.freeze({}),
        });
        const expected = oracle(raw);
        const owner = expected.first === "admin" ? "admin" : expected.first === "public" ? "public" : "fallback";
        if (owner !== literalOwner(raw)) {
          expect(() => app(request)).toThrow(expect.objectContaining({ code: "GW_ERR_AMBIGUOUS_PATH", status: 400 }));
          return;
        }
        const seen = JSON.parse((await app(request)).body as string) as Seen;
        expect(seen.app).toBe(owner);
        // What the app saw is the normalized path, and the raw one is kept when they differ.
        expect(seen.basePath + seen.path).toBe(expected.resolved);
        expect(seen.rawPath).toBe(expected.resolved === raw ? null : raw);
      }),
      { numRuns: 2000 },
    );
  });
});
