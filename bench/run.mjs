/**
 * The side-by-side benchmark (`pnpm bench`). See bench/README.md for the method.
 *
 *   node bench/run.mjs                  full run: hello, echo, stream, slow reader; every scenario
 *   node bench/run.mjs --quick          a subset in under a minute
 *   node bench/run.mjs --cpu            hello over a fixed request count: CPU µs per request
 *                                       (--workload echo|stream for those, over every path)
 *   node bench/run.mjs --instructions   hello over a fixed request count under valgrind's callgrind:
 *                                       instructions per request, which the machine's load does not move
 *                                       (--workload echo|stream for those, over every path)
 *   node bench/run.mjs --profile <name> one scenario under `node --cpu-prof`, top self time
 *
 * Options: --rounds N, --duration S (hello), --body-duration S (echo, stream), --warmup S,
 * --amount N and --warmup-amount N (--cpu, --instructions), --slow-rounds N, --only name,name, --workloads hello,echo,stream,slow,
 * --doc (also write the report into docs/performance.md), --v8-heap (servers keep V8's own
 * young-generation sizing instead of bench/lib/processes.mjs's YOUNG_GENERATION),
 * --default-malloc (servers keep glibc's heap trimming instead of MALLOC_TUNABLES).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { checkBars } from "./lib/bars.mjs";
import { compareHeads } from "./lib/fidelity.mjs";
import { callgrindMissing, callgrindVersion, countRounds, summariseInstructions } from "./lib/instructions.mjs";
import {
  barsTable,
  describeMachine,
  headsTable,
  instructionsPreamble,
  instructionsTable,
  preamble,
  slowTable,
  workloadTable,
} from "./lib/markdown.mjs";
import { measureRounds, measureSlow } from "./lib/measure.mjs";
import { probe } from "./lib/probe.mjs";
import { pinning, startLoadWorker, startServer, useDefaultMalloc, useV8Heap } from "./lib/processes.mjs";
import { summarise, summariseSlow } from "./lib/summary.mjs";
import { workloads } from "./lib/workloads.mjs";
import { profileTable, topSelfTime } from "./profile.mjs";
import { scenarios } from "./scenarios.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(root, "bench", "results");

// Four interleaved rounds, as issue 8 asks; the durations are what keeps ~30 scenarios × 3
// workloads inside ~15 minutes on two cores (see bench/README.md).
const FULL = { rounds: 4, duration: 2.5, bodyDuration: 1, warmup: 1, bodyWarmup: 0.5, slowRounds: 1 };
const QUICK = { rounds: 2, duration: 1, bodyDuration: 0.5, warmup: 0.5, bodyWarmup: 0.5, slowRounds: 1 };
/** `--cpu` request counts: about two seconds of each workload at native speed (`--quick`: a fifth). */
const CPU_AMOUNT = { hello: 50_000, echo: 10_000, stream: 2_000 };
/**
 * `--cpu` warm-up, in requests: what it takes every path to reach its steady CPU per request.
 * Counted rather than timed so a slow path is as warm as a fast one. After 5,000 echoes a mounted
 * app spent 55–61 µs of user time per echo, after 20,000–30,000 38–41 µs, within 4 µs of `serve()`
 * (docs/performance.md, "Warm by count").
 */
const CPU_WARMUP = { hello: 50_000, echo: 20_000, stream: 4_000 };
/** The paths whose bars sit near 1, which `--cpu` measures by default. */
const CPU_SCENARIOS = ["node", "express", "koa", "fastify", "gw:serve", "gw:in-express", "gw:in-koa", "gw:in-fastify"];
const CPU_FROM = ["gw:express", "gw:koa", "gw:fastify"];
const UNFUSED_FROM = ["gw:express:unfused", "gw:koa:unfused", "gw:fastify:unfused"];
/**
 * `--instructions` counts, in requests. Hello warms up as `--cpu` does: a server's JavaScript
 * settles within ~40,000 hellos (V8 recompiles `serve()`'s listener once more after 20,000), and a
 * tier change inside the count shows in it. Echo and stream warm up half as long as under `--cpu`,
 * for time: a server runs ~50 times slower under callgrind.
 */
