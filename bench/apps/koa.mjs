import { Readable } from "node:stream";
import Koa from "koa";
import { BYTES_TYPE, CHUNKS_BY_PATH, chunks, HELLO } from "./payload.mjs";

/**
 * The native Koa 3 app: one middleware switching on method and path (Koa has no router of its
 * own), bodies assigned to `ctx.body` as Koa intends. Anything else falls through to Koa's 404.
 */
export function createKoaApp() {
  const app = new Koa();
  app.use((ctx, next) => {
    const { method, path } = ctx;
    if (method === "GET" && path === "/hello") {
      ctx.body = HELLO;
    } else if (method === "POST" && path === "/echo") {
      ctx.type = BYTES_TYPE;
      ctx.body = ctx.req;
    } else if (method === "GET" && CHUNKS_BY_PATH[path] !== undefined) {
      ctx.type = BYTES_TYPE;
      ctx.body = Readable.from(chunks(CHUNKS_BY_PATH[path]));
    } else {
      return next();
    }
  });
  return app;
}
