import { mount, serve } from "@gangway/core";
import { httpClient, quietErrors } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * The app under test mounted at "/prefix" behind `serve()`: every URL is sent under "/prefix", so
 * the behaviours run unchanged and see the rest as `path`, with "/prefix" in `basePath`.
 */
export const mountPath: ConformancePath = {
  name: 'mount({ "/prefix": app }) under serve()',
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(mount({ "/prefix": app }), { onError: quietErrors });
    const client = await httpClient(server.url, () => server.close());
    return {
      send: (request) => client.send({ ...request, url: `/prefix${request.url}` }),
      close: () => client.close(),
    };
  },
};

runConformance(mountPath);
