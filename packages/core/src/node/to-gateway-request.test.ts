import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { splitTarget } from "./to-gateway-request.js";

describe("splitTarget", () => {
  it("splits origin-form targets into raw path and raw query", () => {
    expect(splitTarget("/a%20b/c?x=1&y=%20", "GET")).toEqual({ path: "/a%20b/c", query: "x=1&y=%20" });
    expect(splitTarget("/", "GET")).toEqual({ path: "/", query: "" });
    expect(splitTarget("/p?", "GET")).toEqual({ path: "/p", query: "" });
    expect(splitTarget("/p?a?b", "GET")).toEqual({ path: "/p", query: "a?b" });
  });

  it("reduces absolute-form to origin-form and reports the authority", () => {
    expect(splitTarget("http://example.com:8080/x?y=1", "GET")).toEqual({
      path: "/x",
      query: "y=1",
      authority: "example.com:8080",
    });
    expect(splitTarget("https://example.com", "GET")).toEqual({ path: "/", query: "", authority: "example.com" });
  });

  it("keeps * for OPTIONS only", () => {
    expect(splitTarget("*", "OPTIONS")).toEqual({ path: "*", query: "" });
    expect(() => splitTarget("*", "GET")).toThrow(GatewayError);
  });

  it("refuses targets that are not origin-form, and fragments, with GW_ERR_INVALID_URL", () => {
    for (const target of ["example.com/x", "ftp://x/y", "", "/a#frag"]) {
      const error = (() => {
        try {
          splitTarget(target, "GET");
        } catch (e) {
          return e;
        }
      })();
      expect(GatewayError.is(error, "GW_ERR_INVALID_URL")).toBe(true);
    }
  });
});
