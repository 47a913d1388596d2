import type { GatewayApp } from "@gangway/core";
import { expect, it } from "vitest";
import { sleep, waitFor } from "../../helpers/wait.js";
import type { Behaviour } from "../suite.js";

export const behaviour: Behaviour = ({ start }) => {
  it("aborts request.signal and finishes the body once when the client goes away mid-response", async () => {
    let signalAborted = false;
    let returned = 0;
    let produced = 0;
    const app: GatewayApp = (request) => {
      request.signal.addEventListener("abort", () => {
        signalAborted = true;
      });
      return {
        status: 200,
        body: (async function* () {
          try {
            for (;;) {
              produced++;
              yield Buffer.from(`tick ${produced}\n`);
              await sleep(10);
            }
          } finally {
            returned++;
          }
        })(),
      };
    };
    const client = await start(app);
    const response = await client.send({ url: "/ticks" });
    const iterator = response.body[Symbol.asyncIterator]();
    // Reads may coalesce chunks on a busy multi-hop path; the first read starts with the first tick.
    expect(Buffer.from((await iterator.next()).value!).toString()).toMatch(/^tick 1\n/);
    response.abort();
    await waitFor(() => signalAborted && returned > 0, "abort and return()");
    const producedAtAbort = produced;
    await sleep(100);
    expect(returned).toBe(1);
    // The producer stopped: no leaked work after the client left.
    expect(produced - producedAtAbort).toBeLessThanOrEqual(1);
  });

  it("cancels a ReadableStream body when the client goes away", async () => {
    let cancelled = 0;
    const app: GatewayApp = () => ({
      status: 200,
      body: new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(10);
          controller.enqueue(new TextEncoder().encode("x"));
        },
        cancel() {
          cancelled++;
        },
      }),
    });
    const client = await start(app);
    const response = await client.send({ url: "/stream" });
    const iterator = response.body[Symbol.asyncIterator]();
    await iterator.next();
    response.abort();
    await waitFor(() => cancelled > 0, "cancel()");
    await sleep(50);
    expect(cancelled).toBe(1);
  });

  it("does not abort request.signal when a response completes normally", async () => {
    let signal: AbortSignal | undefined;
    const client = await start((request) => {
      signal = request.signal;
      return { status: 200, body: "done" };
    });
    expect(await (await client.send({ url: "/" })).text()).toBe("done");
    await sleep(20);
    expect(signal?.aborted).toBe(false);
  });
};
