import { afterEach, describe, expect, it, vi } from "vitest";
import { GatewayError } from "../errors.js";
import { inject } from "../inject.js";
import { readText } from "../read-body.js";
import { json, pass, redirect, text } from "../response.js";
import type { GatewayApp } from "../types.js";
import { LintError, type LintIssue, validate } from "./index.js";

const hopByHop: GatewayApp = () => ({ status: 200, headers: { "content-type": "text/plain", te: "x" }, body: "x" });

describe("validate()", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("throws GW_ERR_INVALID_APP at once for something that is not an app", () => {
    for (const notAnApp of [undefined, null, "app", { fetch() {} }, Promise.resolve(text("x"))]) {
      let caught: unknown;
      try {
        validate(notAnApp as unknown as GatewayApp);
      } catch (error) {
        caught = error;
      }
      expect(GatewayError.is(caught, "GW_ERR_INVALID_APP")).toBe(true);
    }
  });

  it("throws a TypeError at once for bad options", () => {
    const app: GatewayApp = () => text("x");
    expect(() => validate(app, { level: "loud" as "warn" })).toThrow(TypeError);
    expect(() => validate(app, { onWarning: "console" as unknown as () => void })).toThrow(TypeError);
    expect(() => validate(app, { finishTimeout: -1 })).toThrow(TypeError);
  });

  it('returns the app itself at level "off"', () => {
    const app: GatewayApp = () => text("x");
    expect(validate(app, { level: "off" })).toBe(app);
  });

  it("carries the app's lifecycle hooks (rule 28)", () => {
    const startup = async () => {};
    const shutdown = async () => {};
    const app: GatewayApp = Object.assign(() => text("x"), { startup, shutdown });
    const validated = validate(app);
    expect(validated).not.toBe(app);
    expect(validated.startup).toBe(startup);
    expect(validated.shutdown).toBe(shutdown);
  });

  it("throws a LintError with a stable code and the rule it breaks, cited in the message", async () => {
    const caught = await inject(validate(hopByHop)).catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(LintError);
    expect(caught).toMatchObject({ name: "LintError", code: "GW_LINT_HOP_BY_HOP", rule: 16 });
    // Rule 32: every message cites its rule number.
    expect((caught as LintError).message).toContain("rule 16");
  });

  it("recognises lint errors by name and code, across copies of the module", () => {
    const foreign = Object.assign(new Error("x"), { name: "LintError", code: "GW_LINT_STATUS" });
    expect(LintError.is(foreign)).toBe(true);
    expect(LintError.is(foreign, "GW_LINT_STATUS")).toBe(true);
    expect(LintError.is(foreign, "GW_LINT_CHUNK")).toBe(false);
    expect(LintError.is(Object.assign(new Error("x"), { name: "LintError", code: "GW_LINT_NOPE" }))).toBe(false);
    expect(LintError.is(new GatewayError("GW_ERR_BODY_USED"))).toBe(false);
    expect(LintError.is(undefined)).toBe(false);
  });

  it("sends warnings to console.warn unless told otherwise", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const response = await inject(validate(() => ({ status: 200, body: "untyped" })));
    expect(await response.text()).toBe("untyped");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain("GW_LINT_NO_CONTENT_TYPE");
  });

  it("survives an onWarning that throws: a warning never becomes an app error", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const app = validate(() => ({ status: 200, body: "untyped" }), {
      onWarning: () => {
        throw new Error("hook failed");
      },
    });
    expect((await inject(app)).status).toBe(200);
  });

  it("lets the app's own errors through unchanged", async () => {
    const boom = new Error("boom");
    const sync = validate(() => {
      throw boom;
    });
    const async = validate(async () => {
      throw boom;
    });
    await expect(inject(sync)).rejects.toBe(boom);
    await expect(inject(async)).rejects.toBe(boom);
  });

  it('hands every finding to onWarning at level "warn", with its severity', async () => {
    const issues: LintIssue[] = [];
    const app = validate(() => ({ status: 200, headers: { te: "x" }, body: "x" }), {
      level: "warn",
      onWarning: (issue) => issues.push(issue),
    });
    const response = await inject(app);
    expect(response.status).toBe(200);
    expect(issues.map(({ code, rule, severity }) => ({ code, rule, severity }))).toEqual([
      { code: "GW_LINT_HOP_BY_HOP", rule: 16, severity: "error" },
      { code: "GW_LINT_NO_CONTENT_TYPE", rule: 20, severity: "warning" },
    ]);
  });

  describe("leaves a well-formed app's behaviour unchanged", () => {
    const apps: Record<string, GatewayApp> = {
      text: () => text("hello", { headers: { "set-cookie": ["a=1", "b=2"], "x-n": 7 } }),
      json: () => json({ ok: true }, { status: 201, statusText: "Made" }),
      redirect: (request) => redirect(`${request.basePath}/login`, 303),
      pass: () => pass(),
      echo: async (request) => text(`${request.method} ${request.path}?${request.query} ${await readText(request)}`),
      stream: () => ({
        status: 200,
        headers: { "content-type": "text/plain" },
        body: (async function* () {
          yield new TextEncoder().encode("one,");
          yield new TextEncoder().encode("two");
        })(),
      }),
      readable: () => ({
        status: 200,
        headers: { "content-type": "text/plain" },
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("streamed"));
            controller.close();
          },
        }),
      }),
    };
    for (const [name, app] of Object.entries(apps)) {
      it(name, async () => {
        const issues: LintIssue[] = [];
        const send = { method: "POST", url: "/a%20b?x=1", body: "payload" };
        const plain = await inject(app, send);
        const linted = await inject(validate(app, { onWarning: (issue) => issues.push(issue) }), send);
        expect(linted.status).toBe(plain.status);
        expect(linted.statusText).toBe(plain.statusText);
        expect(linted.headers).toEqual(plain.headers);
        expect(Buffer.compare(await linted.bytes(), await plain.bytes())).toBe(0);
        expect(issues).toEqual([]);
      });
    }
  });
});
