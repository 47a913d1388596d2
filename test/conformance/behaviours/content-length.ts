import type { GatewayApp } from "@gangway/core";
import { expect, it } from "vitest";
import type { Behaviour } from "../suite.js";

async function readSettled(body: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; failed: boolean }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    return { bytes: Buffer.concat(chunks), failed: false };
  } catch {
    return { bytes: Buffer.concat(chunks), failed: true };
  }
}

export const behaviour: Behaviour = ({ path, start }) => {
  it("refuses a whole body whose content-length lies, before commit", async () => {
    const client = await start(() => ({ status: 200, headers: { "content-length": "99" }, body: "short" }));
    if (path.errors === "reject") {
      await expect(client.send({ url: "/" })).rejects.toMatchObject({ code: "GW_ERR_CONTENT_LENGTH_MISMATCH" });
      return;
    }
    expect((await client.send({ url: "/" })).status).toBe(500);
  });

  it("truncates the response when a streamed body is shorter than its content-length", async () => {
    const client = await start(() => ({
      status: 200,
      headers: { "content-length": "100" },
      body: (async function* () {
        yield Buffer.from("only forty bytes of the hundred promised");
      })(),
    }));
    const response = await client.send({ url: "/" });
    const { bytes, failed } = await readSettled(response.body);
    expect(failed).toBe(true);
    expect(bytes.byteLength).toBeLessThan(100);
  });

  it("never sends more than the declared content-length of a streamed body", async () => {
    const client = await start(() => ({
      status: 200,
      headers: { "content-length": "10" },
      body: (async function* () {
        yield Buffer.from("0123456");
        yield Buffer.from("789-overflow");
      })(),
    }));
    const response = await client.send({ url: "/" });
    const { bytes } = await readSettled(response.body);
    expect(bytes.byteLength).toBeLessThanOrEqual(10);
    expect("0123456789".startsWith(bytes.toString())).toBe(true);
  });

  it("drops hop-by-hop headers an app sets, so they never reach the wire as the app wrote them", async () => {
    const app: GatewayApp = () => ({
      status: 200,
      headers: {
        connection: "close, x-private",
        "keep-alive": "timeout=99",
        upgrade: "h2c",
        trailer: "x-checksum",
        "transfer-encoding": "chunked",
        "x-private": "kept",
      },
      body: "fine",
    });
    const client = await start(app);
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(200);
    expect(response.headers.connection).not.toBe("close, x-private");
    expect(response.headers["keep-alive"]).not.toBe("timeout=99");
    expect(response.headers.upgrade).toBeUndefined();
    expect(response.headers.trailer).toBeUndefined();
    expect(await response.text()).toBe("fine");
    // The connection still carries the next request.
    expect((await client.send({ url: "/" })).status).toBe(200);
  });

  it("answers 205 Reset Content with no body and content-length 0", async () => {
    const client = await start(() => ({ status: 205, body: "dropped" }));
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(205);
    expect((await response.bytes()).byteLength).toBe(0);
  });
};
