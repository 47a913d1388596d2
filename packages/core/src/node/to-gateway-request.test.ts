import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { defineLazySignal, splitTarget } from "./to-gateway-request.js";

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

describe("defineLazySignal", () => {
  function lazy() {
    let made = 0;
    let controller: AbortController | undefined;
    const request = defineLazySignal({ path: "/" }, () => {
      if (controller === undefined) {
        made++;
        controller = new AbortController();
      }
      return controller.signal;
    });
    return { request, abort: () => controller?.abort(), made: () => made };
  }

  it("makes the signal on first read only, and hands out the same one after", () => {
    const { request, made } = lazy();
    expect(made()).toBe(0);
    const first = request.signal;
    expect(request.signal).toBe(first);
    expect(made()).toBe(1);
    expect({ ...request }.signal).toBe(first);
  });

  it("works on a frozen request and through a derived one read first", () => {
    const frozen = lazy();
    Object.freeze(frozen.request);
    expect(frozen.request.signal.aborted).toBe(false);
    const derived = lazy();
    const child = Object.create(derived.request) as typeof derived.request;
    const seen = child.signal;
    derived.abort();
    expect(seen.aborted).toBe(true);
    expect(derived.request.signal).toBe(seen);
  });
});
