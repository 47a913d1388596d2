import { describe, expect, it } from "vitest";
import { GatewayError } from "./errors.js";
import { mount } from "./mount.js";
import { isPass, json, text } from "./response.js";
import type { GatewayApp, GatewayEnv, GatewayRequest, GatewayResponse } from "./types.js";

interface Seen {
  app: string;
  basePath: string;
  path: string;
  query: string;
  rawPath: string | null;
}

/** An app that answers with what it saw. */
function recorder(name: string): GatewayApp {
  return (request) =>
    json({
      app: name,
      basePath: request.basePath,
      path: request.path,
      query: request.query,
      rawPath: request.env["gangway.rawPath"] ?? null,
    });
}

/** A frozen request, so any mutation by mount throws (rule 13). */
function requestFor(path: string, basePath = "", env: GatewayEnv = { "gangway.version": "1.0" }): GatewayRequest {
  return Object.freeze({
    method: "GET",
    scheme: "http",
    authority: "example.test",
    basePath,
    path,
    query: "q=%2F1",
    headers: Object.freeze({ host: "example.test" }),
    body: null,
    signal: new AbortController().signal,
    env: Object.freeze({ ...env }),
  });
}

async function seenBy(app: GatewayApp, request: GatewayRequest): Promise<Seen> {
  const response = await app(request);
  return JSON.parse(response.body as string) as Seen;
}

function invalidApp(run: () => unknown): boolean {
  try {
    run();
  } catch (error) {
    return GatewayError.is(error, "GW_ERR_INVALID_APP");
  }
  return false;
}

const routes = { "/api": recorder("A"), "/api/v2": recorder("B"), "/admin": recorder("C") };
const app = mount(routes, recorder("F"));

