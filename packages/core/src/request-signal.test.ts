import { describe, expect, it } from "vitest";
import { defineLazySignal, deriveRequest, isAborted, onAbort } from "./request-signal.js";
import type { GatewayRequest } from "./types.js";

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

describe("deriveRequest", () => {
  function serverRequest() {
    let made = 0;
    let controller: AbortController | undefined;
    const request = defineLazySignal(
      {
        method: "GET",
        scheme: "http",
        authority: "example.test",
        basePath: "",
        path: "/api/x",
        query: "a=1",
        headers: {},
        body: null,
        env: { "gangway.version": "1.0" },
      },
      () => {
        if (controller === undefined) {
          made++;
          controller = new AbortController();
        }
        return controller.signal;
      },
    ) as GatewayRequest;
    return { request, made: () => made, abort: () => controller?.abort() };
  }

  it("applies the changes, keeps every other field, and leaves the signal unmade until read", () => {
    const { request, made, abort } = serverRequest();
    const derived = deriveRequest(request, { basePath: "/api", path: "/x" });
    expect(made()).toBe(0);
    expect({ ...derived, signal: undefined }).toEqual({ ...request, signal: undefined, basePath: "/api", path: "/x" });
    expect(request.path).toBe("/api/x");
    const signal = derived.signal;
    expect(made()).toBe(1);
    expect(request.signal).toBe(signal);
    abort();
    expect(derived.signal.aborted).toBe(true);
  });

  it("keeps a signal given in the changes, or one a spread already made plain", () => {
    const { request } = serverRequest();
    const other = new AbortController().signal;
    expect(deriveRequest(request, { signal: other }).signal).toBe(other);
    const spread = { ...request, path: "/y" };
    expect(deriveRequest(spread, { path: "/z" }).signal).toBe(spread.signal);
  });

  it("works from a frozen request", () => {
    const { request } = serverRequest();
    Object.freeze(request);
    expect(deriveRequest(request, { path: "/" }).signal.aborted).toBe(false);
  });
});

describe("onAbort", () => {
  /** A source that counts the signals it made and can be aborted without making one. */
  function watchable() {
    let controller: AbortController | undefined;
    let listeners: (() => void)[] = [];
    let aborted = false;
    const source = {
      made: 0,
      get aborted() {
        return aborted;
      },
      signal() {
        if (controller === undefined) {
          source.made++;
          controller = new AbortController();
          if (aborted) controller.abort();
        }
        return controller.signal;
      },
      onAbort(listener: () => void) {
        if (aborted) {
          listener();
          return () => {};
        }
        listeners.push(listener);
        return () => {
          listeners = listeners.filter((other) => other !== listener);
        };
      },
    };
    const abort = () => {
      aborted = true;
      controller?.abort();
      for (const listener of listeners.splice(0)) listener();
    };
    return { source, abort, request: () => defineLazySignal({ path: "/" }, source) as unknown as GatewayRequest };
  }

  it("hears a source that can be watched without making the signal, also through deriveRequest", () => {
    const { source, abort, request } = watchable();
    const heard: string[] = [];
    expect(isAborted(request())).toBe(false);
    onAbort(request(), () => heard.push("request"));
    onAbort(deriveRequest(request(), { path: "/x" }), () => heard.push("derived"));
    const stop = onAbort(request(), () => heard.push("stopped"));
    stop();
    expect(source.made).toBe(0);
    abort();
    expect(heard).toEqual(["request", "derived"]);
    expect(isAborted(request())).toBe(true);
    expect(source.made).toBe(0);
    onAbort(request(), () => heard.push("late"));
    expect(heard).toEqual(["request", "derived", "late"]);
  });

  it("listens to the signal itself when it was made, replaced, or given as a plain function", () => {
    const heard: string[] = [];
    const { source, abort, request } = watchable();
    // A spread made the signal plain: the same one, heard through its event.
    onAbort({ ...request() }, () => heard.push("spread"));
    expect(source.made).toBe(1);
    // A user's own signal replaces ours: that one is the request's signal now.
    const own = new AbortController();
    onAbort({ ...request(), signal: own.signal }, () => heard.push("own"));
    const plain = new AbortController();
    const stop = onAbort(defineLazySignal({ path: "/" }, () => plain.signal) as unknown as GatewayRequest, () =>
      heard.push("stopped"),
    );
    stop();
    plain.abort();
    abort();
    expect(heard).toEqual(["spread"]);
    expect(isAborted({ ...request(), signal: own.signal })).toBe(false);
    own.abort();
    expect(heard).toEqual(["spread", "own"]);
    onAbort({ ...request(), signal: own.signal }, () => heard.push("already"));
    expect(heard).toEqual(["spread", "own", "already"]);
  });
});