const INSTRUCTIONS_AMOUNT = { hello: 5_000, echo: 1_000, stream: 200 };
const INSTRUCTIONS_WARMUP = { hello: 50_000, echo: 10_000, stream: 2_000 };

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    cpu: { type: "boolean", default: false },
    instructions: { type: "boolean", default: false },
    profile: { type: "string" },
    workload: { type: "string", default: "hello" },
    rounds: { type: "string" },
    duration: { type: "string" },
    "body-duration": { type: "string" },
    warmup: { type: "string" },
    amount: { type: "string" },
    "warmup-amount": { type: "string" },
    "slow-rounds": { type: "string" },
    only: { type: "string" },
    workloads: { type: "string" },
    doc: { type: "boolean", default: false },
    "v8-heap": { type: "boolean", default: false },
    "default-malloc": { type: "boolean", default: false },
  },
});

const base = args.quick ? QUICK : FULL;
const number = (value, fallback) => (value === undefined ? fallback : Number(value));
const settings = {
  rounds: number(args.rounds, base.rounds),
  duration: number(args.duration, base.duration),
  bodyDuration: number(args["body-duration"], base.bodyDuration),
  warmup: number(args.warmup, base.warmup),
  bodyWarmup: number(args.warmup, base.bodyWarmup),
  slowRounds: number(args["slow-rounds"], base.slowRounds),
  amount: number(
    args.amount,
    Math.round((args.instructions ? INSTRUCTIONS_AMOUNT : CPU_AMOUNT)[args.workload] / (args.quick ? 5 : 1)),
  ),
  warmupAmount: number(
    args["warmup-amount"],
    Math.round((args.instructions ? INSTRUCTIONS_WARMUP : CPU_WARMUP)[args.workload] / (args.quick ? 5 : 1)),
  ),
};
const log = (line) => console.error(line);
if (args["v8-heap"]) useV8Heap();
if (args["default-malloc"]) useDefaultMalloc();
const started = Date.now();

log(
  pinning
    ? `Pinning: servers on core ${pinning.server}, load generator on core ${pinning.load} (taskset).`
    : "No pinning: taskset is missing or the machine has fewer than 2 cores.",
);

if (args.profile) await profileMode(args.profile);
else if (args.cpu) await cpuMode();
else if (args.instructions) await instructionsMode();
else await fullMode();
log(`done in ${Math.round((Date.now() - started) / 1000)} s`);

function elapsed() {
  const seconds = Math.round((Date.now() - started) / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

function pick(defaultNames) {
  if (args.only) {
    const names = args.only.split(",");
    const unknown = names.filter((name) => !scenarios.some((scenario) => scenario.name === name));
    if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}`);
    return scenarios.filter((scenario) => names.includes(scenario.name));
  }
  // A control runs only when named.
  return scenarios.filter((scenario) => scenario.kind !== "control" && defaultNames(scenario));
}

function notRunFrom(...results) {
  return (name, workload) => {
    for (const { skipped, failed } of results) {
      if (skipped[name]) return `skipped: ${skipped[name]}`;
      const reason = typeof failed[name] === "string" ? failed[name] : failed[name]?.[workload];
      if (reason) return `failed: ${reason}`;
    }
    return undefined;
  };
}

async function fullMode() {
  const list = pick((scenario) => !args.quick || scenario.quick);
  const chosen = new Set(args.workloads ? args.workloads.split(",") : ["hello", "echo", "stream", "slow"]);
  const streams = (scenario) => (args.quick ? scenario.quickStreams : scenario.streams) || Boolean(args.only);
  const workloadsOf = (scenario) =>
    ["hello", "echo", "stream"].filter(
      (workload) => chosen.has(workload) && (workload === "hello" || streams(scenario)),
    );
  const timing = {
    hello: { duration: settings.duration, warmup: settings.warmup },
    echo: { duration: settings.bodyDuration, warmup: settings.bodyWarmup },
    stream: { duration: settings.bodyDuration, warmup: settings.bodyWarmup },
  };
  const worker = startLoadWorker();
  let load;
  let slow = { records: [], skipped: {}, failed: {} };
  try {
    load = await measureRounds({ scenarios: list, workloadsOf, rounds: settings.rounds, timing, worker, log });
    if (chosen.has("slow")) {
      const slowList = list.filter((scenario) => streams(scenario) && !load.skipped[scenario.name]);
      slow = await measureSlow({ scenarios: slowList, rounds: settings.slowRounds, worker, log });
    }
  } finally {
    await worker.close();
  }
  const notRun = notRunFrom(load, slow);
  const summaries = {};
  for (const workload of ["hello", "echo", "stream"]) summaries[workload] = summarise(load.records, list, workload);
  const slowRows = summariseSlow(slow.records, list);
  const heads = compareHeads(load.heads, list);
  const checks = checkBars({ summaries, slow: slowRows, notRun, scenarios: list });
  const machine = describeMachine();
  const runSettings =
    `${args.quick ? "--quick, " : ""}${settings.rounds} interleaved rounds; hello ${settings.duration} s per run after a ` +
    `${settings.warmup} s warm-up, echo and stream ${settings.bodyDuration} s after ${settings.bodyWarmup} s; ` +
    `slow reader ${settings.slowRounds} round(s); ${list.length} scenarios; took ${elapsed()}`;
  const sections = [preamble(machine, runSettings)];
  for (const workload of ["hello", "echo", "stream"]) {
    if (!chosen.has(workload)) continue;
    sections.push(
      `### ${workloads[workload].title}\n\n${workloadTable(summaries[workload], scenariosFor(list, workload, workloadsOf), notRun, workload)}`,
    );
  }
  if (chosen.has("slow")) {
    const slowList = list.filter((scenario) => streams(scenario));
    sections.push(`### Slow reader: GET /big (64 MiB), peak RSS growth\n\n${slowTable(slowRows, slowList, notRun)}`);
  }
  sections.push(`### Answers beside the baseline's\n\n${headsTable(heads)}`);
  sections.push(`### Bars\n\n${barsTable(checks)}`);
  const report = sections.join("\n\n");
  save("run", report, {
    settings,
    machine,
    records: load.records,
    slow: slow.records,
    summaries,
    slowRows,
    heads,
    checks,
    notRun: describeNotRun(list, notRun),
  });
}

