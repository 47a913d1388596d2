import { BYTES_TYPE, CHUNKS_BY_PATH, HELLO, TEXT_TYPE, writeChunks } from "./payload.mjs";

const helloLength = Buffer.byteLength(HELLO);

/**
 * The raw node:http baseline: the least any server can do for each workload, written by hand.
 * Unknown routes answer 404 so a broken scenario shows up in the probe, not as a fast number.
 */
export function nodeListener(req, res) {
  const path = req.url.split("?", 1)[0];
  if (req.method === "GET" && path === "/hello") {
    res.writeHead(200, { "content-type": TEXT_TYPE, "content-length": helloLength });
    res.end(HELLO);
  } else if (req.method === "POST" && path === "/echo") {
    res.writeHead(200, { "content-type": BYTES_TYPE });
    req.pipe(res);
  } else if (req.method === "GET" && CHUNKS_BY_PATH[path] !== undefined) {
    res.writeHead(200, { "content-type": BYTES_TYPE });
    writeChunks(res, CHUNKS_BY_PATH[path]);
  } else {
    res.writeHead(404, { "content-type": TEXT_TYPE, "content-length": 9 });
    res.end("Not Found");
  }
}
