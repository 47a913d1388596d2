import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root, found from this file. */
export const root = fileURLToPath(new URL("../../", import.meta.url));
/** The built CLI, as users run it. */
export const bin = join(root, "packages/cli/bin/gangway.js");

/**
 * Builds a workspace package with tsc when its dist is missing or older than its sources, so the
 * spawned CLI runs current code. CI runs `pnpm build` first and this finds nothing to do. A type
 * error elsewhere in a package still emits; only missing output fails.
 */
export function ensureBuilt(name: "core" | "cli" | "express" | "koa" | "fastify"): boolean {
  const dir = join(root, "packages", name);
  const entry = join(dir, "dist", name === "cli" ? "main.js" : "index.js");
  if (!existsSync(join(dir, "src/index.ts"))) return false;
  const built = statSync(entry, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built >= newestSource(join(dir, "src"))) return true;
  try {
    execFileSync(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.build.json")],
      {
        stdio: "pipe",
      },
    );
  } catch (error) {
    if (!existsSync(entry)) throw error;
  }
  return existsSync(entry);
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const temporary: string[] = [];

/**
 * Makes a temporary project: writes `files` (a `package.json` with `"type": "module"` unless one
 * is given) and links `node_modules/<name>` to the workspace's copy of each package in `links`.
 */
export async function project(
  files: Record<string, string>,
  links: readonly string[] = ["@gangway/core"],
): Promise<string> {
  const dir = await tempDir();
  const all = { "package.json": '{ "type": "module" }\n', ...files };
  for (const [path, content] of Object.entries(all)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await linkPackages(dir, links);
  return dir;
}

/** Makes an empty temporary directory, removed with the projects. */
export async function tempDir(): Promise<string> {
  const dir = realpathSync(await mkdtemp(join(tmpdir(), "gangway-cli-")));
  temporary.push(dir);
  return dir;
}

/** Links `dir/node_modules/<name>` to the workspace's copy of each named package. */
export async function linkPackages(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const installed = [join(root, "test/node_modules", name), join(root, "node_modules", name)].find((path) =>
      existsSync(path),
    );
    const target = name.startsWith("@gangway/") ? join(root, "packages", name.slice("@gangway/".length)) : installed;
    if (target === undefined) throw new Error(`${name} is not installed in the workspace`);
    const link = join(dir, "node_modules", name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(realpathSync(target), link, "dir");
  }
}

/** Removes every temporary project made so far. */
export async function removeProjects(): Promise<void> {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A CLI process started by {@link start}. */
export interface Running {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first `http://` URL the CLI prints. */
  url: Promise<string>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts the built CLI in `cwd`. */
export function start(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Running {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  // The test runner's own settings must not leak into the app under test: pnpm's bin shims set
  // NODE_PATH to the whole store, which would find packages a project did not install.
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  delete env.GANGWAY_APP;
  delete env.PORT;
  delete env.WEB_CONCURRENCY;
  delete env.VITEST;
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters) waiter();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const waiter of waiters) waiter();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
      for (const waiter of waiters) waiter();
    }),
  );
  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, timeoutMs);
      const check = () => {
        if (pattern.test(stdout)) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`exited before ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      };
      waiters.add(check);
      check();
    });
  const url = waitForOutput(/http:\/\/[^\s)]+/).then(() => /http:\/\/[^\s)]+/.exec(stdout)![0]);
  url.catch(() => {});
  return { child, stdout: () => stdout, stderr: () => stderr, url, exited, waitForOutput };
}

/** Runs the built CLI to its end and returns its exit code and output. */
export async function run(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = start(args, options);
  const timer = setTimeout(() => cli.child.kill("SIGKILL"), 15_000);
  const { code } = await cli.exited;
  clearTimeout(timer);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** Kills every CLI process a test left running. */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** A response read in full. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request on a fresh connection (no keep-alive), so every request is a new accept. Fails
 * after `timeoutMs` rather than hanging the test.
 */
export function get(url: string, path = "/", options: { timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { agent: false, timeout: options.timeoutMs ?? 8000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer to GET ${path}`), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end();
  });
}

/** The stack-trace lines in some output: none may appear in a CLI error report. */
export function stackLines(text: string): string[] {
  return text.split("\n").filter((line) => /^\s{4}at /.test(line));
}
