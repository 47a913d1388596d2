import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { sleep } from "../helpers/wait.js";
import {
  ensureBuilt,
  get,
  killAll,
  linkPackages,
  project,
  type Reply,
  removeProjects,
  root,
  run,
  stackLines,
  start,
  tempDir,
} from "./helpers.js";

// The CLI under test is the built one, spawned as users run it; build what is stale first.
ensureBuilt("core");
ensureBuilt("cli");
const adapters = {
  express: ensureBuilt("express"),
  koa: ensureBuilt("koa"),
  fastify: ensureBuilt("fastify"),
};

afterAll(killAll);
afterAll(removeProjects);

/** Serves `args` in `dir`, makes one request, stops with SIGTERM; returns the reply and exit code. */
async function serveOnce(
  dir: string,
  args: readonly string[],
  options: { env?: Record<string, string>; path?: string } = {},
): Promise<Reply & { code: number | null }> {
  const cli = start(["serve", ...args, "--port", "0"], { cwd: dir, ...(options.env ? { env: options.env } : {}) });
  const reply = await get(await cli.url, options.path ?? "/hello");
  cli.child.kill("SIGTERM");
  const { code } = await cli.exited;
  return { ...reply, code };
}

const gatewayTs = `import { type GatewayApp, text } from "@gangway/core";
export const app: GatewayApp = (request) => text(\`ts \${request.path}\`);
`;
const gatewayMjs = (name: string) =>
  `export default (request) => ({ status: 200, headers: { "content-type": "text/plain" }, body: "${name} " + request.path });\n`;

describe("gangway: help, version, usage", () => {
  it("prints the version from package.json and short help for each command", async () => {
    const dir = await project({});
    const manifest = JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")) as { version: string };
    const [version, help, serveHelp, devHelp, initHelp] = await Promise.all([
      run(["--version"], { cwd: dir }),
      run(["--help"], { cwd: dir }),
      run(["serve", "--help"], { cwd: dir }),
      run(["dev", "--help"], { cwd: dir }),
      run(["init", "--help"], { cwd: dir }),
    ]);
    expect(version).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
    expect(help.code).toBe(0);
    for (const command of ["init", "dev", "serve"]) expect(help.stdout).toContain(`gangway ${command}`);
    expect(serveHelp.code).toBe(0);
    for (const option of ["--port", "--host", "--workers", "--grace", "--log", "--factory"]) {
      expect(serveHelp.stdout).toContain(option);
    }
    expect(devHelp.stdout).toContain("--watch");
    expect(initHelp.stdout).toContain("nothing is ever overwritten");
  });

  it("rejects an unknown command or a bad option value with exit 2 and no stack", async () => {
    const dir = await project({});
    const results = await Promise.all([
      run(["deploy"], { cwd: dir }),
      run(["serve", "--port", "http"], { cwd: dir }),
      run(["serve", "--workers", "0"], { cwd: dir }),
      run(["dev", "--bogus"], { cwd: dir }),
      run([], { cwd: dir }),
    ]);
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("GW_CLI_USAGE");
      expect(stackLines(result.stderr)).toEqual([]);
    }
  });
});

