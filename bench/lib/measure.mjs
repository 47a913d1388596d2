/**
 * The measuring loops. Scenarios run interleaved — A B C … in one round, … C B A in the next — so
 * a slow spell on the shared machine lands on every scenario rather than on one; each scenario
 * gets a fresh server process per round, probed for correct answers before it is loaded.
 */

import { probe, probeAnswer } from "./probe.mjs";
import { peakRssMiB, resetPeak, rssMiB } from "./proc.mjs";
import { pinning, startServer } from "./processes.mjs";
import { slowReader, workloads } from "./workloads.mjs";

/** Scenario order for round `round` (0-based): forwards, then backwards, alternating. */
export function roundOrder(list, round) {
  return round % 2 === 0 ? list : [...list].reverse();
}

/**
 * Measures one workload against a running server: a warm-up, then the measured part, with the
 * server's CPU time read around it by the load process and its peak RSS read after.
 */
async function measureOnce(worker, server, prefix, workload, { duration, warmup = 0, amount, warmupAmount }) {
  const spec = workloads[workload];
  const result = await worker.run({
    url: `http://127.0.0.1:${server.port}${prefix}${spec.path}`,
    method: spec.method,
    bodySize: spec.bodySize,
    connections: spec.connections,
    pipelining: spec.pipelining,
    warmup,
    duration,
    amount,
    warmupAmount,
    pid: server.pid,
    core: pinning?.server,
  });
  const cpu = result.cpuMicros;
  return {
    rps: result.rps,
    p99: result.p99,
    requests: result.requests,
    cpuPerRequest: cpu === undefined || result.requests === 0 ? undefined : cpu / result.requests,
    cpuShare: cpu === undefined ? undefined : cpu / (result.seconds * 1e6),
    // What other processes took from the server's core meanwhile: the shared machine's noise.
    othersShare:
      cpu === undefined || result.coreMicros === undefined
        ? undefined
        : Math.max(0, result.coreMicros - cpu) / (result.seconds * 1e6),
    peakRss: peakRssMiB(server.pid),
    problems: result.bad + result.errors + result.timeouts,
  };
}

/**
 * Runs `rounds` interleaved rounds over `scenarios`, each scenario's server serving the
 * workloads `workloadsOf(scenario)` in turn, each for `timing[workload]` (`{ duration, warmup }`
 * in seconds, or `{ amount, warmupAmount }` for a fixed request count). Returns `{ records, skipped, failed, heads }`: one record
 * per (round, scenario, workload); `skipped[name]` for a scenario that would not start,
 * `failed[name][workload]` for a workload whose probe answer was wrong; `heads[name][workload]`,
 * the status and headers of the first probe's answer (for `compareHeads`).
 */
export async function measureRounds({ scenarios, workloadsOf, rounds, timing, worker, log }) {
  const records = [];
  const skipped = {};
  const failed = {};
  const heads = {};
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1}/${rounds}`);
    for (const scenario of roundOrder(scenarios, round)) {
      if (skipped[scenario.name]) continue;
      const server = await startServer(scenario.name);
      if (server.skipped) {
        skipped[scenario.name] = server.skipped;
        log(`  ${scenario.name}: skipped: ${server.skipped}`);
        continue;
      }
      try {
        const line = [];
        for (const workload of workloadsOf(scenario)) {
          if (failed[scenario.name]?.[workload]) continue;
          const { problem, head } = await probeAnswer(server.port, scenario.prefix ?? "", workload);
          if (head !== undefined) (heads[scenario.name] ??= {})[workload] ??= head;
          if (problem) {
            (failed[scenario.name] ??= {})[workload] = problem;
            line.push(`${workload} failed: ${problem}`);
            continue;
          }
          const measured = await measureOnce(worker, server, scenario.prefix ?? "", workload, timing[workload]);
          records.push({ round, scenario: scenario.name, workload, ...measured });
          line.push(
            `${workload} ${Math.round(measured.rps)}/s${measured.problems ? ` (${measured.problems} bad)` : ""}`,
          );
        }
        log(`  ${scenario.name}: ${line.join(", ")}`);
      } finally {
        await server.stop();
      }
    }
  }
  return { records, skipped, failed, heads };
}

/**
 * The slow-reader check: per scenario a fresh server, its RSS read once it is idle, then a 64 MiB
 * download by a client that keeps pausing; the peak RSS over that download minus the idle RSS is
 * what the server held back because the client was slow.
 */
export async function measureSlow({ scenarios, rounds, worker, log }) {
  const records = [];
  const skipped = {};
  const failed = {};
  for (let round = 0; round < rounds; round++) {
    log(`slow reader, round ${round + 1}/${rounds}`);
    for (const scenario of roundOrder(scenarios, round)) {
      if (skipped[scenario.name] || failed[scenario.name]) continue;
      const server = await startServer(scenario.name);
      if (server.skipped) {
        skipped[scenario.name] = server.skipped;
        continue;
      }
      try {
        const problem = await probe(server.port, scenario.prefix ?? "", "hello");
        if (problem) {
          failed[scenario.name] = problem;
          continue;
        }
        const idle = rssMiB(server.pid);
        resetPeak(server.pid);
        const url = `http://127.0.0.1:${server.port}${scenario.prefix ?? ""}${slowReader.path}`;
        const result = await worker.run({
          type: "slow",
          url,
          readBytes: slowReader.readBytes,
          pauseMs: slowReader.pauseMs,
        });
        const peak = peakRssMiB(server.pid);
        if (result.status !== 200 || result.bytes !== slowReader.bytes) {
          failed[scenario.name] = `status ${result.status}, ${result.bytes} bytes of ${slowReader.bytes}`;
          continue;
        }
        const growth = idle === undefined || peak === undefined ? undefined : peak - idle;
        records.push({
          round,
          scenario: scenario.name,
          workload: "slow",
          idleRss: idle,
          peakRss: peak,
          growth,
          seconds: result.seconds,
        });
        log(`  ${scenario.name}: +${growth?.toFixed(1)} MiB over ${result.seconds.toFixed(1)} s`);
      } catch (error) {
        failed[scenario.name] = error.message;
      } finally {
        await server.stop();
      }
    }
  }
  return { records, skipped, failed };
}
