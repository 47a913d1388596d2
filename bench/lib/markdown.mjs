/**
 * The report as markdown: the machine, the method, one table per workload, the slow-reader table,
 * and each bar met or missed.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { CLOCK_TICKS } from "./proc.mjs";
import { pinning, serverFlags, serverTunables } from "./processes.mjs";
import { slowReader, workloads } from "./workloads.mjs";

const benchModules = new URL("../node_modules/", import.meta.url);

const PACKAGES = [
  "@gangway/core",
  "@gangway/express",
  "@gangway/koa",
  "@gangway/fastify",
  "express",
  "koa",
  "fastify",
  "@fastify/express",
  "koa-connect",
  "h3",
  "srvx",
  "hono",
  "@hono/node-server",
  "light-my-request",
  "autocannon",
];

/** The machine and software the numbers came from. */
export function describeMachine() {
  let cpu = "unknown";
  try {
    cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpu;
  } catch {}
  const versions = {};
  for (const name of PACKAGES) {
    try {
      // Read from disk: some packages (srvx, hono) do not export their package.json.
      versions[name] = JSON.parse(readFileSync(new URL(`${name}/package.json`, benchModules), "utf8")).version;
    } catch {
      versions[name] = "not installed";
    }
  }
  return {
    cores: availableParallelism(),
    cpu,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    versions,
    pinning: pinning ? `server on core ${pinning.server}, load on core ${pinning.load} (taskset)` : "none",
    serverFlags: serverFlags().join(" "),
    serverTunables: serverTunables(),
  };
}

const fmt = {
  int: (value) => (value === undefined ? "n/a" : Math.round(value).toLocaleString("en-US")),
  fixed: (digits) => (value) => (value === undefined ? "n/a" : value.toFixed(digits)),
  percent: (value) => (value === undefined ? "n/a" : `${Math.round(value * 100)}%`),
};

function ratioCell(value, against) {
  return value === undefined ? "—" : `${value.toFixed(2)} (${against})`;
}

/** A markdown table; a header starting lower-case is a text column, left-aligned, the rest numbers. */
function table(header, rows) {
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((cell) => (/^[a-z]/.test(cell) ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

/** The table of one workload; scenarios with no numbers get a row saying why. */
export function workloadTable(rows, scenarios, notRun, workload) {
  const header = [
    "scenario",
    "path",
    "Req/s",
    "Spread (min–max)",
    "P99 ms",
    "CPU µs/req",
    "Server CPU",
    "Others on its core",
    "Peak RSS MiB",
    "× baseline",
    "× baseline, CPU",
    "× best peer",
  ];
  const body = [];
  for (const scenario of scenarios) {
    const row = rows.find((candidate) => candidate.scenario === scenario.name);
    if (!row) {
      const reason = notRun(scenario.name, workload);
      if (reason) body.push([`\`${scenario.name}\``, scenario.label, reason, ...Array(header.length - 3).fill("")]);
      continue;
    }
    body.push([
      `\`${row.scenario}\``,
      row.problems ? `${row.label} (${row.problems} bad responses)` : row.label,
      fmt.int(row.rps),
      `${fmt.int(row.rpsMin)}–${fmt.int(row.rpsMax)}`,
      fmt.int(row.p99),
      fmt.fixed(1)(row.cpuPerRequest),
      fmt.percent(row.cpuShare),
      fmt.percent(row.othersShare),
      fmt.fixed(0)(row.peakRss),
      ratioCell(row.ratio, row.baseline),
      ratioCell(row.cpuRatio, row.baseline),
      ratioCell(row.peerRatio, row.peer),
    ]);
  }
  return table(header, body);
}

/** The slow-reader table. */
export function slowTable(rows, scenarios, notRun) {
  const header = ["scenario", "path", "Idle RSS MiB", "Peak RSS MiB", "Growth MiB", "Growth − native MiB", "Seconds"];
  const body = [];
  for (const scenario of scenarios) {
    const row = rows.find((candidate) => candidate.scenario === scenario.name);
    if (!row) {
      const reason = notRun(scenario.name, "slow");
      if (reason) body.push([`\`${scenario.name}\``, scenario.label, reason, "", "", "", ""]);
      continue;
    }
    body.push([
      `\`${row.scenario}\``,
      row.label,
      fmt.fixed(0)(row.idleRss),
      fmt.fixed(0)(row.peakRss),
      fmt.fixed(1)(row.growth),
      row.overNative === undefined
        ? "—"
        : `${row.overNative >= 0 ? "+" : ""}${row.overNative.toFixed(1)} (${row.baseline})`,
      fmt.fixed(1)(row.seconds),
    ]);
  }
  return table(header, body);
}

/**
 * What each path's answers carry beside its baseline's (rows from `compareHeads`): a path that sends
 * less may owe part of its speed to that, and a reader should see it next to the ratios.
 */
export function headsTable(rows) {
  if (rows.length === 0) return "Every path's answers carry the same status and header names as its baseline's.";
  const names = (list) => (list.length === 0 ? "" : list.map((name) => `\`${name}\``).join(", "));
  const body = rows.map((row) => [
    `\`${row.scenario}\``,
    `\`${row.baseline}\``,
    row.workload,
    names(row.lacks),
    names(row.adds),
    names(row.differs),
  ]);
  return table(["scenario", "baseline", "workload", "lacks", "adds", "differs in value"], body);
}

/**
 * The bars, one line each: the verdict by the bar's own measure, and by CPU per request beside it
 * (`cpu: false` for a measure that has no CPU time beside it).
 */
export function barsTable(checks, { cpu = true } = {}) {
  const header = ["bar", "path", "Measured", "Bar", "verdict", "CPU ratio", "by CPU"].slice(0, cpu ? 7 : 5);
  const bold = (verdict) => (verdict === "met" || verdict === "missed" ? `**${verdict}**` : verdict);
  const body = checks.map((check) =>
    [
      check.bar,
      `\`${check.scenario}\`${check.baseline ? ` vs \`${check.baseline}\`` : ""}`,
      check.measured === undefined
        ? "n/a"
        : check.unit
          ? `${check.measured.toFixed(1)} ${check.unit}`
          : check.measured.toFixed(2),
      check.threshold,
      bold(check.verdict),
      check.cpuRatio === undefined ? "—" : check.cpuRatio.toFixed(2),
      check.cpuVerdict ?? "—",
    ].slice(0, header.length),
  );
  return table(header, body);
}

/** The table of an `--instructions` run (rows from `summariseInstructions`). */
export function instructionsTable(rows, scenarios, notRun, workload) {
  const header = ["scenario", "path", "Instructions/req (k)", "Spread (min–max)", "Other threads (k)", "× baseline"];
  const k = (value) => (value === undefined ? "n/a" : (value / 1000).toFixed(1));
  const body = [];
  for (const scenario of scenarios) {
    const row = rows.find((candidate) => candidate.scenario === scenario.name);
    if (!row) {
      const reason = notRun(scenario.name, workload);
      if (reason) body.push([`\`${scenario.name}\``, scenario.label, reason, "", "", ""]);
      continue;
    }
    body.push([
      `\`${row.scenario}\``,
      row.label,
      k(row.main),
      `${k(row.mainMin)}–${k(row.mainMax)}`,
      k(row.other),
      ratioCell(row.ratio, row.baseline),
    ]);
  }
  return table(header, body);
}

