/**
 * Instructions per request, counted by valgrind's callgrind (`pnpm bench --instructions`): a
 * measure the machine's neighbours do not move. On this shared machine the same raw node:http
 * server's CPU per 64 KiB echo moved between 60 and 146 µs from one batch of 3,000 to the next,
 * in one process; its count per hello was 76.9–77.1 thousand in six runs. Some servers' counts
 * still move by a few per cent from run to run, with when V8's compiler got its turn
 * (docs/performance.md, "Instructions per request").
 *
 * Each scenario's server runs under callgrind on one connection without pipelining, so every
 * request is one turn of the event loop whatever the server's speed (with pipelining, a slower
 * server would read more requests per turn and spend fewer instructions on each). After a warm-up
 * by count, the counters are zeroed, a fixed number of requests is measured, and the counts are
 * dumped per thread. The main thread's count is the measure: it runs the event loop, the parser,
 * every JavaScript handler and the young-generation collections. The other threads' (V8's
 * background compiler and concurrent marking) are reported beside it, not used: a recompilation
 * that lands in the measured part adds to them in lumps.
 *
 * Counted in user space only: the kernel's share of a request (the copies of a 64 KiB echo) and
 * what memory stalls cost are not in it. It is the part of a request's cost that code changes.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { probeAnswer } from "./probe.mjs";
import { cpuMicros } from "./proc.mjs";
import { pinning, startLoadWorker, startServer } from "./processes.mjs";
import { max, median, min } from "./stats.mjs";
import { workloads } from "./workloads.mjs";

/** Why instructions cannot be counted here, or `undefined` when valgrind and callgrind_control are present. */
export function callgrindMissing() {
  for (const command of ["valgrind", "callgrind_control"]) {
    const result = spawnSync(command, ["--version"], { stdio: "ignore" });
    if (result.error !== undefined || result.status !== 0) {
      return `${command} is not installed (Debian and Ubuntu: apt-get install valgrind)`;
    }
  }
  return undefined;
}

/** The valgrind version, for the report. */
export function callgrindVersion() {
  return execFileSync("valgrind", ["--version"], { encoding: "utf8" }).trim();
}

/**
 * Counts `rounds` × `scenarios` for `workload`, two scenarios at a time on a two-core machine (the
 * machine's load does not enter the counts, so nothing is gained by running them one by one).
 * Returns `{ records, skipped, failed }` as `measureRounds` does: one record per (round, scenario)
 * with `mainPerRequest` and `otherPerRequest` in instructions.
 */
export async function countRounds({ scenarios, workload, amount, warmupAmount, rounds, log }) {
  const queue = [];
  for (let round = 0; round < rounds; round++) for (const scenario of scenarios) queue.push({ round, scenario });
  const records = [];
  const skipped = {};
  const failed = {};
  const lanes = Math.max(1, Math.min(2, availableParallelism()));
  const lane = async (index) => {
    const worker = startLoadWorker();
    try {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        const { round, scenario } = item;
        if (skipped[scenario.name] || failed[scenario.name]) continue;
        const core = pinning === undefined ? undefined : String(index);
        const result = await countOne({ scenario, workload, amount, warmupAmount, worker, core });
        if (result.skipped) skipped[scenario.name] = result.skipped;
        else if (result.failed) failed[scenario.name] = result.failed;
        else records.push({ round, scenario: scenario.name, workload, ...result });
        log(
          `  round ${round + 1} ${scenario.name}: ${
            result.skipped ?? result.failed ?? `${(result.mainPerRequest / 1000).toFixed(1)} k instructions per request`
          }`,
        );
      }
    } finally {
      await worker.close();
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, index) => lane(index)));
  return { records, skipped, failed };
}

