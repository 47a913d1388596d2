import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { cascade } from "./cascade.js";
import { GatewayError } from "./errors.js";
import { inject } from "./inject.js";
import { readText } from "./read-body.js";
import { OnceBody, toRequestBody, unwrapBody } from "./request-body.js";
import { isPass, pass, text } from "./response.js";
import type { GatewayApp, GatewayRequest, GatewayResponse, RequestBody } from "./types.js";

function requestWith(body: RequestBody | null = null): GatewayRequest {
  return Object.freeze({
    method: "POST",
    scheme: "http",
    authority: "example.test",
    basePath: "",
    path: "/x",
    query: "",
    headers: Object.freeze({}),
    body,
    signal: new AbortController().signal,
    env: Object.freeze({}),
  });
}

/** A body whose iterator counts `return()` calls: the "finished" count of rule 21. */
function countedIterable() {
  const counts = { returns: 0, nexts: 0 };
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        counts.nexts++;
        return { done: false, value: Buffer.from("chunk") };
      },
      return: async () => {
        counts.returns++;
        return { done: true, value: undefined };
      },
    }),
  };
  return { body, counts };
}

function countedStream() {
  const counts = { cancels: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(Buffer.from("chunk")),
    cancel: () => void counts.cancels++,
  });
  return { body, counts };
}

function passWith(body: GatewayResponse["body"]): GatewayResponse {
  return { ...pass(), body };
}

