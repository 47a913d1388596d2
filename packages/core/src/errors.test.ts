import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCatalogue, GatewayError } from "./errors.js";
import { lintRules } from "./validate/index.js";

const catalogueDoc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

describe("the error catalogue", () => {
  it("documents every code in docs/errors.md, and documents no code that does not exist", () => {
    const documented = new Set(catalogueDoc.match(/`GW_ERR_[A-Z_]+`/g)?.map((code) => code.slice(1, -1)));
    expect([...documented].sort()).toEqual(Object.keys(errorCatalogue).sort());
  });

  it("documents every validate() lint code in docs/errors.md, and no code that does not exist", () => {
    const documented = new Set(catalogueDoc.match(/`GW_LINT_[A-Z_]+`/g)?.map((code) => code.slice(1, -1)));
    expect([...documented].sort()).toEqual(Object.keys(lintRules).sort());
  });

  it("gives each error its catalogued status and rule, and exposes only client errors", () => {
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      const error = new GatewayError(code as keyof typeof errorCatalogue);
      expect(error.code).toBe(code);
      expect(error.status).toBe(entry.status);
      expect(error.rule).toBe(entry.rule);
      expect(error.expose).toBe(entry.status < 500);
    }
  });

  it("recognises gateway errors by name and code, across copies of the module", () => {
    const foreign = Object.assign(new Error("x"), { name: "GatewayError", code: "GW_ERR_BODY_USED" });
    expect(GatewayError.is(foreign)).toBe(true);
    expect(GatewayError.is(foreign, "GW_ERR_BODY_USED")).toBe(true);
    expect(GatewayError.is(foreign, "GW_ERR_BODY_INVALID")).toBe(false);
    expect(GatewayError.is(Object.assign(new Error("x"), { code: "GW_ERR_BODY_USED" }))).toBe(false);
    expect(GatewayError.is(null)).toBe(false);
  });

  it("keeps the cause and lets a caller override the status", () => {
    const cause = new Error("inner");
    const error = new GatewayError("GW_ERR_BODY_INVALID", "detail", { cause, status: 415 });
    expect(error.cause).toBe(cause);
    expect(error.status).toBe(415);
    expect(error.message).toContain("detail");
  });
});
