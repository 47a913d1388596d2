import { Readable } from "node:stream";
import express from "express";
import { BYTES_TYPE, CHUNKS_BY_PATH, chunks, HELLO, TEXT_TYPE } from "./payload.mjs";

/**
 * The native Express 5 app: idiomatic handlers (`res.send`, `pipe`), Express's defaults left on
 * (ETag included), because that is what a native handler costs.
 */
export function createExpressApp() {
  const app = express();
  app.get("/hello", (_req, res) => {
    res.set("content-type", TEXT_TYPE).send(HELLO);
  });
  app.post("/echo", (req, res) => {
    res.set("content-type", BYTES_TYPE);
    req.pipe(res);
  });
  for (const [path, count] of Object.entries(CHUNKS_BY_PATH)) {
    app.get(path, (_req, res) => {
      res.set("content-type", BYTES_TYPE);
      Readable.from(chunks(count)).pipe(res);
    });
  }
  return app;
}
