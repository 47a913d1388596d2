import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { toReadableIterator } from "./readable-iterator.js";

function iterable(stream: PassThrough): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => toReadableIterator(stream) };
}

describe("toReadableIterator", () => {
  it("yields what is written, in order, then ends", async () => {
    const stream = new PassThrough();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of iterable(stream)) seen.push(Buffer.from(chunk).toString());
    })();
    stream.write("a");
    await new Promise((resolve) => setImmediate(resolve));
    stream.write("b");
    stream.end("c");
    await reading;
    expect(seen.join("")).toBe("abc");
    expect(stream.listenerCount("readable") + stream.listenerCount("error") + stream.listenerCount("close")).toBe(0);
  });

  it("rejects with the stream's error", async () => {
    const stream = new PassThrough();
    const iterator = toReadableIterator(stream);
    const next = iterator.next();
    stream.destroy(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
    await expect(next).rejects.toMatchObject({ code: "ECONNRESET" });
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("rejects with ERR_STREAM_PREMATURE_CLOSE when the stream closes before its end, waiting or not", async () => {
    const waiting = new PassThrough();
    const pending = toReadableIterator(waiting).next();
    waiting.destroy();
    await expect(pending).rejects.toMatchObject({ code: "ERR_STREAM_PREMATURE_CLOSE" });
    const closed = new PassThrough();
    closed.destroy();
    await expect(toReadableIterator(closed).next()).rejects.toMatchObject({ code: "ERR_STREAM_PREMATURE_CLOSE" });
  });

  it("return() settles a pending next(), stops listening and leaves the stream open", async () => {
    const stream = new PassThrough();
    const iterator = toReadableIterator(stream);
    const pending = iterator.next();
    await iterator.return?.();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(stream.destroyed).toBe(false);
    expect(stream.listenerCount("readable")).toBe(0);
    // The rest can still be consumed by whoever takes over (a server draining an unread upload).
    const rest: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => rest.push(chunk));
    stream.end("rest");
    await new Promise((resolve) => stream.once("end", resolve));
    expect(Buffer.concat(rest).toString()).toBe("rest");
  });
});