async function countOne({ scenario, workload, amount, warmupAmount, worker, core }) {
  const dir = mkdtempSync(join(tmpdir(), "gangway-callgrind-"));
  const wrapper = [
    "valgrind",
    "--tool=callgrind",
    // V8 writes machine code into memory it then runs: callgrind must notice the rewrites.
    "--smc-check=all-non-file",
    "--separate-threads=yes",
    // Threads take turns by ticket: V8's compiler threads run as soon as they are due, so a
    // function recompiled during the count spends the same few requests in its slower tier every
    // time (without it, the same server's count moved by up to 3%).
    "--fair-sched=yes",
    `--callgrind-out-file=${join(dir, "out.%p")}`,
  ];
  // Node starts ~50 times slower under callgrind: loading a framework takes seconds.
  const server = await startServer(scenario.name, [], { wrapper, core, startSeconds: 180 });
  if (server.skipped) {
    rmSync(dir, { recursive: true, force: true });
    return { skipped: server.skipped };
  }
  try {
    const prefix = scenario.prefix ?? "";
    const { problem } = await probeAnswer(server.port, prefix, workload);
    if (problem) return { failed: problem };
    const spec = workloads[workload];
    const command = {
      url: `http://127.0.0.1:${server.port}${prefix}${spec.path}`,
      method: spec.method,
      bodySize: spec.bodySize,
      connections: 1,
      pipelining: 1,
    };
    await worker.run({ ...command, amount: warmupAmount });
    await untilIdle(server.pid);
    execFileSync("callgrind_control", ["--zero", String(server.pid)], { stdio: "ignore" });
    const result = await worker.run({ ...command, amount });
    execFileSync("callgrind_control", ["--dump", String(server.pid)], { stdio: "ignore" });
    const problems = result.bad + result.errors + result.timeouts;
    if (problems > 0) return { failed: `${problems} bad responses of ${amount}` };
    const threads = readDump(dir, server.pid);
    const main = threads.get(1) ?? 0;
    let other = 0;
    for (const [thread, count] of threads) if (thread !== 1) other += count;
    return { mainPerRequest: main / result.requests, otherPerRequest: other / result.requests };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Waits until the idle server stops using CPU: until V8's compiler threads have worked off what
 * the warm-up queued. Under callgrind they run ~50 times slower too, and only while the main
 * thread lets them: after a warm-up of 50,000 hellos a Koa app still waited for about a hundred
 * functions to be optimized again, and ran them in a slower tier for thousands of the counted
 * requests (97 to 150 thousand instructions per request from run to run). Idle: under 5% of a
 * core over two seconds; at most five minutes.
 */
async function untilIdle(pid) {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const before = cpuMicros(pid);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const used = cpuMicros(pid) - before;
    if (!(used > 100_000)) return;
  }
}

/** The first dump's instruction count per thread (valgrind numbers the main thread 1). */
function readDump(dir, pid) {
  const counts = new Map();
  for (const file of readdirSync(dir)) {
    const match = new RegExp(`^out\\.${pid}\\.1-(\\d+)$`).exec(file);
    if (match === null) continue;
    const text = readFileSync(join(dir, file), "utf8");
    const total = /^(?:summary|totals): (\d+)/m.exec(text);
    counts.set(Number(match[1]), total === null ? 0 : Number(total[1]));
  }
  if (counts.size === 0) throw new Error(`callgrind wrote no dump for ${pid}`);
  return counts;
}

/**
 * One row per scenario: the median of its rounds' main-thread counts, their range, the other
 * threads' median, and the ratio to its baseline within each round (baseline instructions over
 * its own: above 1 means fewer than the baseline), median over rounds.
 */
export function summariseInstructions(records, scenarios) {
  const rows = [];
  const of = (name) => records.filter((record) => record.scenario === name);
  for (const scenario of scenarios) {
    const own = of(scenario.name);
    if (own.length === 0) continue;
    const main = own.map((record) => record.mainPerRequest);
    const row = {
      scenario: scenario.name,
      label: scenario.label,
      rounds: own.length,
      main: median(main),
      mainMin: min(main),
      mainMax: max(main),
      other: median(own.map((record) => record.otherPerRequest)),
    };
    if (scenario.baseline) {
      const ratios = [];
      for (const record of own) {
        const base = of(scenario.baseline).find((candidate) => candidate.round === record.round);
        if (base) ratios.push(base.mainPerRequest / record.mainPerRequest);
      }
      row.baseline = scenario.baseline;
      row.ratio = median(ratios);
    }
    rows.push(row);
  }
  return rows;
}
