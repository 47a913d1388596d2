import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAppReference, resolveReference } from "./reference.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gangway-reference-"));
  await mkdir(join(dir, "src/api"), { recursive: true });
  await writeFile(join(dir, "src/app.ts"), "export const app = () => ({ status: 200 });\n");
  await writeFile(join(dir, "src/api/index.mjs"), "export default () => ({ status: 200 });\n");
  await writeFile(join(dir, "notes.txt"), "not a module\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("resolveReference", () => {
  it("finds the module as written, with an extension added, or as a directory's index", () => {
    expect(resolveReference("./src/app.ts#app", dir, "argument")).toEqual({
      file: join(dir, "src/app.ts"),
      exportName: "app",
      label: "./src/app.ts#app",
      source: "argument",
    });
    expect(resolveReference("src/app", dir, "argument")).toMatchObject({
      file: join(dir, "src/app.ts"),
      exportName: undefined,
    });
    expect(resolveReference("./src/api#default", dir, "argument").file).toBe(join(dir, "src/api/index.mjs"));
  });

  it.each([
    ["./src/missing.ts", "GW_CLI_MODULE_NOT_FOUND"],
    ["#app", "GW_CLI_BAD_REFERENCE"],
    ["./src/app.ts#create()", "GW_CLI_BAD_REFERENCE"],
    ["./src/app.ts#a.b", "GW_CLI_BAD_REFERENCE"],
    ["./notes.txt", "GW_CLI_BAD_REFERENCE"],
  ])("rejects %s with %s", (text, code) => {
    expect(() => resolveReference(text, dir, "argument")).toThrow(expect.objectContaining({ code, exitCode: 2 }));
  });
});

describe("findAppReference", () => {
  it("takes the argument, then GANGWAY_APP, then package.json", async () => {
    const project = await mkdtemp(join(tmpdir(), "gangway-reference-"));
    try {
      await writeFile(join(project, "a.mjs"), "export default () => ({ status: 200 });\n");
      await writeFile(join(project, "b.mjs"), "export default () => ({ status: 200 });\n");
      await writeFile(join(project, "package.json"), JSON.stringify({ gangway: { app: "./b.mjs" } }));
      const env = { GANGWAY_APP: "./a.mjs" };
      expect(await findAppReference("b.mjs", { cwd: project, env })).toMatchObject({ source: "argument" });
      expect(await findAppReference(undefined, { cwd: project, env })).toMatchObject({
        file: join(project, "a.mjs"),
        source: "GANGWAY_APP",
      });
      expect(await findAppReference(undefined, { cwd: project, env: {} })).toMatchObject({
        file: join(project, "b.mjs"),
        source: "package.json",
      });
      await writeFile(join(project, "gangway.config.json"), JSON.stringify({ app: "./a.mjs" }));
      expect(await findAppReference(undefined, { cwd: project, env: {} })).toMatchObject({
        file: join(project, "a.mjs"),
        source: "gangway.config.json",
      });
      await writeFile(join(project, "gangway.config.json"), JSON.stringify({ app: 42 }));
      await expect(findAppReference(undefined, { cwd: project, env: {} })).rejects.toMatchObject({
        code: "GW_CLI_CONFIG_INVALID",
      });
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  it("says where it looked when nothing names an app", async () => {
    await expect(findAppReference(undefined, { cwd: dir, env: {} })).rejects.toMatchObject({ code: "GW_CLI_NO_APP" });
  });
});
