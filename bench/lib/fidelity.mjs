/**
 * What each path sends beside what its baseline sends: header names one has and the other lacks,
 * and values that differ. A path faster than its baseline may simply send less — @fastify/express
 * swaps Express's `res.send` for Fastify's, and its answers carry no ETag — so the report shows
 * it next to the numbers. Only the status and headers are compared: the probe already checked the
 * bodies.
 */

// Set by the server for the moment of the answer, not by the path.
const IGNORED = new Set(["date"]);

/**
 * `heads[scenario][workload]` holds the `{ status, headers }` a probe saw (node:http lower-cases
 * header names, so case never counts). Returns one row per scenario and workload whose answer
 * differs from its baseline's: `{ scenario, baseline, workload, lacks, adds, differs }`, each a list
 * of header names (`differs` may hold "status" too).
 */
export function compareHeads(heads, scenarios) {
  const rows = [];
  for (const scenario of scenarios) {
    if (!scenario.baseline) continue;
    for (const [workload, mine] of Object.entries(heads[scenario.name] ?? {})) {
      const theirs = heads[scenario.baseline]?.[workload];
      if (theirs === undefined) continue;
      const names = (head) => Object.keys(head.headers).filter((name) => !IGNORED.has(name));
      const lacks = names(theirs).filter((name) => !(name in mine.headers));
      const adds = names(mine).filter((name) => !(name in theirs.headers));
      const differs = names(mine).filter(
        (name) => name in theirs.headers && String(mine.headers[name]) !== String(theirs.headers[name]),
      );
      if (mine.status !== theirs.status) differs.unshift("status");
      if (lacks.length + adds.length + differs.length > 0) {
        rows.push({ scenario: scenario.name, baseline: scenario.baseline, workload, lacks, adds, differs });
      }
    }
  }
  return rows;
}