function scenariosFor(list, workload, workloadsOf) {
  return list.filter((scenario) => workloadsOf(scenario).includes(workload));
}

function describeNotRun(list, notRun) {
  const out = {};
  for (const scenario of list) {
    for (const workload of ["hello", "echo", "stream", "slow"]) {
      const reason = notRun(scenario.name, workload);
      if (reason) (out[scenario.name] ??= {})[workload] = reason;
    }
  }
  return out;
}

async function cpuMode() {
  const workload = args.workload;
  if (!workloads[workload]) throw new Error(`--cpu measures hello, echo or stream, not ${workload}`);
  const list =
    workload === "hello"
      ? pick((scenario) => CPU_SCENARIOS.includes(scenario.name) || CPU_FROM.includes(scenario.name))
      : pick((scenario) => scenario.streams && scenario.kind !== "peer");
  const worker = startLoadWorker();
  let load;
  try {
    load = await measureRounds({
      scenarios: list,
      workloadsOf: () => [workload],
      rounds: settings.rounds,
      timing: { [workload]: { amount: settings.amount, warmupAmount: settings.warmupAmount } },
      worker,
      log,
    });
  } finally {
    await worker.close();
  }
  const notRun = notRunFrom(load);
  const summaries = { [workload]: summarise(load.records, list, workload) };
  const checks = checkBars({ summaries, notRun, scenarios: list, metric: "cpu", workload });
  const machine = describeMachine();
  const runSettings =
    `--cpu: ${settings.rounds} interleaved rounds of ${settings.amount.toLocaleString("en-US")} ` +
    `${workloads[workload].title} requests each after ${settings.warmupAmount.toLocaleString("en-US")} to warm up; ${list.length} scenarios; took ${elapsed()}`;
  const report = [
    preamble(machine, runSettings),
    `### ${workloads[workload].title}, fixed request count\n\n${workloadTable(summaries[workload], list, notRun, workload)}`,
    `### Bars by CPU per request\n\n${barsTable(checks)}`,
  ].join("\n\n");
  save(workload === "hello" ? "cpu" : `cpu-${workload}`, report, {
    settings,
    machine,
    records: load.records,
    summaries,
    checks,
    notRun: describeNotRun(list, notRun),
  });
}

