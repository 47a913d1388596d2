/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) by self time: the functions the
 * process spent its samples in, heaviest first.
 *
 *   node bench/profile.mjs <file.cpuprofile> [--top 25] [--requests N]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * The `top` functions by self time: `{ name, where, selfMs, share }`, where `share` is the part of
 * all sampled time (idle included, so a half-idle server shows it).
 */
export function topSelfTime(profile, top = 25) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    total += delta;
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const key = `${functionName || "(anonymous)"}\u0000${shorten(url)}:${lineNumber + 1}`;
    selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
  });
  return [...selfMicros.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, micros]) => {
      const [name, where] = key.split("\u0000");
      return { name, where, selfMs: micros / 1000, share: micros / total };
    });
}

function shorten(url) {
  if (!url) return "";
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const rel = path.startsWith(root) ? relative(root, path) : path;
  // pnpm's store paths are long: keep the package and file.
  return rel.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "");
}

/**
 * The summary as a markdown table; given the number of requests served while profiling, it adds
 * each function's self time per request, the unit the bench's CPU column uses.
 */
export function profileTable(rows, requests) {
  const perRequest = requests > 0;
  const lines = [
    `| self % | self ms |${perRequest ? " µs/req |" : ""} function | where |`,
    `| ---: | ---: |${perRequest ? " ---: |" : ""} --- | --- |`,
  ];
  for (const row of rows) {
    const micros = perRequest ? ` ${((row.selfMs * 1000) / requests).toFixed(2)} |` : "";
    lines.push(
      `| ${(row.share * 100).toFixed(1)} | ${row.selfMs.toFixed(0)} |${micros} \`${row.name}\` | ${row.where} |`,
    );
  }
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node bench/profile.mjs <file.cpuprofile> [--top N]");
    process.exit(2);
  }
  const topIndex = process.argv.indexOf("--top");
  const top = topIndex === -1 ? 25 : Number(process.argv[topIndex + 1]);
  const requestsIndex = process.argv.indexOf("--requests");
  const requests = requestsIndex === -1 ? 0 : Number(process.argv[requestsIndex + 1]);
  console.log(profileTable(topSelfTime(JSON.parse(readFileSync(file, "utf8")), top), requests));
}
