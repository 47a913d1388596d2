import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { toMountPoint } from "./mount-point.js";

const req = (url: string, baseUrl?: string) => ({ url, method: "GET", baseUrl }) as unknown as IncomingMessage;

describe("toMountPoint", () => {
  it("splits at the prefix: exactly the prefix gives an empty path, a trailing slash gives /", () => {
    expect(toMountPoint(req("/legacy"), "/legacy")).toEqual({ basePath: "/legacy", path: "", query: "" });
    expect(toMountPoint(req("/legacy/"), "/legacy")).toEqual({ basePath: "/legacy", path: "/", query: "" });
    expect(toMountPoint(req("/legacy/a%2Fb?x=1"), "/legacy")).toEqual({
      basePath: "/legacy",
      path: "/a%2Fb",
      query: "x=1",
    });
  });

  it("keeps the root path as it is", () => {
    expect(toMountPoint(req("/a/b?q"), "")).toEqual({ basePath: "", path: "/a/b", query: "q" });
    expect(toMountPoint(req("/"), "")).toEqual({ basePath: "", path: "/", query: "" });
  });

  it("moves the prefix as the client spelled it when the router matched another spelling", () => {
    expect(toMountPoint(req("/%61pi/x"), "/api")).toMatchObject({ basePath: "/%61pi", path: "/x" });
    expect(toMountPoint(req("/API/x"), "/api")).toMatchObject({ basePath: "/API", path: "/x" });
    expect(toMountPoint(req("//api//v1/x"), "/api/v1")).toMatchObject({ basePath: "//api//v1", path: "/x" });
  });

  it("puts the mount prefix the Node request carries in front", () => {
    expect(toMountPoint(req("/legacy/x", "/outer"), "/legacy")).toMatchObject({
      basePath: "/outer/legacy",
      path: "/x",
    });
    expect(toMountPoint(req("/", "/outer"), "")).toMatchObject({ basePath: "/outer", path: "/" });
  });

  it("reports the authority of an absolute-form target", () => {
    expect(toMountPoint(req("http://example.com/legacy/x"), "/legacy")).toEqual({
      basePath: "/legacy",
      path: "/x",
      query: "",
      authority: "example.com",
    });
  });

  it("without a prefix, still reduces absolute-form targets and refuses fragments as splitTarget does", () => {
    expect(toMountPoint(req("http://example.com/x?y"), "")).toEqual({
      basePath: "",
      path: "/x",
      query: "y",
      authority: "example.com",
    });
    expect(() => toMountPoint(req("/x#frag"), "")).toThrow(expect.objectContaining({ code: "GW_ERR_INVALID_URL" }));
    expect(toMountPoint(req("/x?a?b", "/outer"), "")).toEqual({ basePath: "/outer", path: "/x", query: "a?b" });
  });
});
