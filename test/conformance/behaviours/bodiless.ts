import type { GatewayApp } from "@gangway/core";
import { expect, it } from "vitest";
import { waitFor } from "../../helpers/wait.js";
import type { Behaviour } from "../suite.js";

export const behaviour: Behaviour = ({ start }) => {
  it("answers HEAD with GET's headers and no body", async () => {
    const client = await start(() => ({
      status: 200,
      headers: { "content-type": "text/plain", etag: '"v1"' },
      body: "twelve bytes",
    }));
    const response = await client.send({ method: "HEAD", url: "/" });
    expect(response.status).toBe(200);
    expect(response.headers["content-length"]).toBe("12");
    expect(response.headers.etag).toBe('"v1"');
    expect((await response.bytes()).byteLength).toBe(0);
  });

  it("finishes a streamed body unread for HEAD", async () => {
    let pulled = 0;
    let returned = 0;
    // A hand-written iterator: a generator that never started skips its finally on return().
    const app: GatewayApp = () => ({
      status: 200,
      body: {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            pulled++;
            return { done: false, value: Buffer.from("endless") };
          },
          return: async () => {
            returned++;
            return { done: true, value: undefined };
          },
        }),
      },
    });
    const client = await start(app);
    const response = await client.send({ method: "HEAD", url: "/" });
    expect(response.status).toBe(200);
    expect((await response.bytes()).byteLength).toBe(0);
    await waitFor(() => returned === 1, "return()");
    expect(pulled).toBe(0);
  });

  it("sends no body and no content-length with 204 and 304", async () => {
    const client = await start((request) => ({
      status: Number(request.path.slice(1)),
      headers: request.path === "/304" ? { etag: '"v1"' } : {},
      body: "must not be sent",
    }));
    for (const status of [204, 304]) {
      const response = await client.send({ url: `/${status}` });
      expect(response.status).toBe(status);
      expect(response.headers["content-length"]).toBeUndefined();
      expect(response.headers["transfer-encoding"]).toBeUndefined();
      expect((await response.bytes()).byteLength).toBe(0);
    }
    const notModified = await client.send({ url: "/304" });
    expect(notModified.headers.etag).toBe('"v1"');
  });

  it("sends content-length 0 for a 200 with no body", async () => {
    const client = await start(() => ({ status: 200, body: null }));
    const response = await client.send({ url: "/" });
    expect(response.headers["content-length"]).toBe("0");
    expect((await response.bytes()).byteLength).toBe(0);
  });
};