describe("cascade", () => {
  it("returns the first response that is not a pass, calling no app after it", async () => {
    const calls: string[] = [];
    const app = cascade(
      () => {
        calls.push("a");
        return pass();
      },
      async () => {
        calls.push("b");
        return text("from b", { status: 201 });
      },
      () => {
        calls.push("c");
        return text("from c");
      },
    );
    const response = await inject(app, { url: "/x" });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("from b");
    expect(calls).toEqual(["a", "b"]);
  });

  it("hands every app the caller's own request when its body is read-once or absent", async () => {
    const received: GatewayRequest[] = [];
    const record: GatewayApp = (request) => {
      received.push(request);
      return pass();
    };
    const app = cascade(record, record);
    const withoutBody = requestWith(null);
    await app(withoutBody);
    const withBody = requestWith(toRequestBody("payload"));
    await app(withBody);
    expect(received).toEqual([withoutBody, withoutBody, withBody, withBody]);
    expect(received[2]).toBe(withBody);
    // The unread OnceBody is handed on untouched, so an adapter can still unwrap its source.
    expect(unwrapBody(received[3]!.body)).toBeInstanceOf(Uint8Array);
  });

  it("finishes the body of every skipped response exactly once, and leaves the returned one alone", async () => {
    const skippedIterable = countedIterable();
    const skippedStream = countedStream();
    const returned = countedIterable();
    const app = cascade(
      () => passWith(skippedIterable.body),
      () => passWith(skippedStream.body),
      () => ({ status: 200, body: returned.body }),
    );
    const response = await app(requestWith());
    expect(response.body).toBe(returned.body);
    expect(skippedIterable.counts).toEqual({ returns: 1, nexts: 0 });
    expect(skippedStream.counts.cancels).toBe(1);
    expect(returned.counts).toEqual({ returns: 0, nexts: 0 });
  });

  it("closes a skipped generator body without reading it", async () => {
    let produced = 0;
    const generator = (async function* () {
      produced++;
      yield Buffer.from("never");
    })();
    const app = cascade(
      () => passWith(generator),
      () => text("ok"),
    );
    expect((await app(requestWith())).status).toBe(200);
    expect(produced).toBe(0);
    expect(await generator.next()).toEqual({ done: true, value: undefined });
  });

  it("returns the last pass, body unfinished, when every app passes", async () => {
    const first = countedIterable();
    const last = countedIterable();
    const lastPass = passWith(last.body);
    const app = cascade(
      () => passWith(first.body),
      () => lastPass,
    );
    const response = await app(requestWith());
    expect(response).toBe(lastPass);
    expect(isPass(response)).toBe(true);
    expect(first.counts.returns).toBe(1);
    expect(last.counts.returns).toBe(0);
  });

  it("answers pass() with no apps", async () => {
    const response = await cascade()(requestWith());
    expect(response.status).toBe(404);
    expect(isPass(response)).toBe(true);
  });

  it("stops at an app that read the request body, returning its pass", async () => {
    const calls: string[] = [];
    const app = cascade(
      () => pass(),
      async (request) => {
        calls.push(`read ${await readText(request)}`);
        return pass();
      },
      () => {
        calls.push("after");
        return text("too late");
      },
    );
    const response = await inject(app, { method: "POST", url: "/x", body: "payload" });
    expect(response.status).toBe(404);
    expect(calls).toEqual(["read payload"]);
  });

  it("tracks a read of a body that is not read-once by itself", async () => {
    const calls: string[] = [];
    async function* upload() {
      yield Buffer.from("up");
    }
    const app = cascade(
      async (request) => {
        for await (const chunk of request.body!) calls.push(Buffer.from(chunk).toString());
        return pass();
      },
      () => {
        calls.push("after");
        return text("too late");
      },
    );
    const response = await app(requestWith(upload()));
    expect(isPass(response)).toBe(true);
    expect(calls).toEqual(["up"]);
  });

  it("stops at an app that read the Node stream behind the body directly, as a fused adapter does", async () => {
    const calls: string[] = [];
    const app = cascade(
      async (request) => {
        const source = unwrapBody(request.body) as Readable;
        for await (const chunk of source) calls.push(Buffer.from(chunk).toString());
        return pass();
      },
      () => {
        calls.push("after");
        return text("too late");
      },
    );
    const body = toRequestBody(Readable.from([Buffer.from("direct")]));
    const response = await app(requestWith(body));
    expect(isPass(response)).toBe(true);
    expect(calls).toEqual(["direct"]);
    expect(body).toBeInstanceOf(OnceBody);
    expect(body.used).toBe(false);
  });

  it("goes on past an app that passed without reading the body, and the next app can read it", async () => {
    const app = cascade(
      () => pass(),
      async (request) => text(`got ${await readText(request)}`),
    );
    const response = await inject(app, { method: "POST", url: "/x", body: "payload" });
    expect(await response.text()).toBe("got payload");
  });

  it("with notFound: true, also skips plain 404 and 405 responses and finishes their bodies", async () => {
    const notFound = countedIterable();
    const notAllowed = countedStream();
    const app = cascade(
      () => ({ status: 404, body: notFound.body }),
      () => ({ status: 405, headers: { allow: "GET" }, body: notAllowed.body }),
      () => text("found"),
      { notFound: true },
    );
    const response = await app(requestWith());
    expect(response.status).toBe(200);
    expect(response.body).toBe("found");
    expect(notFound.counts.returns).toBe(1);
    expect(notAllowed.counts.cancels).toBe(1);
  });

  it("without notFound, returns a plain 404 or 405 as the app's answer", async () => {
    for (const status of [404, 405]) {
      const app = cascade(
        () => text("mine", { status }),
        () => text("other"),
      );
      const response = await app(requestWith());
      expect(response.status).toBe(status);
      expect(response.body).toBe("mine");
    }
  });

  it("rejects with an error an app throws or rejects with, calling no app after it", async () => {
    const failure = new Error("boom");
    let later = 0;
    const after: GatewayApp = () => {
      later++;
      return text("after");
    };
    const sync = cascade(
      () => pass(),
      () => {
        throw failure;
      },
      after,
    );
    await expect(sync(requestWith())).rejects.toBe(failure);
    const async = cascade(() => Promise.reject(failure), after);
    await expect(async(requestWith())).rejects.toBe(failure);
    expect(later).toBe(0);
  });

  it("throws GW_ERR_INVALID_APP at once for an app that is not a function", () => {
    for (const args of [[null], [() => pass(), "next"], [() => pass(), 5, { notFound: true }]]) {
      let caught: unknown;
      try {
        cascade(...(args as GatewayApp[]));
      } catch (error) {
        caught = error;
      }
      expect(GatewayError.is(caught, "GW_ERR_INVALID_APP")).toBe(true);
    }
  });

  it("throws a TypeError for options of the wrong type", () => {
    expect(() => cascade(() => pass(), { notFound: "yes" as unknown as boolean })).toThrow(TypeError);
  });

  it("runs the startup and shutdown hooks of its apps (rule 31)", async () => {
    const calls: string[] = [];
    const hooked = (name: string): GatewayApp =>
      Object.assign(() => pass(), {
        startup: () => void calls.push(`start ${name}`),
        shutdown: () => void calls.push(`stop ${name}`),
      });
    const app = cascade(hooked("a"), () => pass(), hooked("b"), { notFound: true });
    await app.startup?.();
    await app.shutdown?.();
    expect(calls).toEqual(["start a", "start b", "stop b", "stop a"]);
  });
});
