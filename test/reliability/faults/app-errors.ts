import { Readable } from "node:stream";
import type { GatewayApp } from "@gangway/core";
import { afterEach, beforeEach, expect } from "vitest";
import { sleep } from "../../helpers/wait.js";
import type { Fault } from "../suite.js";
import { codeOf, settle } from "../support.js";

/** The app's own failure, recognisable by code wherever it travels. */
const fail = () => Object.assign(new Error("secret detail"), { code: "E_APP_FAULT" });
const FIRST = Buffer.from("first chunk ");

/** The codes of an error and of every `cause` under it. */
function codes(error: unknown): string[] {
  const found: string[] = [];
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) found.push(codeOf(e));
  return found;
}

const beforeCommit: Record<string, GatewayApp> = {
  "a synchronous throw": () => {
    throw fail();
  },
  "a rejection": async () => {
    await sleep(1);
    throw fail();
  },
  "a ReadableStream whose pull throws before the first chunk": () => ({
    status: 200,
    body: new ReadableStream<Uint8Array>({
      pull() {
        throw fail();
      },
    }),
  }),
  "a Node Readable that emits 'error' before the first chunk": () => ({
    status: 200,
    body: new Readable({
      read() {
        process.nextTick(() => this.destroy(fail()));
      },
    }),
  }),
};

const afterCommit: Record<string, GatewayApp> = {
  "an async generator that throws after the first chunk": () => ({
    status: 200,
    body: (async function* () {
      yield FIRST;
      await sleep(10);
      throw fail();
    })(),
  }),
  "a ReadableStream whose pull throws after the first chunk": () => {
    let pulls = 0;
    return {
      status: 200,
      body: new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (pulls++ === 0) controller.enqueue(FIRST);
          else {
            await sleep(10);
            throw fail();
          }
        },
      }),
    };
  },
  "a Node Readable that emits 'error' after the first chunk": () => {
    let reads = 0;
    return {
      status: 200,
      body: new Readable({
        read() {
          if (reads++ === 0) this.push(FIRST);
          else setTimeout(() => this.destroy(fail()), 10);
        },
      }),
    };
  },
};

export const fault: Fault = (context) => {
  const { path, start, test, reported, expectReported } = context;
  let env: string | undefined;
  beforeEach(() => {
    env = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
  });
  afterEach(() => {
    process.env.NODE_ENV = env;
  });

  for (const [name, app] of Object.entries(beforeCommit)) {
    test(`${name} becomes a clean 500 (or the caller's rejection), reported once`, async () => {
      const client = await start(app);
      if (path.errors === "reject") {
        await expect(client.send({ url: "/" }).then(() => null, codes)).resolves.toContain("E_APP_FAULT");
      } else {
        const response = await client.send({ url: "/" });
        expect(response.status).toBe(500);
        const body = await response.text();
        expect(body).not.toContain("secret detail");
      }
      await expectReported("E_APP_FAULT");
      // The process lives on and the server answers the next request.
      const next = await client.send({ url: "/" }).catch(() => null);
      if (path.errors === "respond") expect(next?.status).toBe(500);
    });
  }

  for (const [name, app] of Object.entries(afterCommit)) {
    test(`${name} truncates the response, never ending it cleanly, reported once`, async () => {
      const client = await start(app);
      const response = await client.send({ url: "/" });
      expect(response.status).toBe(200);
      const { bytes, failed } = await settle(response.body);
      expect(failed).toBe(true);
      expect(bytes.equals(FIRST)).toBe(true);
      await expectReported("GW_ERR_RESPONSE_ABORTED", ["E_APP_FAULT"]);
      // What was reported says what failed.
      if (path.errors === "respond") expect(reported().flatMap(codes)).toContain("E_APP_FAULT");
    });
  }
};
