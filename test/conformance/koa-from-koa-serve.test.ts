import { serve } from "@gangway/core";
import { fromKoa, toKoa } from "@gangway/koa";
import Koa from "koa";
import { httpClient, quietErrors } from "./paths.js";
import { type ConformancePath, runConformance } from "./suite.js";

/**
 * A Koa app (the app under test as its one middleware) wrapped by `fromKoa` and served by
 * `serve()`. Fused: the server hands its real `req`/`res` to the Koa app (rule 35).
 */
const fromKoaServePath: ConformancePath = {
  name: "serve(fromKoa(new Koa().use(toKoa(app)))), fused",
  transport: "http",
  errors: "respond",
  async start(app) {
    const server = await serve(fromKoa(new Koa().use(toKoa(app))), { onError: quietErrors });
    return httpClient(server.url, () => server.close());
  },
};

/**
 * One streamed request through the whole stack before the behaviours run, so that V8 has compiled
 * it and Node has loaded what it loads lazily: the abort behaviour's 10 ms pacing then measures the
 * path, not its cold start.
 */
async function warmUp(path: ConformancePath): Promise<void> {
  const client = await path.start(() => ({
    status: 200,
    body: (async function* () {
      yield Buffer.from("warm");
    })(),
  }));
  await (await client.send({ url: "/" })).bytes();
  await client.close();
}

await warmUp(fromKoaServePath);
runConformance(fromKoaServePath);
