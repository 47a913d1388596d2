import { BYTES_TYPE, CHUNKS_BY_PATH, HELLO, streamChunks, TEXT_TYPE } from "./payload.mjs";

/**
 * The same routes as a Fetch handler, `(Request) => Response`, for the servers that run those
 * (@hono/node-server, srvx) and for `fromFetch`.
 */
export function fetchHandler(request) {
  const { method } = request;
  const path = pathOf(request.url);
  if (method === "GET" && path === "/hello") {
    return new Response(HELLO, { headers: { "content-type": TEXT_TYPE } });
  }
  if (method === "POST" && path === "/echo") {
    return new Response(request.body, { headers: { "content-type": BYTES_TYPE } });
  }
  if (method === "GET" && CHUNKS_BY_PATH[path] !== undefined) {
    return new Response(streamChunks(CHUNKS_BY_PATH[path]), { headers: { "content-type": BYTES_TYPE } });
  }
  return new Response("Not Found", { status: 404, headers: { "content-type": TEXT_TYPE } });
}

/** The path of an absolute URL without parsing all of it: a handler's own routing cost stays small. */
function pathOf(url) {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}
