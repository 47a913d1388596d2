import { fromFetch, serve, toFetch } from "@gangway/core";
import { httpClient, quietErrors } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * A round trip through Fetch: the app becomes a Fetch handler (`toFetch`), which becomes an app
 * again (`fromFetch`), served over real HTTP. Fusion is off both ways, so every request and
 * response really is an undici `Request` and `Response` in the middle.
 */
const fetchPath: ConformancePath = {
  name: "fromFetch(toFetch(app)) in serve()",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(fromFetch(toFetch(app, { fuse: false }), { fuse: false }), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

runConformance(fetchPath);
