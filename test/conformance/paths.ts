import {
  cascade,
  fromFetch,
  fromNodeListener,
  type GatewayApp,
  inject,
  mount,
  pass,
  serve,
  toFetch,
  toNodeListener,
} from "@gangway/core";
import { type ClientResponse, HttpClient } from "../helpers/http-client.js";
import type { ConformancePath, PathClient } from "./suite.js";

/** Serves `listen`'s server URL with a real HTTP client; the shape every http path shares. */
export async function httpClient(url: string, close: () => Promise<void>): Promise<PathClient> {
  const client = new HttpClient(url);
  return {
    send: (request) => client.send(request),
    close: async () => {
      client.close();
      await close();
    },
  };
}

/** `serve()` over real HTTP on 127.0.0.1. */
export const servePath: ConformancePath = {
  name: "serve()",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(app, { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

/** `inject()`: no socket. */
export const injectPath: ConformancePath = {
  name: "inject()",
  transport: "inject",
  errors: "reject",
  async start(app) {
    return injectClient(app);
  },
};

/** A PathClient over `inject()`, for every socketless path. */
export function injectClient(app: GatewayApp): PathClient {
  return {
    async send(request): Promise<ClientResponse> {
      const response = await inject(app, {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
      });
      const iterator = response.body[Symbol.asyncIterator]();
      const body: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => iterator };
      let read: Promise<Buffer> | undefined;
      const bytes = () =>
        (read ??= (async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of body) chunks.push(Buffer.from(chunk));
          return Buffer.concat(chunks);
        })());
      return {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        body,
        bytes,
        text: async () => (await bytes()).toString("utf8"),
        abort: () => void iterator.return?.(),
      };
    },
    close: async () => {},
  };
}

/** Observers of what servers report through {@link quietErrors}: the reliability suite asserts the error codes. */
export const reportedErrors = new Set<(error: unknown) => void>();

/** Errors the behaviours provoke on purpose are expected: keep the test output clean. */
export function quietErrors(error?: unknown): void {
  for (const observe of reportedErrors) observe(error);
}

/**
 * A gateway app behind `fromNodeListener`'s socketless pair, with `toNodeListener` inside it:
 * every request crosses a real IncomingMessage/ServerResponse with no socket, both ways.
 */
function toSocketless(app: GatewayApp): GatewayApp {
  return fromNodeListener(toNodeListener(app, { fuse: false, onError: quietErrors }), { fuse: false });
}

/** The socketless pair through `inject()`: errors reject, as `toNodeListener` hands them to `next`. */
export const nodeListenerInjectPath: ConformancePath = {
  name: "fromNodeListener(toNodeListener(app)) via inject()",
  transport: "inject",
  errors: "reject",
  async start(app) {
    return injectClient(toSocketless(app));
  },
};

/** The socketless pair served by `serve()` over real HTTP. */
export const nodeListenerServePath: ConformancePath = {
  name: "fromNodeListener(toNodeListener(app)) via serve()",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(toSocketless(app), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

/**
 * `serve(fromNodeListener(listener))` fused (rule 35): the listener runs on the server's own
 * `req`/`res`. The listener is a plain wrapper, so fromNodeListener cannot unwrap it to the app.
 */
export const nodeListenerFusedPath: ConformancePath = {
  name: "fromNodeListener(listener) fused by serve()",
  transport: "http",
  errors: "respond",
  async start(app) {
    const inner = toNodeListener(app, { fuse: false, onError: quietErrors });
    const server = await serve(
      fromNodeListener((req, res, next) => inner(req, res, next)),
      { onError: quietErrors },
    );
    return httpClient(server.url, () => server.close());
  },
};

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
    return { ...client, send: (request) => client.send({ ...request, url: `/prefix${request.url}` }) };
  },
};

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

/**
 * A round trip through Fetch: the app becomes a Fetch handler (`toFetch`), which becomes an app
 * again (`fromFetch`), served over real HTTP. Fusion is off both ways, so every request and
 * response really is an undici `Request` and `Response` in the middle.
 */
export const fetchPath: ConformancePath = {
  name: "fromFetch(toFetch(app)) in serve()",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(fromFetch(toFetch(app, { fuse: false }), { fuse: false }), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

/**
 * One streamed request through the whole stack before the behaviours run, so that V8 has compiled
 * it and Node has loaded what it loads lazily: the abort behaviour's 10 ms pacing then measures the
 * path, not its cold start.
 */
export async function warmUp(path: ConformancePath): Promise<void> {
  const client = await path.start(() => ({
    status: 200,
    body: (async function* () {
      yield Buffer.from("warm");
    })(),
  }));
  await (await client.send({ url: "/" })).bytes();
  await client.close();
}