describe("mount: dispatch on the normalized view of the path (rules 29, 33)", () => {
  it.each([
    // path, app, basePath, path seen, gangway.rawPath
    ["/api", "A", "/api", "", null],
    ["/api/", "A", "/api", "/", null],
    ["/api/x", "A", "/api", "/x", null],
    ["/apix", "F", "", "/apix", null],
    ["/api/v2/users", "B", "/api/v2", "/users", null],
    ["/api/v2", "B", "/api/v2", "", null],
    ["/api/v2x", "A", "/api", "/v2x", null],
    ["/", "F", "", "/", null],
    ["*", "F", "", "*", null],
    // (a) unreserved escapes decode for matching, in either hex case; the spelling is kept
    ["/api/%78", "A", "/api", "/%78", null],
    ["/api/v2/%75sers", "B", "/api/v2", "/%75sers", null],
    ["/%41pi/x", "F", "", "/%41pi/x", null],
    // (b) only "/" separates
    ["/api%2Fx", "F", "", "/api%2Fx", null],
    ["/api%2fx", "F", "", "/api%2fx", null],
    ["/api/v2%2Fusers", "A", "/api", "/v2%2Fusers", null],
    ["/api%5Cx", "F", "", "/api%5Cx", null],
    ["/api%5cx", "F", "", "/api%5cx", null],
    ["/api\\x", "F", "", "/api\\x", null],
    ["/api\\v2/x", "F", "", "/api\\v2/x", null],
    // (c) repeated slashes count as one; the raw text stays in path
    ["/api//x", "A", "/api", "//x", null],
    ["/api/v2//users", "B", "/api/v2", "//users", null],
    // (d) dot segments are resolved, and every app gets the resolved path
    ["/api/./x/../y", "A", "/api", "/y", "/api/./x/../y"],
    ["/api/%2e/x", "A", "/api", "/x", "/api/%2e/x"],
    ["/x/../api/v2/../../admin/../nope", "F", "", "/nope", "/x/../api/v2/../../admin/../nope"],
    // (e) case-sensitive by default
    ["/API/x", "F", "", "/API/x", null],
    ["/Admin", "F", "", "/Admin", null],
    // (f) a malformed escape never matches a prefix segment, but only the compared segments matter
    ["/%zzapi", "F", "", "/%zzapi", null],
    ["/api%zz", "F", "", "/api%zz", null],
    ["/%6", "F", "", "/%6", null],
    ["/api/%zz", "A", "/api", "/%zz", null],
    // ";" is an ordinary segment character
    ["/admin;x", "F", "", "/admin;x", null],
    ["/admin;x/y", "F", "", "/admin;x/y", null],
  ])("%j → %s, basePath %j, path %j, rawPath %j", async (path, name, basePath, rest, rawPath) => {
    const request = requestFor(path);
    const seen = await seenBy(app, request);
    expect(seen).toEqual({ app: name, basePath, path: rest, query: "q=%2F1", rawPath });
    // The caller's request is unchanged (it is frozen too, so assigning would have thrown).
    expect(request.path).toBe(path);
    expect(request.basePath).toBe("");
    expect(request.env["gangway.rawPath"]).toBeUndefined();
  });

  it.each([
    ["/API/x", "A", "/API", "/x"],
    ["/Api/V2/users", "B", "/Api/V2", "/users"],
    ["/ADMIN;x", "F", "", "/ADMIN;x"],
    ["/ADMIN/x/%2E%2E/y", "C", "/ADMIN", "/y"],
  ])("with caseSensitive: false, %j → %s, basePath %j, path %j", async (path, name, basePath, rest) => {
    const insensitive = mount(routes, recorder("F"), { caseSensitive: false });
    expect(await seenBy(insensitive, requestFor(path))).toMatchObject({ app: name, basePath, path: rest });
  });

  // (g) the raw spelling and the normalized view must name the same app: a guard in front of
  // Gangway that read the raw path would otherwise be bypassed one way or the other.
  it.each([
    // path, the app its raw spelling names, the app its normalized view names
    ["/%61pi/x", "F", "A"],
    ["/%61%70%69", "F", "A"],
    ["/api/%76%32/users", "A", "B"],
    ["//api/x", "F", "A"],
    ["/api//v2//users", "A", "B"],
    ["///admin", "F", "C"],
    ["/api/../admin", "A", "C"],
    ["/api/%2e%2e/admin", "A", "C"],
    ["/api/%2E%2E/admin", "A", "C"],
    ["/api/.%2e/admin", "A", "C"],
    ["/api/%2e./admin/x", "A", "C"],
    ["/../api/x", "F", "A"],
    ["/admin/..", "C", "F"],
  ])("refuses %j (raw: %s, normalized: %s) with GW_ERR_AMBIGUOUS_PATH, 400", (path) => {
    let thrown: unknown;
    try {
      app(requestFor(path));
    } catch (error) {
      thrown = error;
    }
    expect(GatewayError.is(thrown, "GW_ERR_AMBIGUOUS_PATH")).toBe(true);
    expect((thrown as GatewayError).status).toBe(400);
  });

  it("refuses an ambiguous path with caseSensitive: false too", () => {
    const insensitive = mount(routes, recorder("F"), { caseSensitive: false });
    expect(() => insensitive(requestFor("/%41PI"))).toThrow(expect.objectContaining({ code: "GW_ERR_AMBIGUOUS_PATH" }));
    expect(() => insensitive(requestFor("//AdMiN/%2E%2E/API"))).toThrow(
      expect.objectContaining({ code: "GW_ERR_AMBIGUOUS_PATH" }),
    );
  });

  it("matches a prefix written with upper- or lower-case hex in either spelling, and refuses an escaped unreserved character in a prefix", async () => {
    const spelled = mount({ "/caf%c3%a9": recorder("E") }, recorder("F"));
    expect(await seenBy(spelled, requestFor("/caf%C3%A9"))).toMatchObject({ app: "E", basePath: "/caf%C3%A9" });
    expect(await seenBy(spelled, requestFor("/caf%c3%a9/x"))).toMatchObject({ app: "E", basePath: "/caf%c3%a9" });
    expect(await seenBy(spelled, requestFor("/café"))).toMatchObject({ app: "F" });
    expect(() => mount({ "/%61pi": recorder("A") })).toThrow(/escapes an unreserved character: write api/);
  });

  it("accumulates basePath across nested mounts", async () => {
    const nested = mount({ "/v1": mount({ "/users": recorder("U") }, recorder("V")) });
    expect(await seenBy(nested, requestFor("/v1/users/7"))).toMatchObject({
      app: "U",
      basePath: "/v1/users",
      path: "/7",
    });
    expect(await seenBy(nested, requestFor("/v1/teams"))).toMatchObject({ app: "V", basePath: "/v1", path: "/teams" });
    expect(await seenBy(nested, requestFor("/v1/x/../users/7"))).toEqual({
      app: "U",
      basePath: "/v1/users",
      path: "/7",
      query: "q=%2F1",
      rawPath: "/v1/x/../users/7",
    });
  });

  it("resolves dot segments only below its own basePath, and keeps a rawPath an outer mount set", async () => {
    const inner = mount({ "/users": recorder("U") }, recorder("F"));
    const request = requestFor("/users/x/../../users/7", "/v1", { "gangway.rawPath": "/outer/raw" });
    expect(await seenBy(inner, request)).toMatchObject({
      app: "U",
      basePath: "/v1/users",
      path: "/7",
      rawPath: "/outer/raw",
    });
    const fresh = requestFor("/users/../../users", "/v1");
    expect(await seenBy(inner, fresh)).toMatchObject({
      app: "U",
      basePath: "/v1/users",
      path: "",
      rawPath: "/v1/users/../../users",
    });
  });

  it("hands the fallback the very request it got when nothing was rewritten", async () => {
    let received: GatewayRequest | undefined;
    const fallback: GatewayApp = (request) => {
      received = request;
      return text("fallback");
    };
    const request = requestFor("/elsewhere");
    await mount(routes, fallback)(request);
    expect(received).toBe(request);
  });

  it("answers pass() when nothing matches and there is no fallback", async () => {
    const bare = mount(routes);
    const response = (await bare(requestFor("/elsewhere"))) as GatewayResponse;
    expect(response.status).toBe(404);
    expect(isPass(response)).toBe(true);
    expect(isPass(await bare(requestFor("/x/../nope")))).toBe(true);
    expect(await seenBy(bare, requestFor("/api"))).toMatchObject({ app: "A" });
  });

  it("dispatches with no routes at all to the fallback", async () => {
    expect(await seenBy(mount({}, recorder("F")), requestFor("/x"))).toMatchObject({ app: "F", path: "/x" });
  });

  it("lets errors from the chosen app propagate", async () => {
    const failure = new Error("boom");
    const failing = mount({
      "/sync": () => {
        throw failure;
      },
      "/async": async () => {
        throw failure;
      },
    });
    expect(() => failing(requestFor("/sync"))).toThrow(failure);
    await expect(failing(requestFor("/async"))).rejects.toBe(failure);
  });
});

