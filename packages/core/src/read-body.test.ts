import { describe, expect, it } from "vitest";
import { GatewayError } from "./errors.js";
import { readBytes, readForm, readJson, readText } from "./read-body.js";
import { toRequestBody } from "./request-body.js";
import type { GatewayRequest } from "./types.js";

function requestWith(
  body: string | Uint8Array | AsyncIterable<Uint8Array> | null,
  headers: Record<string, string> = {},
): Pick<GatewayRequest, "body" | "headers"> {
  return { headers, body: body === null ? null : toRequestBody(body) };
}

async function* chunks(...parts: string[]) {
  for (const part of parts) yield Buffer.from(part);
}

describe("body readers", () => {
  it("read bytes, text and JSON from one chunk or many", async () => {
    expect(Buffer.from(await readBytes(requestWith(chunks("ab", "cd")))).toString()).toBe("abcd");
    expect(await readText(requestWith("héllo"))).toBe("héllo");
    expect(await readJson(requestWith(chunks('{"a":', "[1,2]}")))).toEqual({ a: [1, 2] });
  });

  it("read an absent body as empty", async () => {
    expect((await readBytes(requestWith(null))).byteLength).toBe(0);
    expect(await readText(requestWith(null))).toBe("");
  });

  it("refuse a second read with GW_ERR_BODY_USED, never a silent empty body", async () => {
    const request = requestWith("once");
    expect(await readText(request)).toBe("once");
    await expect(readText(request)).rejects.toMatchObject({ code: "GW_ERR_BODY_USED" });
  });

  it("refuse a body over the limit with GW_ERR_BODY_TOO_LARGE (413), by header or by count", async () => {
    await expect(readBytes(requestWith("x", { "content-length": "2048" }), { limit: 1024 })).rejects.toMatchObject({
      code: "GW_ERR_BODY_TOO_LARGE",
      status: 413,
    });
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield new Uint8Array(512);
      }
    }
    await expect(readBytes(requestWith(endless()), { limit: 1024 })).rejects.toMatchObject({
      code: "GW_ERR_BODY_TOO_LARGE",
    });
    // It stops at the first chunk past the limit instead of draining the stream.
    expect(pulled).toBe(3);
  });

  it("turn malformed JSON into GW_ERR_BODY_INVALID (400)", async () => {
    const error = await readJson(requestWith("{oops")).catch((e: unknown) => e);
    expect(GatewayError.is(error, "GW_ERR_BODY_INVALID")).toBe(true);
    expect((error as GatewayError).status).toBe(400);
  });

  it("read a urlencoded form, and refuse another content type with 415", async () => {
    const form = await readForm(
      requestWith("a=1&b=two+words&a=3", { "content-type": "application/x-www-form-urlencoded" }),
    );
    expect(form.getAll("a")).toEqual(["1", "3"]);
    expect(form.get("b")).toBe("two words");
    await expect(readForm(requestWith("{}", { "content-type": "application/json" }))).rejects.toMatchObject({
      code: "GW_ERR_BODY_INVALID",
      status: 415,
    });
  });

  it("report a client that went away mid-body as GW_ERR_BODY_ABORTED", async () => {
    async function* broken() {
      yield Buffer.from("part");
      throw Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    }
    await expect(readBytes(requestWith(broken()))).rejects.toMatchObject({ code: "GW_ERR_BODY_ABORTED" });
  });
});
