/**
 * Checks a server answers each workload correctly before it is measured, so a broken path shows
 * as "failed: <reason>" instead of a fast stream of 404s.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { expected, workloads } from "./workloads.mjs";

/** Resolves with a reason string when the answer is wrong, `undefined` when it is right. */
export async function probe(port, prefix, workload) {
  return (await probeAnswer(port, prefix, workload)).problem;
}

/**
 * {@link probe}, also resolving with the answer's status and headers (`head`), for comparing what
 * a path sends with what its baseline sends (see fidelity.mjs). `head` is missing when no answer came.
 */
export async function probeAnswer(port, prefix, workload) {
  const spec = workloads[workload];
  const sent = spec.bodySize ? randomBytes(spec.bodySize) : undefined;
  let got;
  try {
    got = await exchange(port, spec.method ?? "GET", prefix + spec.path, sent);
  } catch (error) {
    return { problem: `request failed: ${error.message}` };
  }
  return { problem: check(workload, got, sent), head: { status: got.status, headers: got.headers } };
}

function check(workload, got, sent) {
  const want = expected[workload];
  if (got.status !== want.status) return `status ${got.status}: ${got.body.subarray(0, 80).toString()}`;
  if (want.type && !String(got.headers["content-type"]).startsWith(want.type)) {
    return `content-type ${got.headers["content-type"]}`;
  }
  if (want.body && !got.body.equals(want.body)) return `body ${JSON.stringify(got.body.subarray(0, 40).toString())}`;
  if (want.echoes && !got.body.equals(sent)) return `echoed ${got.body.length} bytes, not the ${sent.length} sent`;
  if (want.length !== undefined && got.body.length !== want.length)
    return `${got.body.length} bytes, not ${want.length}`;
  return undefined;
}

function exchange(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const headers = body ? { "content-type": "application/octet-stream", "content-length": body.length } : {};
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer in 10 s")));
    req.on("error", reject);
    req.end(body);
  });
}
