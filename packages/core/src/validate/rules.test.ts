import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LintError } from "./report.js";
import { type LintCode, lintRules, ruleNames, toLintMessage } from "./rules.js";

const errorsDoc = readFileSync(new URL("../../../../docs/errors.md", import.meta.url), "utf8");
const spec = readFileSync(new URL("../../../../docs/spec.md", import.meta.url), "utf8");

describe("the lint code table", () => {
  it("is documented row for row in docs/errors.md: same codes, rules and severities", () => {
    const rows = [...errorsDoc.matchAll(/^\| `(GW_LINT_[A-Z_]+)` *\| (\d+) *\| (error|warning) *\|/gm)].map(
      ([, code, rule, severity]) => ({ code, rule: Number(rule), severity }),
    );
    const table = Object.entries(lintRules).map(([code, { rule, severity }]) => ({ code, rule, severity }));
    expect(rows).toEqual(table);
  });

  it("cites only rules the spec has, each with a short name", () => {
    for (const [code, { rule }] of Object.entries(lintRules)) {
      expect(ruleNames[rule], code).toBeTypeOf("string");
      expect(spec, `rule ${rule} in docs/spec.md`).toMatch(new RegExp(`^### Rule ${rule} — `, "m"));
    }
  });

  it("formats every message as `validate: rule <n> (<name>): <detail>`", () => {
    for (const code of Object.keys(lintRules) as LintCode[]) {
      const error = new LintError(code, "detail");
      expect(error.rule).toBe(lintRules[code].rule);
      expect(error.message).toBe(toLintMessage(code, "detail"));
      expect(error.message.startsWith(`validate: rule ${error.rule} (${ruleNames[error.rule]}): `)).toBe(true);
    }
  });
});
