/**
 * The load generator, a process apart from the server (pinned to its own core by run.mjs).
 *
 *   node bench/load.mjs '{"url":"http://127.0.0.1:3000/hello","duration":5}'   one run, JSON out
 *   node bench/load.mjs --worker    one JSON command per stdin line, one JSON result per stdout line
 *
 * A command is `{ type: "http", url, method?, bodySize?, connections?, pipelining?, warmup?,
 * duration? | amount? and warmupAmount?, pid?, core? }` (autocannon's programmatic API; with the server's `pid` the
 * result holds the server's CPU time over the measured part, with its `core` that core's busy
 * time, other processes' included), or `{ type: "slow", url, readBytes?, pauseMs? }`: a raw
 * node:http client that reads `readBytes`, pauses `pauseMs`, and repeats until the end — the
 * slow reader that only backpressure keeps a server's memory flat against.
 */
import { request } from "node:http";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { coreBusyMicros, cpuMicros, resetPeak } from "./lib/proc.mjs";

const MiB = 1024 * 1024;

/** Runs one command and resolves with its JSON-ready result. */
export function runCommand(command) {
  if (command.type === "slow") return slowRead(command);
  return hammer(command);
}

/**
 * One autocannon run. With `duration`, the warm-up and the measured part are one run: the first
 * `warmup` seconds are not counted, so the connections are already open and busy when measuring
 * starts. With `amount`, a warm-up run comes first (`warmupAmount` requests, or else `warmup`
 * seconds), then a run of `amount` requests, measured up to its last response (or to autocannon's
 * end when it drops the last few pipelined ones). Given the server's `pid`, the server's CPU time
 * is read at the start and end of the measured part, and its peak RSS reset at the start.
 */
async function hammer(command) {
  const { amount, warmup = 0, warmupAmount = 0, duration = 5, pid, core } = command;
  if (amount === undefined) return measure(command, { seconds: warmup + duration, skip: warmup, pid, core });
  if (warmupAmount > 0) await measure(command, { amount: warmupAmount });
  else if (warmup > 0) await measure(command, { seconds: warmup });
  return measure(command, { amount, skip: 0, pid, core });
}

function measure(
  { url, method = "GET", bodySize = 0, connections = 10, pipelining = 1 },
  { seconds, amount, skip = 0, pid, core },
) {
  // Samples every 100 ms: autocannon only notices the end of a run at a sample tick.
  const options = { url, method, connections, pipelining, timeout: 10, sampleInt: 100 };
  if (amount !== undefined) options.amount = amount;
  else options.duration = seconds;
  if (bodySize > 0) {
    options.body = Buffer.alloc(bodySize, "b");
    options.headers = { "content-type": "application/octet-stream" };
  }
  const latencies = [];
  let measuring = false;
  let bad = 0;
  let bytes = 0;
  let started;
  let cpuStart;
  let coreStart;
  let ended;
  const begin = () => {
    measuring = true;
    if (pid !== undefined) {
      resetPeak(pid);
      cpuStart = cpuMicros(pid);
    }
    if (core !== undefined) coreStart = coreBusyMicros(core);
    started = performance.now();
  };
  const end = () => {
    if (!measuring) return;
    measuring = false;
    ended = {
      at: performance.now(),
      cpu: pid === undefined ? undefined : cpuMicros(pid),
      core: core === undefined ? undefined : coreBusyMicros(core),
    };
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => {
      if (error) return reject(error);
      end();
      const measured = (ended.at - started) / 1000;
      latencies.sort((a, b) => a - b);
      resolve({
        requests: latencies.length,
        seconds: measured,
        rps: latencies.length / measured,
        p50: latencies[Math.floor(latencies.length * 0.5)],
        p99: latencies[Math.floor(latencies.length * 0.99)],
        bytes,
        cpuMicros: cpuStart === undefined || ended.cpu === undefined ? undefined : ended.cpu - cpuStart,
        coreMicros: coreStart === undefined || ended.core === undefined ? undefined : ended.core - coreStart,
        bad,
        errors: result.errors,
        timeouts: result.timeouts,
      });
    });
    instance.on("response", (_client, status, responseBytes, responseTime) => {
      if (!measuring) return;
      latencies.push(responseTime);
      bytes += responseBytes;
      if (status < 200 || status > 299) bad++;
      // A fixed count ends with its last response, not at autocannon's next sample tick.
      if (amount !== undefined && latencies.length === amount) end();
    });
    if (skip > 0) setTimeout(begin, skip * 1000);
    else begin();
    if (seconds !== undefined) setTimeout(end, seconds * 1000);
  });
}

/**
 * Downloads `url` reading about `readBytes` at a time, then pausing `pauseMs`: the socket's
 * receive window fills, and a server that ignores `write()`'s return value piles the rest up in
 * its own memory.
 */
function slowRead({ url, readBytes = MiB, pauseMs = 50 }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { agent: false }, (res) => {
      let total = 0;
      let sincePause = 0;
      res.on("data", (chunk) => {
        total += chunk.length;
        sincePause += chunk.length;
        if (sincePause >= readBytes) {
          sincePause = 0;
          res.pause();
          setTimeout(() => res.resume(), pauseMs);
        }
      });
      res.on("end", () =>
        resolve({ status: res.statusCode, bytes: total, seconds: (performance.now() - started) / 1000 }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function worker() {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const { id, ...command } = JSON.parse(line);
    try {
      console.log(JSON.stringify({ id, ...(await runCommand(command)) }));
    } catch (error) {
      console.log(JSON.stringify({ id, failed: error instanceof Error ? error.message : String(error) }));
    }
  }
}

if (process.argv[2] === "--worker") await worker();
else if (process.argv[2] !== undefined) console.log(JSON.stringify(await runCommand(JSON.parse(process.argv[2]))));
else {
  console.error("usage: node bench/load.mjs '<command JSON>' | --worker");
  process.exit(2);
}
