import { describe, expect, it } from "vitest";
import { compose, withLifecycle } from "./compose.js";
import { GatewayError } from "./errors.js";
import { inject } from "./inject.js";
import { text } from "./response.js";
import type { GatewayApp, Middleware } from "./types.js";

function tracing(name: string, trace: string[]): Middleware {
  return (next) => async (request) => {
    trace.push(`${name} in`);
    const response = await next(request);
    trace.push(`${name} out`);
    return response;
  };
}

describe("compose", () => {
  it("makes the first middleware outermost: compose(a, b, c)(app) is a(b(c(app)))", async () => {
    const trace: string[] = [];
    const app: GatewayApp = () => {
      trace.push("app");
      return text("ok");
    };
    const stack = compose(tracing("a", trace), tracing("b", trace), tracing("c", trace));
    const response = await inject(stack(app));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
    expect(trace).toEqual(["a in", "b in", "c in", "app", "c out", "b out", "a out"]);
  });

  it("wraps innermost first, each middleware once, when the app is built", () => {
    const order: string[] = [];
    const named =
      (name: string): Middleware =>
      (next) => {
        order.push(name);
        return next;
      };
    compose(named("a"), named("b"), named("c"))(() => text("ok"));
    expect(order).toEqual(["c", "b", "a"]);
  });

  it("is the identity with no middleware", () => {
    const app: GatewayApp = () => text("ok");
    expect(compose()(app)).toBe(app);
  });

  it("throws a TypeError naming the index of a non-function, at composition time", () => {
    const ok: Middleware = (next) => next;
    expect(() => compose(ok, "logger" as unknown as Middleware)).toThrow(TypeError);
    expect(() => compose(ok, "logger" as unknown as Middleware)).toThrow(/index 1 is a string/);
    expect(() => compose(null as unknown as Middleware)).toThrow(/index 0 is null/);
  });

  it("rejects a non-function app with GW_ERR_INVALID_APP when the stack is applied", () => {
    const stack = compose((next) => next);
    let caught: unknown;
    try {
      stack({} as GatewayApp);
    } catch (error) {
      caught = error;
    }
    expect(GatewayError.is(caught, "GW_ERR_INVALID_APP")).toBe(true);
  });

  it("carries the inner app's lifecycle hooks past middleware that drops them", async () => {
    const calls: string[] = [];
    const app: GatewayApp = Object.assign(() => text("ok"), {
      startup: () => void calls.push("startup"),
      shutdown: () => void calls.push("shutdown"),
    });
    const forgetful: Middleware = (next) => (request) => next(request);
    const composed = compose(forgetful)(app);
    await composed.startup?.();
    await composed.shutdown?.();
    expect(calls).toEqual(["startup", "shutdown"]);
    expect((await inject(composed)).status).toBe(200);
  });

  it("returns the stack's product itself when it already has the hooks", () => {
    const app: GatewayApp = Object.assign(() => text("ok"), { startup: () => {} });
    const faithful: Middleware = (next) => Object.assign((request: Parameters<GatewayApp>[0]) => next(request), next);
    const product = faithful(app);
    expect(compose(() => product)(app)).toBe(product);
  });
});

describe("withLifecycle", () => {
  const hooked = (name: string, calls: string[], failure?: Error): GatewayApp =>
    Object.assign(() => text(name), {
      startup: async () => {
        calls.push(`start ${name}`);
        if (failure) throw failure;
      },
      shutdown: async () => void calls.push(`stop ${name}`),
    });

  it("starts in order of appearance, each distinct hook once, and shuts down in reverse", async () => {
    const calls: string[] = [];
    const a = hooked("a", calls);
    const b = hooked("b", calls);
    const plain: GatewayApp = () => text("plain");
    const combined = withLifecycle(() => text("x"), [a, plain, b, a]);
    await combined.startup?.();
    await combined.shutdown?.();
    expect(calls).toEqual(["start a", "start b", "stop b", "stop a"]);
  });

  it("shuts down what already started when a startup fails, then rejects with that error", async () => {
    const calls: string[] = [];
    const failure = new Error("b failed");
    const combined = withLifecycle(
      () => text("x"),
      [hooked("a", calls), hooked("b", calls, failure), hooked("c", calls)],
    );
    await expect(combined.startup?.()).rejects.toBe(failure);
    expect(calls).toEqual(["start a", "start b", "stop a"]);
  });

  it("adds no hooks when no part has any", () => {
    const combined = withLifecycle(() => text("x"), [() => text("a")]);
    expect(combined.startup).toBeUndefined();
    expect(combined.shutdown).toBeUndefined();
  });
});