describe("gangway serve: each kind of app", () => {
  it("serves a gateway app from a .ts module, with no build step", async () => {
    const dir = await project({ "src/app.ts": gatewayTs });
    const reply = await serveOnce(dir, ["./src/app.ts#app"]);
    expect(reply).toMatchObject({ status: 200, body: "ts /hello", code: 0 });
    expect(reply.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it('serves a .ts module of a CommonJS package (no "type": "module")', async () => {
    const dir = await project({ "package.json": "{}\n", "app.ts": gatewayTs });
    expect(await serveOnce(dir, ["app.ts"])).toMatchObject({ status: 200, body: "ts /hello", code: 0 });
  });

  it("serves the default export of an .mjs module, with the extension left out", async () => {
    const dir = await project({ "server/app.mjs": gatewayMjs("mjs") });
    expect(await serveOnce(dir, ["server/app"])).toMatchObject({ status: 200, body: "mjs /hello", code: 0 });
  });

  it("serves module.exports of a .cjs module", async () => {
    const dir = await project({
      "app.cjs": `module.exports = (request) => ({ status: 201, headers: { "x-kind": "cjs" }, body: "cjs" });\n`,
    });
    const reply = await serveOnce(dir, ["app.cjs"]);
    expect(reply).toMatchObject({ status: 201, body: "cjs", code: 0 });
    expect(reply.headers["x-kind"]).toBe("cjs");
  });

  it('takes the export named "app" when the default export is not an app', async () => {
    const dir = await project({
      "app.cjs": `exports.app = () => ({ status: 200, body: "named" });\nexports.port = 1;\n`,
    });
    expect(await serveOnce(dir, ["app.cjs"])).toMatchObject({ status: 200, body: "named", code: 0 });
  });

  it("serves a Fetch handler object { fetch }", async () => {
    const dir = await project({
      "worker.mjs": `export default {
  fetch: (request) => new Response("fetch " + new URL(request.url).pathname, { status: 202, headers: { "x-kind": "fetch" } }),
};\n`,
    });
    const reply = await serveOnce(dir, ["worker.mjs"]);
    expect(reply).toMatchObject({ status: 202, body: "fetch /hello", code: 0 });
    expect(reply.headers["x-kind"]).toBe("fetch");
  });

  it("calls a factory only with --factory", async () => {
    const dir = await project({
      "app.mjs": `export function createApp() { return () => ({ status: 200, body: "made by the factory" }); }\n`,
    });
    expect(await serveOnce(dir, ["app.mjs#createApp", "--factory"])).toMatchObject({
      status: 200,
      body: "made by the factory",
      code: 0,
    });
    // Without --factory a function is a gateway app: called per request, its return is no response.
    const unfactored = await serveOnce(dir, ["app.mjs#createApp"]);
    expect(unfactored.status).toBe(500);
  });

  it.skipIf(!adapters.express)(
    "serves an Express app through @gangway/express, on req/res built on its prototypes",
    async () => {
      const dir = await project(
        {
          // Express swaps req's prototype to app.request on entry: the spy reports whether it was already there.
          "app.mjs": `import express from "express";
const app = express();
let born = "unswapped";
const swap = Object.setPrototypeOf;
Object.setPrototypeOf = (target, prototype) => {
  if (prototype === app.request) born = String(Object.getPrototypeOf(target) === prototype);
  return swap(target, prototype);
};
app.get("/hello", (req, res) => res.type("text").send("express " + req.path + " " + born));
export default app;\n`,
        },
        ["@gangway/core", "@gangway/express", "express"],
      );
      expect(await serveOnce(dir, ["app.mjs"])).toMatchObject({ status: 200, body: "express /hello true", code: 0 });
    },
  );

  it.skipIf(!adapters.koa)("serves a Koa app through @gangway/koa", async () => {
    const dir = await project(
      {
        "app.mjs": `import Koa from "koa";
const app = new Koa();
app.use((ctx) => { ctx.body = "koa " + ctx.path; });
export { app };\n`,
      },
      ["@gangway/core", "@gangway/koa", "koa"],
    );
    expect(await serveOnce(dir, ["app.mjs#app"])).toMatchObject({ status: 200, body: "koa /hello", code: 0 });
  });

  it.skipIf(!adapters.fastify)("serves a Fastify instance through @gangway/fastify", async () => {
    const dir = await project(
      {
        "app.mjs": `import Fastify from "fastify";
const app = Fastify();
app.get("/hello", async (request) => "fastify " + request.url);
export default app;\n`,
      },
      ["@gangway/core", "@gangway/fastify", "fastify"],
    );
    expect(await serveOnce(dir, ["app.mjs"])).toMatchObject({ status: 200, body: "fastify /hello", code: 0 });
  });
});

describe("gangway serve: where the app reference comes from", () => {
  const apps = {
    "a.mjs": gatewayMjs("a"),
    "b.mjs": gatewayMjs("b"),
    "src/app.ts": gatewayTs,
  };

  it("GANGWAY_APP names it when there is no argument; the argument wins over it", async () => {
    const dir = await project(apps);
    expect(await serveOnce(dir, [], { env: { GANGWAY_APP: "./b.mjs" } })).toMatchObject({ body: "b /hello" });
    expect(await serveOnce(dir, ["./a.mjs"], { env: { GANGWAY_APP: "./b.mjs" } })).toMatchObject({ body: "a /hello" });
  });

  it("the app field of gangway.config.ts, which GANGWAY_APP overrides", async () => {
    const dir = await project({
      ...apps,
      "gangway.config.ts": `export default { app: "./src/app.ts#app" } as const;\n`,
    });
    expect(await serveOnce(dir, [])).toMatchObject({ status: 200, body: "ts /hello" });
    expect(await serveOnce(dir, [], { env: { GANGWAY_APP: "./a.mjs" } })).toMatchObject({ body: "a /hello" });
  });

  it("the app field of gangway.config.json", async () => {
    const dir = await project({ ...apps, "gangway.config.json": `{ "app": "./b.mjs" }\n` });
    expect(await serveOnce(dir, [])).toMatchObject({ status: 200, body: "b /hello" });
  });

  it('the "gangway.app" field of package.json', async () => {
    const dir = await project({ ...apps, "package.json": `{ "type": "module", "gangway": { "app": "./a.mjs" } }\n` });
    expect(await serveOnce(dir, [])).toMatchObject({ status: 200, body: "a /hello" });
  });
});

describe("gangway serve: every way to name the app wrongly is exit 2 with its own message", () => {
  const fakes = `export const express = Object.assign(function app(req, res, next) {}, { handle() {}, use() {}, set() {} });
export const koa = { callback() {}, use() {}, middleware: [] };
export const fastify = { routing() {}, ready() {}, register() {}, inject() {} };\n`;
  const cases: Array<{ name: string; files: Record<string, string>; args: string[]; code: string; phrases: string[] }> =
    [
      {
        name: "no app named anywhere",
        files: {},
        args: [],
        code: "GW_CLI_NO_APP",
        phrases: ["GANGWAY_APP", "gangway.config.ts"],
      },
      {
        name: "module not found names the path it resolved",
        files: {},
        args: ["./src/nope.ts"],
        code: "GW_CLI_MODULE_NOT_FOUND",
        phrases: ["cannot find module", join("src", "nope.ts")],
      },
      {
        name: "a missing import inside the module is the module's own failure",
        files: { "app.mjs": `import "./helper-that-is-gone.mjs";\nexport default () => ({ status: 200 });\n` },
        args: ["app.mjs"],
        code: "GW_CLI_MODULE_THREW",
        phrases: ["threw while loading", "helper-that-is-gone.mjs"],
      },
      {
        name: "the module threw while loading",
        files: { "app.ts": `throw new Error("no DATABASE_URL");\n` },
        args: ["app.ts"],
        code: "GW_CLI_MODULE_THREW",
        phrases: ["threw while loading: no DATABASE_URL", "--verbose"],
      },
      {
        name: "export missing lists the exports found",
        files: { "app.mjs": `export const handler = () => ({ status: 200 });\nexport const other = 1;\n` },
        args: ["app.mjs#app"],
        code: "GW_CLI_EXPORT_MISSING",
        phrases: ['no export "app"', "handler, other"],
      },
      {
        name: "no default and no app export",
        files: { "app.mjs": `export const handler = () => ({ status: 200 });\n` },
        args: ["app.mjs"],
        code: "GW_CLI_EXPORT_MISSING",
        phrases: ['no default export and no export "app"', "app.mjs#handler"],
      },
      {
        name: "export of the wrong kind says what it is and what was expected",
        files: { "app.mjs": `export const app = { port: 3000 };\n` },
        args: ["app.mjs#app"],
        code: "GW_CLI_WRONG_KIND",
        phrases: ["an object with keys port", "expected a gateway app"],
      },
      {
        name: "a Promise export points at --factory",
        files: { "app.mjs": `export const app = Promise.resolve(() => ({ status: 200 }));\n` },
        args: ["app.mjs#app"],
        code: "GW_CLI_WRONG_KIND",
        phrases: ["a Promise", "--factory"],
      },
      ...(["express", "koa", "fastify"] as const).map((kind) => ({
        name: `${kind} app without its adapter names the package to install`,
        files: { "app.mjs": fakes },
        args: [`app.mjs#${kind}`],
        code: "GW_CLI_ADAPTER_MISSING",
        phrases: [`npm install @gangway/${kind}`],
      })),
      {
        name: "a gunicorn-style reference gets a hint",
        files: { "app.mjs": gatewayMjs("x") },
        args: ["app.mjs:app"],
        code: "GW_CLI_MODULE_NOT_FOUND",
        phrases: ['did you mean "app.mjs#app"'],
      },
      {
        name: "a config file that throws",
        files: { "gangway.config.ts": `throw new Error("config broke");\n` },
        args: [],
        code: "GW_CLI_CONFIG_INVALID",
        phrases: ["gangway.config.ts could not be read: config broke"],
      },
      {
        name: "--factory on something that is not a function",
        files: { "app.mjs": `export const app = { port: 1 };\n` },
        args: ["app.mjs#app", "--factory"],
        code: "GW_CLI_FACTORY_FAILED",
        phrases: ["not a function"],
      },
    ];

  it.concurrent.each(cases)("$name", async ({ files, args, code, phrases }) => {
    const dir = await project(files);
    const result = await run(["serve", ...args, "--port", "0"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`(${code})`);
    for (const phrase of phrases) expect(result.stderr).toContain(phrase);
    expect(stackLines(result.stderr)).toEqual([]);
    expect(result.stdout).toBe("");
  });

  it("--verbose shows the stack of the module's own error", async () => {
    const dir = await project({ "app.mjs": `throw new Error("no DATABASE_URL");\n` });
    const result = await run(["serve", "app.mjs", "--verbose"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Error: no DATABASE_URL");
    expect(stackLines(result.stderr).some((line) => line.includes("app.mjs"))).toBe(true);
  });

  it("a startup hook that fails exits 1 without listening", async () => {
    const dir = await project({
      "app.mjs": `export const app = Object.assign(() => ({ status: 200 }), { startup() { throw new Error("no pool"); } });\n`,
    });
    const result = await run(["serve", "app.mjs#app", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("(GW_CLI_STARTUP_FAILED)");
    expect(result.stderr).toContain("no pool");
    expect(result.stdout).not.toContain("listening");
  });

  it("with --workers 2, a worker that fails to load stops the command: one message, exit 2", async () => {
    const dir = await project({ "app.mjs": `throw new Error("broken at load");\n` });
    const result = await run(["serve", "app.mjs", "--workers", "2", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr.match(/GW_CLI_MODULE_THREW/g)).toHaveLength(1);
    expect(result.stderr).toContain("broken at load");
    expect(stackLines(result.stderr)).toEqual([]);
  });
});

describe("gangway serve: workers, access log, graceful shutdown", () => {
  const hooked = `export const app = Object.assign(
  async (request) => {
    if (request.path === "/slow") {
      console.log("slow request started");
      await new Promise((resolve) => setTimeout(resolve, Number(new URLSearchParams(request.query).get("ms") ?? 600)));
      return { status: 200, body: "slow done" };
    }
    return { status: 200, body: String(process.pid) };
  },
  {
    startup() { console.log("startup " + process.pid); },
    shutdown() { console.log("shutdown " + process.pid); },
  },
);\n`;

  it("--workers 2 answers from two processes, replaces a killed worker, and stops with exit 0", async () => {
    const dir = await project({ "app.mjs": hooked });
    const cli = start(["serve", "app.mjs#app", "--workers", "2", "--port", "0"], { cwd: dir });
    onTestFailed(() => console.log(`stdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`));
    const url = await cli.url;
    const pids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const reply = await get(url, "/pid");
      expect(reply.status).toBe(200);
      pids.add(reply.body);
    }
    expect(pids.size).toBe(2);
    // Each worker ran startup once, before listening.
    for (const pid of pids) expect(cli.stdout().match(new RegExp(`startup ${pid}\\b`, "g"))).toHaveLength(1);

    const [victim] = [...pids];
    process.kill(Number(victim));
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const reply = await get(url, "/pid");
      expect(reply.status).toBe(200);
      seen.add(reply.body);
      if ([...seen].some((pid) => !pids.has(pid))) break;
      await sleep(10);
    }
    const replacement = [...seen].find((pid) => !pids.has(pid));
    expect(replacement).toBeDefined();
    expect(cli.stderr()).toContain(`worker ${victim} exited`);

    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    // The killed worker drained on its own SIGTERM; the two live ones ran shutdown at the stop.
    for (const pid of [victim, replacement]) expect(cli.stdout()).toContain(`shutdown ${pid}`);
  });

  it("SIGTERM during a slow request lets it finish, runs shutdown after it, exits 0", async () => {
    const dir = await project({ "app.mjs": hooked });
    const cli = start(["serve", "app.mjs#app", "--port", "0", "--log"], { cwd: dir });
    const url = await cli.url;
    expect((await get(url, "/logged?x=1")).status).toBe(200);
    await cli.waitForOutput(/GET \/logged\?x=1 200 [\d.]+ms/);

    const slow = get(url, "/slow?ms=700");
    await cli.waitForOutput(/slow request started/);
    cli.child.kill("SIGTERM");
    await cli.waitForOutput(/SIGTERM, finishing in-flight requests/);
    // Stopped accepting: a new connection is refused while the slow request finishes.
    await expect(get(url, "/pid")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    const reply = await slow;
    expect(reply).toMatchObject({ status: 200, body: "slow done" });
    const { code } = await cli.exited;
    expect(code).toBe(0);
    const out = cli.stdout();
    expect(out.indexOf("shutdown")).toBeGreaterThan(out.indexOf("GET /slow?ms=700 200"));
  });

  it("a request still running when --grace runs out is cut, and the command still exits 0", async () => {
    const dir = await project({ "app.mjs": hooked });
    const cli = start(["serve", "app.mjs#app", "--port", "0", "--grace", "0.2"], { cwd: dir });
    const url = await cli.url;
    const slow = get(url, "/slow?ms=20000").then(
      () => "answered",
      (error: NodeJS.ErrnoException) => error.code,
    );
    await cli.waitForOutput(/slow request started/);
    cli.child.kill("SIGTERM");
    expect(await slow).toBe("ECONNRESET");
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout()).toContain("shutdown");
  });
});

describe("gangway init and gangway dev", () => {
  it("init writes a project that tests and runs at once; dev serves it, logs, and reloads on edit", async () => {
    const dir = await tempDir();
    const target = join(dir, "site");
    const init = await run(["init", "site"], { cwd: dir });
    expect(init.code).toBe(0);
    for (const file of ["src/app.ts", "gangway.config.ts", "tsconfig.json", "test/app.test.ts", "package.json"]) {
      expect(existsSync(join(target, file))).toBe(true);
    }
    const manifest = JSON.parse(await readFile(join(target, "package.json"), "utf8"));
    expect(manifest.scripts).toMatchObject({ dev: "gangway dev", start: "gangway serve" });
    expect(manifest.dependencies).toEqual({ "@gangway/cli": "^0.1.0", "@gangway/core": "^0.1.0" });
    expect(await readFile(join(target, "gangway.config.ts"), "utf8")).toContain('app: "./src/app.ts#app"');

    // What `npm install` would provide, from this workspace.
    await linkPackages(target, ["@gangway/core", "@gangway/cli", "tsx"]);
    const tested = await promisify(execFile)(process.execPath, ["--import", "tsx", "--test", "test/app.test.ts"], {
      cwd: target,
      env: { ...process.env, NODE_OPTIONS: "", NODE_PATH: "" },
    });
    expect(tested.stdout).toMatch(/# pass 3\b/);

    const cli = start(["dev", "--port", "0"], { cwd: target });
    const url = await cli.url;
    const first = await get(url, "/");
    expect(first).toMatchObject({ status: 200, body: "Hello from Gangway!\n" });
    expect(first.headers["x-powered-by"]).toBe("gangway");
    await cli.waitForOutput(/GET \/ 200 [\d.]+ms/);

    // Edit the app: every request in between is answered on the same port — the supervisor
    // never stops listening — and the new response arrives.
    const source = join(target, "src/app.ts");
    await writeFile(source, (await readFile(source, "utf8")).replace("Hello from Gangway!", "Hello again!"));
    let reply = first;
    for (let i = 0; i < 300 && reply.body !== "Hello again!\n"; i++) {
      await sleep(20);
      reply = await get(url, "/");
      expect(reply.status).toBe(200);
    }
    expect(reply.body).toBe("Hello again!\n");
    await cli.waitForOutput(/reloaded in \d+ms/);

    cli.child.kill("SIGINT");
    expect((await cli.exited).code).toBe(0);
  });

  it("init refuses to overwrite an existing file, naming it, and writes nothing", async () => {
    const dir = await project({ "package.json": "{}\n" });
    const result = await run(["init"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("(GW_CLI_INIT_EXISTS)");
    expect(result.stderr).toContain("package.json");
    expect(existsSync(join(dir, "src/app.ts"))).toBe(false);
  });

  it("dev answers an app error with a page showing the stack, and a broken edit with the load error", async () => {
    const dir = await project({
      "app.mjs": `export default (request) => { if (request.path === "/boom") throw new Error("kaboom"); return { status: 200, body: "ok" }; };\n`,
    });
    const cli = start(["dev", "app.mjs", "--port", "0"], { cwd: dir });
    const url = await cli.url;
    const page = await get(url, "/boom");
    expect(page.status).toBe(500);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.body).toContain("Error: kaboom");
    expect(page.body).toMatch(/at .*app\.mjs/);
    await cli.waitForOutput(/GET \/boom 500/);
    expect(cli.stderr()).toContain("kaboom");

    await writeFile(join(dir, "app.mjs"), `export default (request) => {\n`);
    let reply = await get(url, "/");
    for (let i = 0; i < 300 && reply.status === 200; i++) {
      await sleep(20);
      reply = await get(url, "/");
    }
    expect(reply.status).toBe(500);
    expect(reply.body).toContain("GW_CLI_MODULE_THREW");
    cli.child.kill("SIGINT");
    expect((await cli.exited).code).toBe(0);
  });

  it("dev exits 2 when the app cannot be loaded at start", async () => {
    const dir = await project({ "app.mjs": `export const app = 42;\n` });
    const result = await run(["dev", "app.mjs#app", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("(GW_CLI_WRONG_KIND)");
    expect(stackLines(result.stderr)).toEqual([]);
  });
});
