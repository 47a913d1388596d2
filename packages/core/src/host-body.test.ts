import { describe, expect, it } from "vitest";
import { GatewayError } from "./errors.js";
import { consumedBody, fromParsedBody } from "./host-body.js";

const read = async (body: AsyncIterable<Uint8Array> | null) => {
  if (body === null) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
};

describe("fromParsedBody", () => {
  it("hands a Buffer over as it is, with its length", async () => {
    const { body, headers } = fromParsedBody(Buffer.from("raw bytes"), {
      "content-type": "application/octet-stream",
      "transfer-encoding": "chunked",
    });
    expect(await read(body)).toBe("raw bytes");
    expect(headers).toEqual({ "content-type": "application/octet-stream", "content-length": "9" });
  });

  it("re-encodes JSON, +json included, so parsing it again gives the same value", async () => {
    for (const type of ["application/json", "application/problem+json; charset=utf-8"]) {
      const value = { a: [1, "é"], b: null };
      const { body, headers } = fromParsedBody(value, { "content-type": type, "content-length": "99" });
      const text = await read(body);
      expect(JSON.parse(text)).toEqual(value);
      expect(headers["content-length"]).toBe(String(Buffer.byteLength(text)));
    }
  });

  it("re-serializes a flat urlencoded form, repeats included", async () => {
    const { body } = fromParsedBody(
      { a: "1 2", b: ["x", "y&z"] },
      { "content-type": "application/x-www-form-urlencoded" },
    );
    expect([...new URLSearchParams(await read(body))]).toEqual([
      ["a", "1 2"],
      ["b", "x"],
      ["b", "y&z"],
    ]);
  });

  it("gives UTF-8 text as its bytes", async () => {
    const { body, headers } = fromParsedBody("héllo", { "content-type": "text/plain; charset=utf-8" });
    expect(await read(body)).toBe("héllo");
    expect(headers["content-length"]).toBe("6");
  });

  it("refuses with GW_ERR_BODY_CONSUMED what it cannot rebuild faithfully", async () => {
    const cases: [unknown, string][] = [
      [{ a: { nested: "1" } }, "application/x-www-form-urlencoded"],
      ["caf\xe9", "text/plain; charset=latin1"],
      [{ parsed: "by a custom parser" }, "application/x-custom"],
    ];
    for (const [value, type] of cases) {
      const { body, headers } = fromParsedBody(value, { "content-type": type, "content-length": "5" });
      expect(headers["content-length"]).toBe("5");
      const error = await read(body).catch((e: unknown) => e);
      expect(GatewayError.is(error, "GW_ERR_BODY_CONSUMED")).toBe(true);
    }
  });
});

describe("consumedBody", () => {
  it("rejects its first read, and a second iteration is GW_ERR_BODY_USED", async () => {
    const body = consumedBody("test");
    await expect(read(body)).rejects.toMatchObject({ code: "GW_ERR_BODY_CONSUMED" });
    expect(() => body[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ code: "GW_ERR_BODY_USED" }));
  });
});