async function instructionsMode() {
  const workload = args.workload;
  if (!workloads[workload]) throw new Error(`--instructions counts hello, echo or stream, not ${workload}`);
  const missing = callgrindMissing();
  if (missing) throw new Error(`--instructions needs valgrind: ${missing}`);
  const rounds = number(args.rounds, 1);
  const list =
    workload === "hello"
      ? pick((scenario) => [...CPU_SCENARIOS, ...CPU_FROM, ...UNFUSED_FROM].includes(scenario.name))
      : pick((scenario) => scenario.streams && scenario.kind !== "peer");
  const counted = await countRounds({
    scenarios: list,
    workload,
    amount: settings.amount,
    warmupAmount: settings.warmupAmount,
    rounds,
    log,
  });
  const notRun = notRunFrom(counted);
  const rows = summariseInstructions(counted.records, list);
  const checks = checkBars({
    summaries: { [workload]: rows },
    notRun,
    scenarios: list,
    metric: "instructions",
    workload,
  });
  const machine = describeMachine();
  const runSettings =
    `--instructions: ${rounds} round(s) of ${settings.amount.toLocaleString("en-US")} ${workloads[workload].title} ` +
    `requests per scenario after ${settings.warmupAmount.toLocaleString("en-US")} to warm up; ${list.length} scenarios; took ${elapsed()}`;
  const report = [
    instructionsPreamble(machine, runSettings, callgrindVersion()),
    `### ${workloads[workload].title}, instructions per request\n\n${instructionsTable(rows, list, notRun, workload)}`,
    `### Bars by instructions per request\n\n${barsTable(checks, { cpu: false })}`,
  ].join("\n\n");
  save(workload === "hello" ? "instructions" : `instructions-${workload}`, report, {
    settings: { ...settings, rounds },
    machine,
    records: counted.records,
    rows,
    checks,
    notRun: describeNotRun(list, notRun),
  });
}

async function profileMode(name) {
  const profileDir = join(resultsDir, "profiles");
  mkdirSync(profileDir, { recursive: true });
  const server = await startServer(name, ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
  if (server.skipped) throw new Error(`${name}: skipped: ${server.skipped}`);
  const scenario = scenarios.find((candidate) => candidate.name === name);
  const workload = args.workload;
  const spec = workloads[workload];
  const worker = startLoadWorker();
  const since = Date.now();
  // Every request the server handled while profiling: probe, warm-up and the run.
  let requests = 1;
  try {
    const problem = await probe(server.port, scenario.prefix ?? "", workload);
    if (problem) throw new Error(`${name} ${workload}: ${problem}`);
    const url = `http://127.0.0.1:${server.port}${scenario.prefix ?? ""}${spec.path}`;
    const command = {
      url,
      method: spec.method,
      bodySize: spec.bodySize,
      connections: spec.connections,
      pipelining: spec.pipelining,
    };
    requests += (await worker.run({ ...command, duration: settings.warmup })).requests;
    const result = await worker.run({ ...command, duration: settings.duration });
    requests += result.requests;
    log(`${name} ${workload}: ${Math.round(result.rps)} req/s under --cpu-prof`);
  } finally {
    await worker.close();
    await server.stop();
  }
  const file = readdirSync(profileDir)
    .filter((entry) => entry.endsWith(".cpuprofile"))
    .map((entry) => join(profileDir, entry))
    .filter((path) => statSync(path).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!file) throw new Error("no .cpuprofile was written");
  console.log(
    `${file} (${requests} requests)\n\n${profileTable(topSelfTime(JSON.parse(readFileSync(file, "utf8")), 30), requests)}`,
  );
}

/** Writes bench/results/<timestamp>[-<kind>].md and .json, prints the report, and with --doc updates docs/performance.md. */
function save(kind, report, data) {
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/[:.]/g, "-")
    .replace(/-\d{3}Z$/, "Z");
  const stem = join(resultsDir, kind === "run" ? stamp : `${stamp}-${kind}`);
  writeFileSync(`${stem}.md`, `# Gangway benchmark, ${new Date().toISOString()}\n\n${report}\n`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(data, null, 2)}\n`);
  console.log(report);
  log(`\nwrote ${stem}.md and .json`);
  if (args.doc) writeDoc(kind, report);
}

/**
 * Replaces the generated part of docs/performance.md — between `<!-- bench:<kind> -->` and
 * `<!-- /bench:<kind> -->` — leaving the hand-written text around it alone.
 */
function writeDoc(kind, report) {
  const path = join(root, "docs", "performance.md");
  let doc;
  try {
    doc = readFileSync(path, "utf8");
  } catch {
    doc = "# Performance\n";
  }
  const open = `<!-- bench:${kind} -->`;
  const close = `<!-- /bench:${kind} -->`;
  const [mode, workload] = kind.split("-");
  const command = kind === "run" ? "" : ` --${mode}${workload ? ` --workload ${workload}` : ""}`;
  const block = `${open}\n\n_Generated by \`pnpm bench${command} --doc\` on ${new Date().toISOString().slice(0, 10)}._\n\n${report}\n\n${close}`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  doc =
    start !== -1 && end > start
      ? doc.slice(0, start) + block + doc.slice(end + close.length)
      : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, doc);
  log(`updated ${path}`);
}
