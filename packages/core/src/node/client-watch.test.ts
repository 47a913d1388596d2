import { createServer, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ClientWatch, watchClient } from "./client-watch.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/**
 * A real server whose handler hands each response to `handle`, and a client that sends one GET
 * and either reads the answer or, with `leave`, destroys its socket once the head has arrived.
 */
async function exchange(handle: (res: ServerResponse) => void, leave: boolean): Promise<void> {
  const server = createServer((_req, res) => handle(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/" }, (res) => {
      if (leave) {
        req.destroy();
        resolve();
      } else res.resume().on("end", resolve);
    });
    req.on("error", () => resolve());
    req.end();
  });
}

const closed = (res: ServerResponse) => new Promise((resolve) => res.once("close", resolve));

describe("watchClient", () => {
  it("says not gone for a response that finished, and listens for nothing until a signal is made", async () => {
    let watch: ClientWatch | undefined;
    let listeners = -1;
    let finished: Promise<unknown> = Promise.resolve();
    await exchange((res) => {
      const before = res.listenerCount("close");
      watch = watchClient(res);
      listeners = res.listenerCount("close") - before;
      finished = closed(res);
      res.end("ok");
    }, false);
    await finished;
    expect(listeners).toBe(0);
    expect(watch?.gone).toBe(false);
  });

  it("aborts a signal made earlier when the client leaves, and makes a later one aborted", async () => {
    let watch: ClientWatch | undefined;
    let early: AbortSignal | undefined;
    let gone: Promise<unknown> = Promise.resolve();
    await exchange((res) => {
      watch = watchClient(res);
      early = watch.signal();
      gone = closed(res);
      res.writeHead(200).write("part");
    }, true);
    await gone;
    expect([watch?.gone, early?.aborted]).toEqual([true, true]);
    // The same signal on every call, as a prototype-derived request needs.
    expect(watch?.signal()).toBe(early);
    let late: ClientWatch | undefined;
    let lateGone: Promise<unknown> = Promise.resolve();
    await exchange((res) => {
      late = watchClient(res);
      lateGone = closed(res);
      res.writeHead(200).write("part");
    }, true);
    await lateGone;
    expect(late?.gone).toBe(true);
    expect(late?.signal().aborted).toBe(true);
  });

  it("keeps what it saw when stopped: a client leaving afterwards is no longer its concern", async () => {
    let watch: ClientWatch | undefined;
    let signal: AbortSignal | undefined;
    let gone: Promise<unknown> = Promise.resolve();
    let listeners = -1;
    await exchange((res) => {
      const before = res.listenerCount("close");
      watch = watchClient(res);
      signal = watch.signal();
      watch.stop();
      listeners = res.listenerCount("close") - before;
      gone = closed(res);
      res.writeHead(200).write("part");
    }, true);
    await gone;
    expect(listeners).toBe(0);
    expect([watch?.gone, signal?.aborted]).toEqual([false, false]);
  });
});

describe("watchClient().onAbort", () => {
  it("calls its listeners once when the client leaves, at once when it has left, and never once stopped", async () => {
    const heard: string[] = [];
    let gone: Promise<unknown> = Promise.resolve();
    let watch: ClientWatch | undefined;
    await exchange((res) => {
      watch = watchClient(res);
      watch.onAbort(() => heard.push("first"));
      const stop = watch.onAbort(() => heard.push("removed"));
      stop();
      gone = closed(res);
      res.writeHead(200).write("part");
    }, true);
    await gone;
    expect(heard).toEqual(["first"]);
    watch?.onAbort(() => heard.push("late"));
    expect(heard).toEqual(["first", "late"]);
    let stopped: Promise<unknown> = Promise.resolve();
    await exchange((res) => {
      const other = watchClient(res);
      other.stop();
      other.onAbort(() => heard.push("after stop"));
      stopped = closed(res);
      res.writeHead(200).write("part");
    }, true);
    await stopped;
    expect(heard).toEqual(["first", "late"]);
  });

  it("takes its listener off the response when that listener is removed, and is silent once the watch stops", async () => {
    const heard: string[] = [];
    const counts: number[] = [];
    let gone: Promise<unknown> = Promise.resolve();
    await exchange((res) => {
      const watch = watchClient(res);
      const before = res.listenerCount("close");
      const stop = watch.onAbort(() => heard.push("removed"));
      counts.push(res.listenerCount("close") - before);
      stop();
      counts.push(res.listenerCount("close") - before);
      watch.onAbort(() => heard.push("stopped"));
      watch.stop();
      gone = closed(res);
      res.writeHead(200).write("part");
    }, true);
    await gone;
    expect(counts).toEqual([1, 0]);
    expect(heard).toEqual([]);
  });
});
