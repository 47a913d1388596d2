import { cascade, pass, serve } from "@gangway/core";
import { httpClient, injectClient, quietErrors } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/** The app under test as the second app of a cascade whose first app always passes, behind `serve()`. */
export const cascadePath: ConformancePath = {
  name: "cascade(pass, app) under serve()",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(
      cascade(() => pass(), app),
      { onError: quietErrors },
    );
    return httpClient(server.url, () => server.close());
  },
};

/** The same cascade through `inject()`: no socket, errors reject. */
export const cascadeInjectPath: ConformancePath = {
  name: "cascade(pass, app) under inject()",
  transport: "inject",
  errors: "reject",
  async start(app) {
    return injectClient(cascade(() => pass(), app));
  },
};

runConformance(cascadePath);
runConformance(cascadeInjectPath);
