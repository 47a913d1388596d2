/**
 * The two kinds of child process the bench runs: a scenario's server and the load worker, each
 * pinned to a core of its own with `taskset` when the machine has two or more.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = (file) => fileURLToPath(new URL(`../${file}`, import.meta.url));

/** Where servers and load run: `{ server: "0", load: "1" }` when pinning is possible, else `undefined`. */
export const pinning = availableParallelism() >= 2 && hasTaskset() ? { server: "0", load: "1" } : undefined;

function hasTaskset() {
  return ["/usr/bin/taskset", "/bin/taskset", "/usr/local/bin/taskset"].some((path) => existsSync(path));
}

/**
 * What every scenario's server starts with: a young generation already at the size V8 grows it
 * to under load (16 MiB semi-spaces, a 32 MiB new space: its default maximum on 64-bit machines).
 * Left to V8, a server's new space is 8 MiB once it has started and grows as objects survive its
 * scavenges, and whether that happens in the first seconds of a run depends on what the process
 * did before, loading modules included. A process whose new space grew answers a 64 KiB echo with
 * full mark-compacts set off by the request buffers' external memory, one whose did not with
 * scavenges only: native Fastify's CPU per echo nearly doubles. Every long-running server ends up
 * at the maximum, so that is the size measured (docs/performance.md, "One young generation for
 * every server").
 */
const YOUNG_GENERATION = ["--min-semi-space-size=16", "--max-semi-space-size=16"];

let heapFlags = YOUNG_GENERATION;

/** `--v8-heap`: start servers with V8's own young-generation sizing, to see the difference it makes. */
export function useV8Heap() {
  heapFlags = [];
}

/** The V8 flags servers start with now, for the report. */
export function serverFlags() {
  return heapFlags;
}

/**
 * What every server's C heap runs with: glibc keeps the memory freed at the top of its heap
 * instead of handing it back to the kernel once more than 128 KiB is free (its default trim
 * threshold). A 64 KiB echo mallocs and frees a request's chunks by the dozen, and whether a
 * process keeps trimming and refaulting those pages depends on where its heap top happens to sit:
 * the same raw node:http server took 0.25 minor faults per echo in one run and 3 in the next,
 * ~60% of them in the HTTP parser copying a body chunk into fresh memory. With the threshold at
 * 1 GiB every server takes ~0.03 a request and its system time stops swinging with them
 * (docs/performance.md, "Page faults"). Other C libraries ignore the variable.
 */
const MALLOC_TUNABLES = "glibc.malloc.trim_threshold=1073741824";

let mallocTunables = MALLOC_TUNABLES;

/** `--default-malloc`: start servers with glibc's own heap trimming, to see the difference it makes. */
export function useDefaultMalloc() {
  mallocTunables = undefined;
}

/** The glibc tunables servers start with now, for the report (`undefined`: glibc's defaults). */
export function serverTunables() {
  return mallocTunables;
}

function serverEnv() {
  if (mallocTunables === undefined) return process.env;
  const inherited = process.env.GLIBC_TUNABLES;
  return { ...process.env, GLIBC_TUNABLES: inherited ? `${inherited}:${mallocTunables}` : mallocTunables };
}

function spawnNode(core, args, env = process.env, wrapper = []) {
  const line = [...wrapper, process.execPath, ...args];
  const [command, argv] = core === undefined ? [line[0], line.slice(1)] : ["taskset", ["-c", core, ...line]];
  return spawn(command, argv, { stdio: ["pipe", "pipe", "pipe"], env });
}

/**
 * Starts `node bench/server.mjs <name>` and resolves with `{ port, pid, stop() }` once it listens,
 * or `{ skipped }` when it could not be built. `nodeArgs` go before the script (`--cpu-prof`).
 * Options: `wrapper`, a command that runs node (`valgrind …`); `core`, where to pin it instead of
 * the server core; `startSeconds`, how long it may take to listen (30).
 */
export function startServer(name, nodeArgs = [], { wrapper = [], core = pinning?.server, startSeconds = 30 } = {}) {
  const child = spawnNode(core, [...heapFlags, ...nodeArgs, here("server.mjs"), name], serverEnv(), wrapper);
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      void stop();
      resolve({ skipped: `did not start in ${startSeconds} s ${stderr.trim().split("\n").at(-1) ?? ""}` });
    }, startSeconds * 1000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        message = { skipped: `unexpected output: ${line.slice(0, 200)}` };
      }
      if (message.port === undefined) resolve({ skipped: message.skipped });
      else resolve({ port: message.port, pid: message.pid, stop, stderr: () => stderr });
    });
    exited.then((code) => {
      clearTimeout(timer);
      resolve({ skipped: `exited with ${code} before listening: ${stderr.trim().split("\n").at(-1) ?? ""}` });
    });
  });
}

/** The load generator as a long-lived worker: `run(command)` resolves with its JSON result. */
export function startLoadWorker() {
  const child = spawnNode(pinning?.load, [here("load.mjs"), "--worker"]);
  child.stderr.pipe(process.stderr);
  const pending = new Map();
  let nextId = 0;
  createInterface({ input: child.stdout }).on("line", (line) => {
    const { id, ...result } = JSON.parse(line);
    const settle = pending.get(id);
    pending.delete(id);
    if (result.failed) settle?.reject(new Error(result.failed));
    else settle?.resolve(result);
  });
  child.once("exit", (code) => {
    for (const { reject } of pending.values()) reject(new Error(`load worker exited with ${code}`));
  });
  return {
    run(command) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
      });
    },
    close() {
      child.stdin.end();
      return new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve()));
    },
  };
}
