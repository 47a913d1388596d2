import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cascade, fromFetch, mount, pass, serve, toFetch, toNodeListener } from "@gangway/core";
import { httpClient, injectClient, quietErrors } from "../conformance/paths.js";
import type { ConformancePath } from "../conformance/suite.js";

/*
 * The core paths whose conformance definitions live inside `*.test.ts` files, rebuilt here from
 * the same public functions (a test file is never imported: it would run its suite again). Each
 * reports server errors to `quietErrors`, where the reliability suite reads their codes.
 */

/** `mount({ "/prefix": app })` behind `serve()`; every target goes under "/prefix". */
export const mountPath: ConformancePath = {
  name: 'mount({ "/prefix": app }) under serve()',
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(mount({ "/prefix": app }), { onError: quietErrors });
    const client = await httpClient(server.url, () => server.close());
    return { ...client, send: (request) => client.send({ ...request, url: `/prefix${request.url}` }) };
  },
};

/** The app second in a cascade whose first app always passes, behind `serve()`. */
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

/** A round trip through undici's `Request` and `Response`: `serve(fromFetch(toFetch(app)))`, unfused. */
export const fetchPath: ConformancePath = {
  name: "fromFetch(toFetch(app)) in serve()",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(fromFetch(toFetch(app, { fuse: false }), { fuse: false }), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

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