/** The machine and method section shared by both report kinds. */
export function preamble(machine, settings) {
  const versions = Object.entries(machine.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  const loads = Object.entries(workloads)
    .map(
      ([name, spec]) =>
        `${name}: ${spec.connections} connections${spec.pipelining > 1 ? ` × ${spec.pipelining} pipelined` : ""}`,
    )
    .join("; ");
  return [
    `- Machine: ${machine.cores} cores (\`nproc\`), ${machine.cpu}, ${machine.memoryGiB} GiB; ${machine.platform}; Node ${machine.node}.`,
    "- Shared: other engineers ran tests on the same two cores during the run, so absolute numbers swing; read the ratios (taken within a round) and the CPU per request.",
    `- Pinning: ${machine.pinning}. CPU time from /proc/<pid>/stat (utime+stime, ${CLOCK_TICKS} ticks/s), peak RSS from VmHWM (reset per workload through clear_refs).`,
    `- Servers: ${machine.serverFlags ? `\`node ${machine.serverFlags}\`, the young generation at the size a busy server grows it to (bench/README.md)` : "`node` with V8's own young-generation sizing (`--v8-heap`)"}; ${machine.serverTunables ? `\`GLIBC_TUNABLES=${machine.serverTunables}\`, glibc keeping freed heap memory instead of trimming it` : "glibc's own heap trimming (`--default-malloc`)"}.`,
    `- Packages: ${versions}.`,
    `- Run: ${settings}.`,
    `- Load (autocannon): ${loads}. Slow reader: ${slowReader.bytes / 2 ** 20} MiB read ~${slowReader.readBytes / 2 ** 20} MiB at a time with ${slowReader.pauseMs} ms pauses.`,
  ].join("\n");
}

/** The machine and method section of an `--instructions` report. */
export function instructionsPreamble(machine, settings, valgrind) {
  const versions = Object.entries(machine.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  return [
    `- Machine: ${machine.cores} cores (\`nproc\`), ${machine.cpu}, ${machine.memoryGiB} GiB; ${machine.platform}; Node ${machine.node}; ${valgrind}.`,
    "- Counted: user-space instructions of the server's main thread per request, by callgrind (the event loop, the HTTP parser, every JavaScript handler, the young-generation collections); not the kernel's work nor memory stalls. The machine's load does not enter them, so scenarios run two at a time; some servers' counts still move by a few per cent from run to run (docs/performance.md, \"Instructions per request\").",
    `- Servers: \`valgrind --tool=callgrind --smc-check=all-non-file --separate-threads=yes --fair-sched=yes node ${machine.serverFlags}\`; counters zeroed after the warm-up, dumped after the measured requests.`,
    "- Load (autocannon): one connection, no pipelining, so every request is one turn of the event loop whatever the server's speed.",
    `- Packages: ${versions}.`,
    `- Run: ${settings}.`,
  ].join("\n");
}
