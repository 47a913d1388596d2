import { once } from "node:events";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { inject } from "../inject.js";
import type { Middleware } from "../types.js";
import { fromNodeListener, type NodeListener } from "./from-node-listener.js";
import { serve } from "./serve.js";
import { toServerOptions } from "./server-options.js";
import { toNodeListener } from "./to-node-listener.js";

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

const passThrough: Middleware = (next) => (request) => next(request);

// What an Express app's `app.request`/`app.response` are: objects over node:http's prototypes.
function prototypes() {
  return {
    request: Object.create(IncomingMessage.prototype) as object,
    response: Object.create(ServerResponse.prototype) as object,
  };
}

/** A listener that reports, without changing anything, which prototypes its messages were built on. */
function reporter(given: { request: object; response: object }): NodeListener {
  return (req, res) => {
    const seen = [Object.getPrototypeOf(req) === given.request, Object.getPrototypeOf(res) === given.response];
    res.end(JSON.stringify([...seen, req instanceof IncomingMessage, res instanceof ServerResponse]));
  };
}

describe("fromNodeListener({ prototypes })", () => {
  it("builds the socketless pair on them", async () => {
    const given = prototypes();
    const app = fromNodeListener(reporter(given), { prototypes: given });
    expect(await (await inject(app, { url: "/" })).text()).toBe("[true,true,true,true]");
    // Without them the pair is node:http's own.
    const plain = fromNodeListener(reporter(given));
    expect(await (await inject(plain, { url: "/" })).text()).toBe("[false,false,true,true]");
  });

  it("makes serve() build its own req/res on them for the fused listener; unfused, the pair has them", async () => {
    const given = prototypes();
    const app = fromNodeListener(reporter(given), { prototypes: given });
    const answers: string[] = [];
    for (const [served, options] of [
      [app, {}],
      [passThrough(app), {}],
      [app, { fuse: false }],
    ] as const) {
      const server = await serve(served, options);
      open.push(() => server.close());
      answers.push(await (await fetch(server.url)).text());
    }
    // Unfused, the socketless pair inside is built on them all the same.
    expect(answers).toEqual(["[true,true,true,true]", "[true,true,true,true]", "[true,true,true,true]"]);
  });

  it("leaves a server's messages as node:http builds them for a fused listener without prototypes", async () => {
    const given = prototypes();
    const server = await serve(fromNodeListener(reporter(given)));
    open.push(() => server.close());
    expect(await (await fetch(server.url)).text()).toBe("[false,false,true,true]");
  });

  it("gives a server of one's own the same options through toServerOptions(app)", async () => {
    const given = prototypes();
    const app = fromNodeListener(reporter(given), { prototypes: given });
    expect(Object.keys(toServerOptions(app)).sort()).toEqual(["IncomingMessage", "ServerResponse"]);
    expect(toServerOptions(app, { fuse: false })).toEqual({});
    expect(toServerOptions(passThrough(app))).toEqual({});
    const server = createServer(toServerOptions(app), toNodeListener(app));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    open.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    const { port } = server.address() as AddressInfo;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("[true,true,true,true]");
  });

  it("refuses prototypes that do not inherit from node:http's classes with GW_ERR_INVALID_APP", () => {
    const listener: NodeListener = (_req, res) => {
      res.end();
    };
    for (const bad of [{ request: {} }, { response: Object.create(IncomingMessage.prototype) as object }]) {
      let thrown: unknown;
      try {
        fromNodeListener(listener, { prototypes: bad });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(GatewayError);
      expect((thrown as GatewayError).code).toBe("GW_ERR_INVALID_APP");
    }
  });
});
