import { Readable } from "node:stream";
import { type GatewayApp, type ResponseBody, readBytes, text } from "@gangway/core";
import { expect } from "vitest";
import { sleep, waitFor } from "../../helpers/wait.js";
import type { Fault } from "../suite.js";
import { aborted, codeOf, latch, socketsReleased } from "../support.js";

const CHUNK = Buffer.alloc(16 * 1024, 120);

/** A response body of each kind that counts the chunks it produced and how often it was finished. */
function countingBodies() {
  const counts = { produced: 0, finished: 0 };
  const kinds: Record<string, () => ResponseBody> = {
    "an async generator": () =>
      (async function* () {
        try {
          for (;;) {
            counts.produced++;
            yield CHUNK;
            await sleep(5);
          }
        } finally {
          counts.finished++;
        }
      })(),
    // return() is how a consumer finishes an iterator it never started (rule 21): a generator
    // that never ran has no `finally` to run, so this one counts the call itself.
    "a hand-written async iterator": () => {
      const iterator: AsyncIterableIterator<Uint8Array> = {
        async next() {
          counts.produced++;
          await sleep(5);
          return { done: false, value: CHUNK };
        },
        async return() {
          counts.finished++;
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
    "a ReadableStream": () =>
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          counts.produced++;
          controller.enqueue(CHUNK);
          await sleep(5);
        },
        cancel() {
          counts.finished++;
        },
      }),
    "a Node Readable": () =>
      new Readable({
        read() {
          counts.produced++;
          setTimeout(() => this.push(CHUNK), 5);
        },
        destroy(error, callback) {
          counts.finished++;
          callback(error);
        },
      }),
  };
  return { counts, kinds };
}

export const fault: Fault = (context) => {
  const { start, test, expectReported } = context;

  test("a client leaving before the app answers aborts request.signal; the late body is finished once, unread", async () => {
    const started = latch();
    const { counts, kinds } = countingBodies();
    let signalAborted = false;
    const app: GatewayApp = async (request) => {
      started.resolve();
      await aborted(request.signal);
      signalAborted = true;
      return { status: 200, body: kinds["a hand-written async iterator"]!() };
    };
    const client = await start(app);
    const controller = new AbortController();
    const sent = client.send({ url: "/slow", signal: controller.signal }).then(
      () => "answered",
      () => "rejected",
    );
    await started.promise;
    controller.abort();
    // A client that left gets no answer: the call rejects on every path.
    expect(await sent).toBe("rejected");
    await waitFor(() => signalAborted && counts.finished === 1, "request.signal aborted and the body finished");
    await sleep(50);
    expect(counts.finished).toBe(1);
    // Nobody reads a body whose client is gone: at most the one pull that found it out.
    expect(counts.produced).toBeLessThanOrEqual(1);
    await socketsReleased(context);
    await expectReported(null);
  });

  test("a client leaving mid-upload aborts request.signal and the app's read rejects with GW_ERR_BODY_ABORTED", async () => {
    let readError: unknown;
    let signalAborted = false;
    const app: GatewayApp = async (request) => {
      try {
        await readBytes(request, { limit: 64 * 1024 * 1024 });
      } catch (error) {
        readError = error;
      }
      await aborted(request.signal);
      signalAborted = true;
      // Left unanswered-for: the read error escapes the app, and must not be reported (rule 26).
      throw readError;
    };
    const client = await start(app);
    const controller = new AbortController();
    const sentChunks = latch();
    async function* upload() {
      for (let i = 0; i < 4; i++) yield CHUNK;
      sentChunks.resolve();
      await new Promise((resolve) => controller.signal.addEventListener("abort", resolve, { once: true }));
    }
    const sent = client.send({ method: "POST", url: "/upload", body: upload(), signal: controller.signal }).then(
      () => "answered",
      () => "rejected",
    );
    await sentChunks.promise;
    await sleep(50);
    controller.abort();
    expect(await sent).toBe("rejected");
    await waitFor(() => signalAborted, "request.signal aborted");
    expect(codeOf(readError)).toBe("GW_ERR_BODY_ABORTED");
    await socketsReleased(context);
    await expectReported(null);
  });

  for (const kind of ["an async generator", "a hand-written async iterator", "a ReadableStream", "a Node Readable"]) {
    test(`a client leaving mid-response aborts request.signal and finishes ${kind} exactly once`, async () => {
      const { counts, kinds } = countingBodies();
      let signal: AbortSignal | undefined;
      const client = await start((request) => {
        signal = request.signal;
        return { status: 200, body: kinds[kind]!() };
      });
      const controller = new AbortController();
      const response = await client.send({ url: "/stream", signal: controller.signal });
      const iterator = response.body[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      controller.abort();
      await waitFor(
        () => signal?.aborted === true && counts.finished > 0,
        "request.signal aborted and the body finished",
      );
      const producedAtAbort = counts.produced;
      await sleep(100);
      expect(counts.finished).toBe(1);
      // The producer stopped: at most a pull already under way when the client left.
      expect(counts.produced - producedAtAbort).toBeLessThanOrEqual(1);
      await socketsReleased(context);
      await expectReported(null);
    });
  }

  test("a client leaving before a Node Readable's first chunk finishes it exactly once", async () => {
    let finished = 0;
    const asked = latch();
    const client = await start(() => ({
      status: 200,
      // Nothing to send yet: the head waits for the first chunk (rule 19), which never comes.
      body: new Readable({
        read() {
          asked.resolve();
        },
        destroy(error, callback) {
          finished++;
          callback(error);
        },
      }),
    }));
    const controller = new AbortController();
    const sent = client.send({ url: "/silent", signal: controller.signal }).then(
      () => "answered",
      () => "rejected",
    );
    await asked.promise;
    await sleep(20);
    controller.abort();
    expect(await sent).toBe("rejected");
    await waitFor(() => finished > 0, "the body finished");
    await sleep(50);
    expect(finished).toBe(1);
    await socketsReleased(context);
    await expectReported(null);
  });

  test("request.signal still aborts when the client leaves after a garbage collection", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, "run with --expose-gc").toBeTypeOf("function");
    let signalAborted = false;
    const { counts, kinds } = countingBodies();
    // The app keeps nothing of the request but its listener on the signal, as an app that only
    // wants to stop a timer would.
    const client = await start((request) => {
      request.signal.addEventListener("abort", () => {
        signalAborted = true;
      });
      return { status: 200, body: kinds["an async generator"]!() };
    });
    const controller = new AbortController();
    const response = await client.send({ url: "/stream", signal: controller.signal });
    const iterator = response.body[Symbol.asyncIterator]();
    await iterator.next();
    for (let i = 0; i < 3; i++) {
      gc?.();
      await sleep(10);
    }
    controller.abort();
    await waitFor(() => counts.finished > 0, "the body finished");
    await sleep(50);
    expect(signalAborted).toBe(true);
  });

  test("a client leaving does not disturb the next client", async () => {
    const client = await start(async (request) => {
      if (request.path === "/slow") await aborted(request.signal);
      return text("fine");
    });
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      const sent = client.send({ url: "/slow", signal: controller.signal }).catch(() => null);
      await sleep(2);
      controller.abort();
      await sent;
    }
    expect(await (await client.send({ url: "/ok" })).text()).toBe("fine");
    await expectReported(null);
  });
};
