/**
 * What the bench reads about a server process from /proc (Linux): CPU time, resident memory and
 * its peak. Elsewhere these return `undefined` and the report shows "n/a".
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

/** Clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export const CLOCK_TICKS = clockTicks();

function clockTicks() {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** User + system CPU time the process has used, in microseconds (all its threads: GC included). */
export function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14) and stime (15)
    return (ticks * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

function statusKiB(pid, field) {
  try {
    const match = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set size in MiB (VmHWM) since start or the last {@link resetPeak}. */
export function peakRssMiB(pid) {
  const kib = statusKiB(pid, "VmHWM");
  return kib === undefined ? undefined : kib / 1024;
}

/** Resident set size now, in MiB (VmRSS). */
export function rssMiB(pid) {
  const kib = statusKiB(pid, "VmRSS");
  return kib === undefined ? undefined : kib / 1024;
}

/**
 * Resets the process's VmHWM to its current RSS (`echo 5 > /proc/<pid>/clear_refs`), so the next
 * peak read belongs to one workload alone. Returns whether the kernel allowed it.
 */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Busy time of one CPU core in microseconds (everything but idle and iowait, from /proc/stat):
 * with the server's own CPU time subtracted, what other processes took from the server's core.
 */
export function coreBusyMicros(core) {
  try {
    const line = readFileSync("/proc/stat", "utf8").match(new RegExp(`^cpu${core} (.+)$`, "m"))?.[1];
    if (!line) return undefined;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user + nice + system + irq + softirq + steal) * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
