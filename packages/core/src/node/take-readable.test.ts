import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { isBodyUsed, toRequestBody } from "../request-body.js";
import { fromReadable } from "./readable-iterator.js";
import { takeReadable } from "./take-readable.js";

describe("takeReadable", () => {
  it("gives a byte-mode Readable body as it is", () => {
    const stream = new PassThrough();
    expect(takeReadable(stream)).toBe(stream);
  });

  it("hands over the stream of a fromReadable body once, and the body counts as read", async () => {
    const stream = new PassThrough();
    const body = fromReadable(stream);
    expect(takeReadable(body)).toBe(stream);
    expect(isBodyUsed(body)).toBe(true);
    expect(() => body[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ code: "GW_ERR_BODY_USED" }));
    expect(takeReadable(body)).toBeUndefined();
  });

  it("leaves a fromReadable body that was read as it is", () => {
    const body = fromReadable(new PassThrough());
    body[Symbol.asyncIterator]();
    expect(takeReadable(body)).toBeUndefined();
  });

  it("refuses a stream a host could not pipe as the body's bytes, leaving its body unread", () => {
    const objects = new Readable({ objectMode: true, read() {} });
    const text = new PassThrough().setEncoding("utf8");
    const flowing = new PassThrough().on("data", () => {});
    const destroyed = new PassThrough().destroy();
    const failed = new PassThrough({ autoDestroy: false }).on("error", () => {});
    failed.destroy(new Error("gone"));
    for (const stream of [objects, text, flowing, destroyed]) {
      expect(takeReadable(stream)).toBeUndefined();
      const body = fromReadable(stream);
      expect(takeReadable(body)).toBeUndefined();
      expect(isBodyUsed(body)).toBe(false);
    }
    expect(takeReadable(failed)).toBeUndefined();
  });

  it("refuses bodies that are not Node streams", () => {
    expect(takeReadable("text")).toBeUndefined();
    expect(takeReadable(new Uint8Array(1))).toBeUndefined();
    expect(takeReadable(null)).toBeUndefined();
    expect(takeReadable(new ReadableStream())).toBeUndefined();
    const generated = (async function* () {
      yield new Uint8Array(1);
    })();
    expect(takeReadable(generated)).toBeUndefined();
    // A read-once body over a Node stream that is not fromReadable's: its bytes may differ from the stream's.
    const wrapped = toRequestBody(new PassThrough());
    expect(takeReadable(wrapped)).toBeUndefined();
    expect(isBodyUsed(wrapped)).toBe(false);
  });
});
