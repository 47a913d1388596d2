import { once } from "node:events";
import { createServer, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { PipedErrors, watchPipedErrors } from "./piped-errors.js";

// Real responses from a real server: `headersSent` and Node's `pipe` event are what is watched.
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** Starts a server, sends it `count` requests, and resolves with their responses, still open. */
async function responses(count: number): Promise<ServerResponse[]> {
  const seen: ServerResponse[] = [];
  let all: (value: ServerResponse[]) => void;
  const ready = new Promise<ServerResponse[]>((resolve) => {
    all = resolve;
  });
  server = createServer((_req, res) => {
    seen.push(res);
    if (seen.length === count) all(seen);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < count; i++) {
    // The client side is not under test: its end of a cut connection is expected.
    request({ host: "127.0.0.1", port, path: "/" }, (res) => res.resume().on("error", () => {}))
      .on("error", () => {})
      .end();
  }
  return ready;
}

describe("PipedErrors", () => {
  it("reports a failure after the head to every response a shared source is piped into", async () => {
    const [first, second] = await responses(2);
    const source = new PassThrough();
    const reported: unknown[][] = [[], []];
    const watchers = [first!, second!].map((res, index) => {
      const piped = new PipedErrors(res, (error) => reported[index]!.push(error));
      piped.add(source);
      piped.add(source);
      return piped;
    });
    first!.flushHeaders();
    second!.flushHeaders();
    // Someone else listens too, as the framework piping the stream does.
    source.on("error", () => {});
    const failure = new Error("upstream broke");
    source.emit("error", failure);
    expect(reported).toEqual([[failure], [failure]]);

    watchers[0]!.stop();
    const later = new Error("again");
    source.emit("error", later);
    expect(reported).toEqual([[failure], [failure, later]]);

    // The last watcher gone, nothing of ours is left on the source.
    watchers[1]!.stop();
    expect(source.listenerCount("error")).toBe(1);
  });

  it("leaves a failure before the head to the framework", async () => {
    const [res] = await responses(1);
    const source = new PassThrough().on("error", () => {});
    const reported: unknown[] = [];
    new PipedErrors(res!, (error) => reported.push(error)).add(source);
    source.emit("error", new Error("before the head"));
    expect(reported).toEqual([]);
  });

  it("lets the error of a source nobody else listens to be thrown, as it would be unwatched", async () => {
    const [res] = await responses(1);
    const source = new PassThrough();
    const reported: unknown[] = [];
    new PipedErrors(res!, (error) => reported.push(error)).add(source);
    res!.flushHeaders();
    const failure = new Error("unheard");
    expect(() => source.emit("error", failure)).toThrow(failure);
    expect(reported).toEqual([]);
  });
});

describe("watchPipedErrors", () => {
  it("watches what is piped into the response until it closes", async () => {
    const [res] = await responses(1);
    const reported: unknown[] = [];
    watchPipedErrors(res!, (error) => reported.push(error));
    const source = new PassThrough();
    source.on("error", () => {});
    source.pipe(res!);
    source.write("first chunk");
    await new Promise((resolve) => setImmediate(resolve));
    expect(res!.headersSent).toBe(true);
    const failure = new Error("mid-stream");
    source.emit("error", failure);
    expect(reported).toEqual([failure]);

    res!.destroy();
    await once(res!, "close");
    source.emit("error", new Error("after close"));
    expect(reported).toEqual([failure]);
    expect(source.listenerCount("error")).toBe(1);
  });
});
