/**
 * The soak: 100,000 mixed requests per path (GET, POST echo, streamed response, aborted request),
 * then live memory and open handles compared with where they started. Run it with `pnpm soak`
 * (see docs/reliability.md); `--requests=N` and `--only=<part of a path name>` narrow it.
 * Exits non-zero when a path fails, leaks, or leaves a handle open.
 */
import type { ConformancePath } from "../conformance/suite.js";
import { watchProcess } from "../reliability/process-watch.js";
import { soakPaths } from "./soak-paths.js";
import { grownResources, runSoak, type SoakFigures } from "./soak-run.js";

const MiB = 1024 * 1024;
// A leak of 160 bytes a request is 16 MiB over 100,000 requests.
const HEAP_LIMIT = 16 * MiB;

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value = "true"] = arg.replace(/^--/, "").split("=");
    return [key, value] as const;
  }),
);
const requests = Number(args.get("requests") ?? 100_000);
const only = args.get("only");

function problems(figures: SoakFigures): string[] {
  const found: string[] = [];
  if (figures.failures > 0) found.push(`${figures.failures} failed requests`);
  if (figures.bodiesFinished !== figures.bodiesStarted) {
    found.push(`${figures.bodiesStarted - figures.bodiesFinished} bodies never finished`);
  }
  if (figures.signalsAborted !== figures.aborts) {
    found.push(`${figures.aborts - figures.signalsAborted} aborts the app never saw`);
  }
  if (figures.heapAfter - figures.heapBefore > HEAP_LIMIT) found.push("heap grew");
  const grown = grownResources(figures.resourcesBefore, figures.resourcesAfter);
  if (Object.keys(grown).length > 0) found.push(`handles left open: ${JSON.stringify(grown)}`);
  return found;
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const signed = (bytes: number) => `${bytes >= 0 ? "+" : ""}${mib(bytes)}`;

if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
  console.error("run with --expose-gc: the figures are live memory after a full collection");
  process.exit(2);
}

const watch = watchProcess();
let failed = false;
const paths: ConformancePath[] = soakPaths().filter((path) => only === undefined || path.name.includes(only));
console.log(`soak: ${requests.toLocaleString("en")} requests per path, ${paths.length} paths\n`);
for (const path of paths) {
  const figures = await runSoak(path, { requests });
  const found = [...problems(figures), ...watch.take()];
  failed ||= found.length > 0;
  console.log(
    [
      `${found.length === 0 ? "ok  " : "FAIL"} ${path.name}`,
      `     ${Math.round(requests / figures.seconds).toLocaleString("en")} req/s over ${figures.seconds.toFixed(1)} s`,
      `     heap ${mib(figures.heapBefore)} -> ${mib(figures.heapAfter)} (${signed(figures.heapAfter - figures.heapBefore)})`,
      `     rss  ${mib(figures.rssBefore)} -> ${mib(figures.rssAfter)} (${signed(figures.rssAfter - figures.rssBefore)})`,
      `     handles ${JSON.stringify(figures.resourcesBefore)} -> ${JSON.stringify(figures.resourcesAfter)}`,
      `     bodies ${figures.bodiesFinished}/${figures.bodiesStarted} finished, aborts ${figures.signalsAborted}/${figures.aborts} seen`,
      ...found.map((problem) => `     ! ${problem}`),
    ].join("\n"),
  );
}
watch.stop();
process.exit(failed ? 1 : 0);
