import type { GatewayApp } from "@gangway/core";
import { afterEach, beforeEach, expect, it } from "vitest";
import { sleep } from "../../helpers/wait.js";
import type { Behaviour } from "../suite.js";

export const behaviour: Behaviour = ({ path, start }) => {
  let env: string | undefined;
  beforeEach(() => {
    env = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
  });
  afterEach(() => {
    process.env.NODE_ENV = env;
  });

  const failures: Record<string, GatewayApp> = {
    "a synchronous throw": () => {
      throw new Error("secret detail");
    },
    "a rejection": async () => {
      await sleep(1);
      throw new Error("secret detail");
    },
    "a body that fails before its first chunk": () => ({
      status: 200,
      body: (async function* () {
        yield new Uint8Array(0);
        throw new Error("secret detail");
      })(),
    }),
  };

  for (const [name, app] of Object.entries(failures)) {
    it(`answers ${name} before commit with a clean 500 and no stack in production`, async () => {
      const client = await start(app);
      if (path.errors === "reject") {
        await expect(client.send({ url: "/" })).rejects.toThrow("secret detail");
        return;
      }
      const response = await client.send({ url: "/" });
      expect(response.status).toBe(500);
      const body = await response.text();
      expect(body).not.toContain("secret detail");
      expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
    });
  }

  it("aborts the connection for an error after commit, so the client sees a truncated body", async () => {
    const client = await start(() => ({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: (async function* () {
        yield Buffer.from("partial ");
        await sleep(20);
        throw new Error("late failure");
      })(),
    }));
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(200);
    const chunks: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of response.body) chunks.push(Buffer.from(chunk).toString());
      })(),
    ).rejects.toThrow();
    expect(chunks.join("")).toBe("partial ");
  });

  it("treats a response of the wrong shape as an app error", async () => {
    const client = await start((() => ({ status: "200" })) as unknown as GatewayApp);
    if (path.errors === "reject") {
      await expect(client.send({ url: "/" })).rejects.toMatchObject({ code: "GW_ERR_INVALID_STATUS" });
      return;
    }
    expect((await client.send({ url: "/" })).status).toBe(500);
  });
};
