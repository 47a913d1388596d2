/**
 * The bars issue 8 sets, checked against one run's summaries. Each check names the path, the
 * measured ratio (median of per-round ratios), and the CPU ratio beside it: on this shared machine
 * throughput swings, and for ratios near 1 the CPU per request is the steadier witness.
 */

const HOST_PATHS = ["gw:in-express", "gw:in-koa", "gw:in-fastify"];
const FUSED = ["gw:express", "gw:koa", "gw:fastify"];
const UNFUSED = ["gw:express:unfused", "gw:koa:unfused", "gw:fastify:unfused"];
// One framework's app inside another's host: the jobs koa-connect and @fastify/express do.
const CROSS = [
  "gw:koa-in-express",
  "gw:koa-in-express:own-server",
  "gw:koa-in-express:unfused",
  "gw:express-in-koa",
  "gw:express-in-koa:unfused",
  "gw:express-in-fastify",
  "gw:express-in-fastify:factory",
  "gw:express-in-fastify:unfused",
];

/**
 * `summaries` maps a workload to its rows (from `summarise`), `slow` holds the slow-reader rows,
 * `notRun(name, workload)` says why a scenario has no numbers for a workload. `metric` is "rps" (a
 * load run), "cpu" (the `--cpu` mode, where the CPU ratio is the measure) or "instructions" (the
 * `--instructions` mode, whose rows carry the instruction ratio as `ratio`), for `workload`: the
 * hello bars, or for echo and stream their every-path bar. Returns the checks in the order of the issue.
 */
export function checkBars({ summaries, slow, notRun, scenarios, metric = "rps", workload = "hello" }) {
  const checks = [];
  const rowOf = (workload, name) => summaries[workload]?.find((row) => row.scenario === name);
  const inRun = (name) => scenarios.some((scenario) => scenario.name === name);
  const ratioCheck = (bar, workload, name, threshold) => {
    if (!inRun(name)) return;
    const row = rowOf(workload, name);
    const measured = metric === "cpu" ? row?.cpuRatio : row?.ratio;
    checks.push({
      bar,
      scenario: name,
      baseline: row?.baseline,
      measured,
      cpuRatio: row?.cpuRatio,
      threshold: `≥ ${threshold.toFixed(2)}`,
      verdict: verdict(measured, (value) => value >= threshold, notRun(name, workload)),
      cpuVerdict: row?.cpuRatio === undefined ? undefined : row.cpuRatio >= threshold ? "met" : "missed",
    });
  };

  const gangway = scenarios.filter((scenario) => scenario.kind === "gangway" && scenario.streams);
  const everyPath = [
    ["stream", "streamed 1 MiB response vs native, every path"],
    ["echo", "64 KiB echo vs native, every path"],
  ];
  if (metric !== "rps" && workload !== "hello") {
    for (const [name, bar] of everyPath)
      if (name === workload) for (const path of gangway) ratioCheck(bar, name, path.name, 0.95);
    return checks;
  }

  ratioCheck("gateway app on serve() vs raw node:http", "hello", "gw:serve", 0.95);
  for (const name of HOST_PATHS)
    ratioCheck("gateway app inside a host vs that host's native handler", "hello", name, 0.95);
  for (const name of FUSED) ratioCheck("from* app on serve(), fused, vs the framework alone", "hello", name, 0.97);
  if (metric === "cpu") return checks;
  for (const name of UNFUSED) ratioCheck("from* app on serve(), unfused, vs the framework alone", "hello", name, 0.75);
  // The peers are not counted: their bar is a load run's.
  if (metric === "instructions") return checks;

  const peerCheck = (bar, name) => {
    const row = rowOf("hello", name);
    const hasPeers = scenarios.some(
      (scenario) => scenario.kind === "peer" && scenario.job && scenario.job === job(scenarios, name),
    );
    checks.push({
      bar,
      scenario: name,
      baseline: row?.peer,
      measured: row?.peerRatio,
      cpuRatio: row?.peerCpuRatio,
      threshold: "> 1.00",
      verdict: hasPeers
        ? verdict(row?.peerRatio, (value) => value > 1, notRun(name, "hello"))
        : "no peer does this job in the bench",
      cpuVerdict: row?.peerCpuRatio === undefined ? undefined : row.peerCpuRatio > 1 ? "met" : "missed",
    });
  };
  for (const name of [...FUSED, ...UNFUSED].filter(inRun)) {
    peerCheck("from* app on serve() ahead of the peers on the same job", name);
  }
  for (const name of CROSS.filter(inRun)) peerCheck("cross pair ahead of the peers on the same job", name);

  for (const [name, bar] of everyPath) for (const path of gangway) ratioCheck(bar, name, path.name, 0.95);

  for (const scenario of gangway) {
    const row = slow?.find((candidate) => candidate.scenario === scenario.name);
    checks.push({
      bar: "slow-reader peak RSS growth within 32 MiB of native",
      scenario: scenario.name,
      baseline: row?.baseline,
      measured: row?.overNative,
      unit: "MiB",
      threshold: "≤ +32 MiB",
      verdict: verdict(row?.overNative, (value) => value <= 32, notRun(scenario.name, "slow")),
    });
  }
  return checks;
}

function job(scenarios, name) {
  return scenarios.find((scenario) => scenario.name === name)?.job;
}

function verdict(measured, passes, reason) {
  if (measured === undefined) return `not measured${reason ? ` (${reason})` : ""}`;
  return passes(measured) ? "met" : "missed";
}
