/**
 * One GiB each way through every bridge direction, with live memory sampled along the way: the
 * peak growth must stay under 64 MiB. Run it with `pnpm soak:gib` (see docs/reliability.md);
 * `--mib=N` changes the size and `--only=<part of a path name>` narrows the paths.
 */
import { streamPaths } from "./soak-paths.js";
import { streamThrough } from "./stream-run.js";

const MiB = 1024 * 1024;
const LIMIT = 64 * MiB;

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value = "true"] = arg.replace(/^--/, "").split("=");
    return [key, value] as const;
  }),
);
const size = Number(args.get("mib") ?? 1024) * MiB;
const only = args.get("only");

if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
  console.error("run with --expose-gc: the figures are live memory after full collections");
  process.exit(2);
}

let failed = false;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
console.log(`streaming ${mib(size)} each way, live memory growth limit ${mib(LIMIT)}\n`);
for (const path of streamPaths().filter((candidate) => only === undefined || candidate.name.includes(only))) {
  for (const direction of ["download", "upload"] as const) {
    const figures = await streamThrough(path, size, direction).catch((error: unknown) => error as Error);
    if (figures instanceof Error) {
      failed = true;
      console.log(`FAIL ${direction.padEnd(8)} ${path.name}\n     ! ${figures.message}`);
      continue;
    }
    const ok = figures.peakGrowth < LIMIT;
    failed ||= !ok;
    console.log(
      `${ok ? "ok  " : "FAIL"} ${direction.padEnd(8)} ${path.name}\n` +
        `     ${(size / MiB / figures.seconds).toFixed(0)} MiB/s, peak growth ${mib(figures.peakGrowth)} live, ` +
        `${mib(figures.peakRssGrowth)} rss (${figures.samples} samples)`,
    );
  }
}
process.exit(failed ? 1 : 0);
