/**
 * Turns per-round records into per-scenario rows. Every ratio is taken within one round (a
 * scenario's number over its baseline's in that same round) and the row holds the median of those
 * ratios, so drift on the shared machine between rounds cancels out.
 */
import { max, median, min } from "./stats.mjs";

function byRound(records, workload) {
  const rounds = new Map();
  for (const record of records) {
    if (record.workload !== workload) continue;
    if (!rounds.has(record.round)) rounds.set(record.round, new Map());
    rounds.get(record.round).set(record.scenario, record);
  }
  return rounds;
}

/** Median over rounds of `pick(scenario's record, other's record)` where both ran. */
function roundRatio(rounds, scenario, other, pick) {
  const ratios = [];
  for (const round of rounds.values()) {
    const mine = round.get(scenario);
    const theirs = round.get(other);
    if (mine && theirs) ratios.push(pick(mine, theirs));
  }
  return median(ratios);
}

const throughput = (mine, theirs) => mine.rps / theirs.rps;
// Baseline CPU per request over ours: like the throughput ratio, above 1 means cheaper than it.
const cpuEfficiency = (mine, theirs) => theirs.cpuPerRequest / mine.cpuPerRequest;

/**
 * One row per scenario for `workload`: medians over rounds of req/s, p99, CPU per request and
 * server CPU share; the spread of req/s; the highest peak RSS; the ratios to its baseline (req/s
 * and CPU) and to the best peer doing the same job (the peer with the highest median req/s).
 */
export function summarise(records, scenarios, workload) {
  const rounds = byRound(records, workload);
  const mine = (name) => records.filter((record) => record.workload === workload && record.scenario === name);
  const medianRps = (name) => median(mine(name).map((record) => record.rps));
  const rows = [];
  for (const scenario of scenarios) {
    const own = mine(scenario.name);
    if (own.length === 0) continue;
    const row = {
      scenario: scenario.name,
      label: scenario.label,
      kind: scenario.kind,
      rounds: own.length,
      rps: median(own.map((record) => record.rps)),
      rpsMin: min(own.map((record) => record.rps)),
      rpsMax: max(own.map((record) => record.rps)),
      p99: median(own.map((record) => record.p99)),
      cpuPerRequest: median(own.map((record) => record.cpuPerRequest)),
      cpuShare: median(own.map((record) => record.cpuShare)),
      othersShare: median(own.map((record) => record.othersShare)),
      peakRss: max(own.map((record) => record.peakRss)),
      problems: own.reduce((sum, record) => sum + (record.problems ?? 0), 0),
    };
    if (scenario.baseline) {
      row.baseline = scenario.baseline;
      row.ratio = roundRatio(rounds, scenario.name, scenario.baseline, throughput);
      row.cpuRatio = roundRatio(rounds, scenario.name, scenario.baseline, cpuEfficiency);
    }
    if (scenario.kind === "gangway" && scenario.job) {
      const peers = scenarios.filter((other) => other.kind === "peer" && other.job === scenario.job);
      const ranked = peers
        .map((peer) => ({ name: peer.name, rps: medianRps(peer.name) }))
        .filter((peer) => peer.rps !== undefined)
        .sort((a, b) => b.rps - a.rps);
      if (ranked.length > 0) {
        row.peer = ranked[0].name;
        row.peerRatio = roundRatio(rounds, scenario.name, row.peer, throughput);
        row.peerCpuRatio = roundRatio(rounds, scenario.name, row.peer, cpuEfficiency);
      }
    }
    rows.push(row);
  }
  return rows;
}

/**
 * One row per scenario for the slow reader: the median RSS growth over its rounds, and that growth
 * minus its native baseline's (the bar: within 32 MiB).
 */
export function summariseSlow(records, scenarios) {
  const growthOf = (name) =>
    median(records.filter((record) => record.scenario === name).map((record) => record.growth));
  const rows = [];
  for (const scenario of scenarios) {
    const own = records.filter((record) => record.scenario === scenario.name);
    if (own.length === 0) continue;
    const growth = growthOf(scenario.name);
    const row = {
      scenario: scenario.name,
      label: scenario.label,
      kind: scenario.kind,
      rounds: own.length,
      idleRss: median(own.map((record) => record.idleRss)),
      peakRss: max(own.map((record) => record.peakRss)),
      growth,
      seconds: median(own.map((record) => record.seconds)),
    };
    if (scenario.baseline) {
      row.baseline = scenario.baseline;
      const native = growthOf(scenario.baseline);
      if (native !== undefined && growth !== undefined) row.overNative = growth - native;
    }
    rows.push(row);
  }
  return rows;
}