describe("mount: checks its routes when it is created", () => {
  it.each([["api"], [""], ["/"], ["/api/"], ["/a//b"], ["/a/../b"], ["/a/%2e"], ["/%zz"], ["/a%4"]])(
    "throws a TypeError for the prefix %j",
    (prefix) => {
      expect(() => mount({ [prefix]: recorder("A") })).toThrow(TypeError);
    },
  );

  it("throws a TypeError for two prefixes that match the same paths", () => {
    expect(() => mount({ "/api": recorder("A"), "/%61pi": recorder("B") })).toThrow(TypeError);
    expect(() => mount({ "/api": recorder("A"), "/API": recorder("B") })).not.toThrow();
    expect(() => mount({ "/api": recorder("A"), "/API": recorder("B") }, undefined, { caseSensitive: false })).toThrow(
      TypeError,
    );
  });

  it("throws a TypeError for routes that are not an object and options of the wrong type", () => {
    expect(() => mount(null as unknown as Record<string, GatewayApp>)).toThrow(TypeError);
    expect(() => mount([] as unknown as Record<string, GatewayApp>)).toThrow(TypeError);
    expect(() => mount({}, undefined, { caseSensitive: "no" as unknown as boolean })).toThrow(TypeError);
  });

  it("throws GW_ERR_INVALID_APP for an app or fallback that is not a function", () => {
    expect(invalidApp(() => mount({ "/api": "./api.js" as unknown as GatewayApp }))).toBe(true);
    expect(invalidApp(() => mount({}, {} as GatewayApp))).toBe(true);
  });
});

describe("mount: lifecycle hooks (rule 31)", () => {
  it("runs the hooks of every app it holds, routes in the order given, then the fallback", async () => {
    const calls: string[] = [];
    const hooked = (name: string): GatewayApp =>
      Object.assign(recorder(name), {
        startup: () => void calls.push(`start ${name}`),
        shutdown: () => void calls.push(`stop ${name}`),
      });
    const shared = hooked("shared");
    const mounted = mount({ "/a": hooked("a"), "/a/b": shared, "/c": shared }, hooked("fallback"));
    await mounted.startup?.();
    await mounted.shutdown?.();
    expect(calls).toEqual(["start a", "start shared", "start fallback", "stop fallback", "stop shared", "stop a"]);
  });
});
