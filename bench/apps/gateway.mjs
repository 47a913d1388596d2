import { pass, text } from "@gangway/core";
import { asyncChunks, BYTES_TYPE, CHUNKS_BY_PATH, HELLO } from "./payload.mjs";

/**
 * The gateway app every Gangway path serves: the same four routes as the native apps. Unknown
 * routes pass ("not mine"), so it can sit in a host or a cascade.
 */
export function gatewayApp(request) {
  const { method, path } = request;
  if (method === "GET" && path === "/hello") return text(HELLO);
  if (method === "POST" && path === "/echo") {
    // The request body goes straight back out: streamed both ways, never buffered.
    return { status: 200, headers: { "content-type": BYTES_TYPE }, body: request.body };
  }
  if (method === "GET" && CHUNKS_BY_PATH[path] !== undefined) {
    return { status: 200, headers: { "content-type": BYTES_TYPE }, body: asyncChunks(CHUNKS_BY_PATH[path]) };
  }
  return pass();
}

/** An app that never answers: the first of a `cascade`, so every request falls through it. */
export function passingApp() {
  return pass();
}
