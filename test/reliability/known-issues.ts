/**
 * Faults the adapter paths are known to fail, each with the bug behind it and where it lives. A
 * path's test file passes its entries to `runReliability(path, { known })`, which runs them as
 * `it.fails`: when a bug is fixed its tests start passing, fail as "expected to fail", and the
 * entry goes. docs/reliability.md lists the same bugs.
 */

/** Test names, as the fault modules register them. */
export const tests = {
  wire413: "an oversized upload on the wire gets the whole 413 before the connection closes",
} as const;

/**
 * What is left, by where it lives: host behaviour a native app shows too, registered so the suite
 * says why these paths differ from serve().
 */
export const bugs = {
  expressFinalHandler:
    "host behaviour: Express's finalhandler reads the whole unread body before it answers, and keeps the " +
    "connection (a native Express app does the same)",
} as const;

/** Entries for `runReliability(path, { known })`: every named test of `names` failing for `bug`. */
export function known(...entries: Array<[names: string | readonly string[], bug: string]>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [names, bug] of entries) for (const name of [names].flat()) result[name] = bug;
  return result;
}
