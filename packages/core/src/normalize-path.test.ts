import { describe, expect, it } from "vitest";
import {
  isPlainPath,
  removeDotSegments,
  toLiteralKeys,
  toLowerAscii,
  toPathView,
  toSegmentKey,
} from "./normalize-path.js";

describe("toSegmentKey", () => {
  it.each([
    ["api", true, "api"],
    ["%61pi", true, "api"],
    ["%61%70%69", true, "api"],
    ["%2d%2E%5f%7E", true, "-._~"],
    ["%41PI", true, "API"],
    ["v2%2fusers", true, "v2%2Fusers"],
    ["a%5cb", true, "a%5Cb"],
    ["a\\b", true, "a\\b"],
    ["caf%c3%a9", true, "caf%C3%A9"],
    ["admin;x", true, "admin;x"],
    ["API", false, "api"],
    ["%41pi", false, "api"],
    ["a%2Fb", false, "a%2fb"],
    ["%zz", true, null],
    ["a%4", true, null],
    ["ok%", true, null],
    ["%61%g1", true, null],
  ])("%j (caseSensitive %j) → %j", (segment, caseSensitive, key) => {
    expect(toSegmentKey(segment, caseSensitive)).toBe(key);
  });
});

describe("toPathView", () => {
  it("keys the non-empty segments and records where each ends in the raw text", () => {
    expect(toPathView("//api//x/")).toEqual({ path: "//api//x/", rewritten: false, keys: ["api", "x"], ends: [5, 8] });
  });

  it("has no segments for a path that does not start with a slash", () => {
    expect(toPathView("*")).toEqual({ path: "*", rewritten: false, keys: [], ends: [] });
    expect(toPathView("")).toEqual({ path: "", rewritten: false, keys: [], ends: [] });
  });

  it.each([
    ["/api/../admin", "/admin"],
    ["/api/%2e%2e/admin", "/admin"],
    ["/api/%2E%2E/admin", "/admin"],
    ["/api/.%2e/admin", "/admin"],
    ["/api/%2e./admin", "/admin"],
    ["/api/./x/../y", "/api/y"],
    ["/api/%2e/x", "/api/x"],
    ["/../api/x", "/api/x"],
    ["/../../..", "/"],
    ["/a/..", "/"],
    ["/a/.", "/a/"],
    ["/a//../b", "/a/b"],
    ["/a/%zz/../b%2F..", "/a/b%2F.."],
  ])("resolves the dot segments of %j to %j", (raw, resolved) => {
    const view = toPathView(raw);
    expect(view.path).toBe(resolved);
    expect(view.rewritten).toBe(true);
  });

  it("keeps `...`, `.x` and escaped slashes next to dots as ordinary segments", () => {
    for (const raw of ["/.../x", "/.well-known/x", "/a/..%2Fb", "/a\\..\\b"]) {
      expect(toPathView(raw)).toMatchObject({ path: raw, rewritten: false });
    }
  });

  it("gives a segment with a malformed escape the key null", () => {
    expect(toPathView("/%zzapi/x").keys).toEqual([null, "x"]);
  });
});

describe("toLiteralKeys", () => {
  it.each([
    ["/api/x", true, ["api", "x"]],
    ["//api", true, ["", "api"]],
    ["/%61pi/%2e%2E/caf%c3%a9", true, ["%61pi", "%2E%2E", "caf%C3%A9"]],
    ["/API/%4A", false, ["api", "%4a"]],
    ["/api/../admin", true, ["api", "..", "admin"]],
    ["/%zz", true, [null]],
    ["/", true, [""]],
    ["*", true, []],
  ])("%j (caseSensitive %s) reads literally as %j", (path, caseSensitive, keys) => {
    expect(toLiteralKeys(path, caseSensitive)).toEqual(keys);
  });
});

describe("removeDotSegments", () => {
  it("follows RFC 3986 §5.2.4 and keeps other segments as spelled", () => {
    expect(removeDotSegments("/a/b/c/./../../g")).toBe("/a/g");
    expect(removeDotSegments("/%41/B/../%2e/c")).toBe("/%41/c");
  });
});

describe("isPlainPath", () => {
  it.each([
    ["/api/users/7", true],
    ["/", true],
    ["*", true],
    ["/a.b/c.", true],
    ["/api/%61", false],
    ["/api\\x", false],
    ["//api", false],
    ["/api//x", false],
    ["/./x", false],
    ["/.well-known", false],
  ])("%j → %j", (path, plain) => {
    expect(isPlainPath(path)).toBe(plain);
  });
});

describe("toLowerAscii", () => {
  it("lower-cases ASCII letters only", () => {
    expect(toLowerAscii("/API/İ\u212A")).toBe("/api/İ\u212A");
  });
});
