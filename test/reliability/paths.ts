import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeListener } from "@gangway/core";
import { httpClient, quietErrors } from "../conformance/paths.js";
import type { ConformancePath } from "../conformance/suite.js";

// Defined once with the conformance paths; the reliability suite runs the same ones.
export { cascadeInjectPath, cascadePath, fetchPath, mountPath } from "../conformance/paths.js";

/*
 * The core paths of the reliability suite: the conformance paths, and paths only this suite needs.
 * Each reports server errors to `quietErrors`, where the reliability suite reads their codes.
 */

/** The bare Node listener in a server the test creates itself: `createServer(toNodeListener(app))`. */
export const nodeListenerPath: ConformancePath = {
  name: "createServer(toNodeListener(app))",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = createServer(toNodeListener(app, { onError: quietErrors }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    // Idle connections only, as serve() does: a connection still held by a response is a leak the suite must see.
    return httpClient(`http://127.0.0.1:${port}`, async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      await closed;
    });
  },
};
