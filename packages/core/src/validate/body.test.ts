import { describe, expect, it } from "vitest";
import { sleep, waitFor } from "../../../../test/helpers/wait.js";
import { discardBody } from "../body-reader.js";
import { GatewayError } from "../errors.js";
import { inject } from "../inject.js";
import { readBytes } from "../read-body.js";
import { isBodyUsed } from "../request-body.js";
import { text } from "../response.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import { checkFinished, LintError, type LintIssue, type ValidateOptions, validate } from "./index.js";

function request(overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    method: "GET",
    scheme: "http",
    authority: "localhost",
    basePath: "",
    path: "/",
    query: "",
    headers: { host: "localhost" },
    body: null,
    signal: new AbortController().signal,
    env: {},
    ...overrides,
  };
}

/** An async iterable that counts what its consumer does to it. */
function probe(chunks: unknown[]) {
  const counts = { opened: 0, pulled: 0, returned: 0 };
  let index = 0;
  const iterable = {
    [Symbol.asyncIterator]: () => {
      counts.opened++;
      return {
        next: async () => {
          counts.pulled++;
          if (index >= chunks.length) return { done: true, value: undefined };
          return { done: false, value: chunks[index++] };
        },
        return: async () => {
          counts.returned++;
          index = chunks.length;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable: iterable as AsyncIterable<Uint8Array>, counts };
}

const bytes = (s: string) => new TextEncoder().encode(s);

/** Calls `validate(() => response)` and returns the linted response, with the issues it reported. */
async function respond(response: GatewayResponse, options: ValidateOptions = {}, from = request()) {
  const issues: LintIssue[] = [];
  const app = validate(() => response, { onWarning: (issue) => issues.push(issue), ...options });
  return { linted: await app(from), issues };
}

async function drain(body: unknown): Promise<string> {
  let out = "";
  for await (const chunk of body as AsyncIterable<Uint8Array>) out += Buffer.from(chunk).toString();
  return out;
}

function errorOf(promise: unknown): Promise<unknown> {
  return Promise.resolve(promise).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("validate: reading the request body (rule 10)", () => {
  const post = (body: AsyncIterable<Uint8Array>, length?: string) =>
    request({ method: "POST", headers: length === undefined ? {} : { "content-length": length }, body });

  it("rejects a second read with GW_LINT_BODY_READ_TWICE", async () => {
    const app = validate(async (r) => {
      await readBytes(r);
      await readBytes(r);
      return text("unreachable");
    });
    const error = await errorOf(app(post(probe([bytes("hi")]).iterable, "2")));
    expect(LintError.is(error, "GW_LINT_BODY_READ_TWICE")).toBe(true);
    expect((error as LintError).rule).toBe(10);
  });

  it('reports the second read at level "warn", then fails it with the core\'s GW_ERR_BODY_USED', async () => {
    const issues: LintIssue[] = [];
    let second: unknown;
    const app = validate(
      async (r) => {
        await readBytes(r);
        second = await errorOf(readBytes(r));
        return text("ok");
      },
      { level: "warn", onWarning: (issue) => issues.push(issue) },
    );
    await app(post(probe([bytes("hi")]).iterable, "2"));
    expect(GatewayError.is(second, "GW_ERR_BODY_USED")).toBe(true);
    expect(issues.map((issue) => issue.code)).toEqual(["GW_LINT_BODY_READ_TWICE"]);
  });

  it("shows the read to isBodyUsed, so cascade will not offer the body again", async () => {
    let before: boolean | undefined;
    let after: boolean | undefined;
    const app = validate(async (r) => {
      before = isBodyUsed(r.body);
      await readBytes(r);
      after = isBodyUsed(r.body);
      return text("ok");
    });
    await app(post(probe([bytes("hi")]).iterable, "2"));
    expect([before, after]).toEqual([false, true]);
  });

  it("rejects a chunk that is not a Uint8Array with GW_LINT_REQUEST_CHUNK, finishing the source", async () => {
    const source = probe(["a string"]);
    const app = validate(async (r) => text(String((await readBytes(r)).byteLength)));
    const error = await errorOf(app(post(source.iterable)));
    expect(LintError.is(error, "GW_LINT_REQUEST_CHUNK")).toBe(true);
    expect(source.counts.returned).toBe(1);
  });

  for (const [name, length] of [
    ["fewer", "5"],
    ["more", "1"],
  ] as const) {
    it(`rejects a body with ${name} bytes than its content-length with GW_LINT_REQUEST_LENGTH at its end`, async () => {
      const app = validate(async (r) => text(String((await readBytes(r)).byteLength)));
      const error = await errorOf(app(post(probe([bytes("ab"), bytes("c")]).iterable, length)));
      expect(LintError.is(error, "GW_LINT_REQUEST_LENGTH")).toBe(true);
    });
  }

  it("does not count a body the app stopped reading early", async () => {
    const issues: LintIssue[] = [];
    const app = validate(
      async (r) => {
        for await (const _ of r.body!) break;
        return text("ok");
      },
      { onWarning: (issue) => issues.push(issue) },
    );
    await app(post(probe([bytes("ab"), bytes("c")]).iterable, "3"));
    expect(issues).toEqual([]);
  });

  it("reads a body of the declared length without a finding", async () => {
    const issues: LintIssue[] = [];
    const app = validate(async (r) => text(Buffer.from(await readBytes(r)).toString()), {
      onWarning: (issue) => issues.push(issue),
    });
    const response = await app(post(probe([bytes("ab"), bytes("c")]).iterable, "3"));
    expect(response.body).toBe("abc");
    expect(issues).toEqual([]);
  });
});

describe("validate: consuming a streamed response body (rules 18, 20, 21)", () => {
  it("rejects a chunk that is not a Uint8Array with GW_LINT_CHUNK and finishes the source", async () => {
    const source = probe([bytes("a"), "b", bytes("c")]);
    const { linted } = await respond({ status: 200, headers: { "content-type": "text/plain" }, body: source.iterable });
    const error = await errorOf(drain(linted.body));
    expect(LintError.is(error, "GW_LINT_CHUNK")).toBe(true);
    expect((error as LintError).rule).toBe(20);
    expect(source.counts.returned).toBe(1);
  });

  it('passes a wrong chunk on at level "warn", reporting it', async () => {
    const { linted, issues } = await respond(
      { status: 200, headers: { "content-type": "text/plain" }, body: probe([bytes("a"), "b"]).iterable },
      { level: "warn" },
    );
    const seen: unknown[] = [];
    for await (const chunk of linted.body as AsyncIterable<unknown>) seen.push(chunk);
    expect(seen[1]).toBe("b");
    expect(issues.map((issue) => issue.code)).toEqual(["GW_LINT_CHUNK"]);
  });

  it("rejects a short body with GW_LINT_LENGTH_MISMATCH when it ends", async () => {
    const { linted } = await respond({
      status: 200,
      headers: { "content-type": "text/plain", "content-length": "10" },
      body: probe([bytes("abcd")]).iterable,
    });
    const iterator = (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const error = await errorOf(iterator.next());
    expect(LintError.is(error, "GW_LINT_LENGTH_MISMATCH")).toBe(true);
  });

  it("rejects a long body with GW_LINT_LENGTH_MISMATCH at once, without pulling further", async () => {
    const source = probe([bytes("abc"), bytes("def"), bytes("ghi")]);
    const { linted } = await respond({
      status: 200,
      headers: { "content-type": "text/plain", "content-length": 4 },
      body: source.iterable,
    });
    const error = await errorOf(drain(linted.body));
    expect(LintError.is(error, "GW_LINT_LENGTH_MISMATCH")).toBe(true);
    expect(source.counts.pulled).toBe(2);
    expect(source.counts.returned).toBe(1);
  });

  it("does not hold a HEAD body or a 304 body to its content-length", async () => {
    for (const [method, status] of [
      ["HEAD", 200],
      ["GET", 304],
    ] as const) {
      const { linted, issues } = await respond(
        { status, headers: { "content-length": 99 }, body: probe([bytes("abc")]).iterable },
        { level: "warn" },
        request({ method }),
      );
      await drain(linted.body);
      expect(issues.map((issue) => issue.code)).not.toContain("GW_LINT_LENGTH_MISMATCH");
    }
  });

  it("rejects a second iteration with GW_LINT_BODY_ITERATED_TWICE", async () => {
    const { linted } = await respond({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: probe([]).iterable,
    });
    await drain(linted.body);
    expect(() => (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()).toThrow(
      expect.objectContaining({ code: "GW_LINT_BODY_ITERATED_TWICE", rule: 21 }),
    );
  });

  it("rejects next() after the end, and after return(), with GW_LINT_READ_AFTER_FINISH", async () => {
    for (const finish of ["end", "return"] as const) {
      const { linted } = await respond({
        status: 200,
        headers: { "content-type": "text/plain" },
        body: probe([bytes("a")]).iterable,
      });
      const iterator = (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      if (finish === "end") while (!(await iterator.next()).done);
      else await iterator.return!();
      expect(LintError.is(await errorOf(iterator.next()), "GW_LINT_READ_AFTER_FINISH")).toBe(true);
    }
  });

  it("rejects a pull while another is pending with GW_LINT_OVERLAPPING_PULL", async () => {
    const { linted } = await respond({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: probe([bytes("a"), bytes("b")]).iterable,
    });
    const iterator = (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const first = iterator.next();
    const error = await errorOf(iterator.next());
    expect(LintError.is(error, "GW_LINT_OVERLAPPING_PULL")).toBe(true);
    expect((await first).done).toBe(false);
  });

  it("warns with GW_LINT_NO_CONTENT_TYPE at the first chunk with content, not before", async () => {
    const { linted, issues } = await respond({ status: 200, body: probe([new Uint8Array(0), bytes("a")]).iterable });
    const iterator = (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await iterator.next();
    expect(issues).toEqual([]);
    await iterator.next();
    expect(issues).toEqual([expect.objectContaining({ code: "GW_LINT_NO_CONTENT_TYPE", severity: "warning" })]);
  });

  it("pulls one chunk from the source per chunk its consumer pulls", async () => {
    const source = probe([bytes("a"), bytes("b"), bytes("c")]);
    const { linted } = await respond({ status: 200, headers: { "content-type": "text/plain" }, body: source.iterable });
    const iterator = (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    expect(source.counts.pulled).toBe(0);
    for (let i = 1; i <= 3; i++) {
      await iterator.next();
      expect(source.counts.pulled).toBe(i);
    }
  });

  it("forwards return() to the source exactly once, also with a pull pending", async () => {
    // Hand-written: a generator's own return() is idempotent, which would hide a second call.
    let returned = 0;
    let release: (result: IteratorResult<Uint8Array>) => void = () => {};
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise((resolve) => (release = resolve)),
        return: async () => {
          returned++;
          return { done: true, value: undefined };
        },
      }),
    };
    const { linted, issues } = await respond({ status: 200, headers: { "content-type": "text/plain" }, body });
    const iterator = (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await iterator.return!();
    await iterator.return!();
    expect(returned).toBe(1);
    release({ done: false, value: bytes("late") });
    await pending;
    expect(issues).toEqual([]);
    checkFinished(linted);
  });

  it("lets the source's own error through as it is, and counts the body finished", async () => {
    const { linted } = await respond({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: (async function* () {
        yield bytes("a");
        throw new Error("source failed");
      })(),
    });
    await expect(drain(linted.body)).rejects.toThrow("source failed");
    expect(() => checkFinished(linted)).not.toThrow();
  });
});

describe("validate: ReadableStream bodies", () => {
  function stream(chunks: unknown[]) {
    const counts = { pulled: 0, cancelled: 0 };
    let index = 0;
    const body = new ReadableStream<unknown>(
      {
        pull(controller) {
          counts.pulled++;
          if (index < chunks.length) controller.enqueue(chunks[index++]);
          else controller.close();
        },
        cancel() {
          counts.cancelled++;
        },
      },
      { highWaterMark: 0 },
    );
    return { body: body as ReadableStream<Uint8Array>, counts };
  }

  it("stays a ReadableStream, pulled only as its reader reads", async () => {
    const source = stream([bytes("a"), bytes("b")]);
    const { linted } = await respond({ status: 200, headers: { "content-type": "text/plain" }, body: source.body });
    expect(linted.body).toBeInstanceOf(ReadableStream);
    const reader = (linted.body as ReadableStream<Uint8Array>).getReader();
    await sleep(5);
    expect(source.counts.pulled).toBe(0);
    expect(Buffer.from((await reader.read()).value!).toString()).toBe("a");
    expect(source.counts.pulled).toBe(1);
  });

  it("errors the stream with GW_LINT_CHUNK on a chunk that is not a Uint8Array, cancelling the source", async () => {
    const source = stream(["text"]);
    const { linted } = await respond({ status: 200, headers: { "content-type": "text/plain" }, body: source.body });
    const error = await errorOf((linted.body as ReadableStream).getReader().read());
    expect(LintError.is(error, "GW_LINT_CHUNK")).toBe(true);
    expect(source.counts.cancelled).toBe(1);
  });

  it("errors the stream with GW_LINT_LENGTH_MISMATCH when it ends short", async () => {
    const { linted } = await respond({
      status: 200,
      headers: { "content-type": "text/plain", "content-length": "3" },
      body: stream([bytes("a")]).body,
    });
    expect(LintError.is(await errorOf(drain(linted.body)), "GW_LINT_LENGTH_MISMATCH")).toBe(true);
  });

  it("forwards cancel() once and counts the body finished", async () => {
    const source = stream([bytes("a"), bytes("b")]);
    const { linted } = await respond({ status: 200, headers: { "content-type": "text/plain" }, body: source.body });
    const reader = (linted.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect(source.counts.cancelled).toBe(1);
    expect(() => checkFinished(linted)).not.toThrow();
  });
});

describe("validate: finishing every body (rule 21)", () => {
  const streamed = (body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): GatewayResponse => ({
    status: 200,
    headers: { "content-type": "text/plain" },
    body,
  });

  it("checkFinished throws GW_LINT_BODY_NOT_FINISHED for a body dropped unread or half read", async () => {
    const unread = await respond(streamed(probe([bytes("a")]).iterable));
    expect(() => checkFinished(unread.linted)).toThrow(expect.objectContaining({ code: "GW_LINT_BODY_NOT_FINISHED" }));
    const halfRead = await respond(streamed(probe([bytes("a"), bytes("b")]).iterable));
    await (halfRead.linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().next();
    expect(() => checkFinished(halfRead.linted)).toThrow(
      expect.objectContaining({ code: "GW_LINT_BODY_NOT_FINISHED" }),
    );
    const stream = await respond(streamed(new ReadableStream<Uint8Array>()));
    expect(() => checkFinished(stream.linted)).toThrow(expect.objectContaining({ code: "GW_LINT_BODY_NOT_FINISHED" }));
  });

  it("catches middleware that replaces a response without finishing the original's body", async () => {
    let original: GatewayResponse | undefined;
    const inner = validate(() => streamed(probe([bytes("a")]).iterable));
    const careless: GatewayApp = async (r) => {
      original = await inner(r);
      return text("replaced");
    };
    const careful: GatewayApp = async (r) => {
      original = await inner(r);
      await discardBody(original.body);
      return text("replaced");
    };
    expect((await inject(careless)).status).toBe(200);
    expect(() => checkFinished(original)).toThrow(expect.objectContaining({ code: "GW_LINT_BODY_NOT_FINISHED" }));
    expect((await inject(careful)).status).toBe(200);
    expect(() => checkFinished(original)).not.toThrow();
  });

  it("checkFinished passes a body read to its end, return()ed unread, or never wrapped", async () => {
    const read = await respond(streamed(probe([bytes("a")]).iterable));
    await drain(read.linted.body);
    checkFinished(read.linted);
    const returned = await respond(streamed(probe([bytes("a")]).iterable));
    await (returned.linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().return!();
    checkFinished(returned.linted);
    checkFinished(text("not wrapped"));
    checkFinished(streamed(probe([]).iterable));
  });

  it('checkFinished hands the finding to onWarning at level "warn", once', async () => {
    const { linted, issues } = await respond(streamed(probe([bytes("a")]).iterable), { level: "warn" });
    checkFinished(linted);
    checkFinished(linted);
    expect(issues).toEqual([expect.objectContaining({ code: "GW_LINT_BODY_NOT_FINISHED", severity: "error" })]);
  });

  it("reports a body still unfinished finishTimeout ms after the request aborted", async () => {
    const controller = new AbortController();
    const { linted, issues } = await respond(
      streamed(probe([bytes("a")]).iterable),
      { finishTimeout: 0 },
      request({ signal: controller.signal }),
    );
    await (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().next();
    controller.abort();
    await waitFor(() => issues.length > 0, "GW_LINT_BODY_NOT_FINISHED");
    expect(issues).toEqual([expect.objectContaining({ code: "GW_LINT_BODY_NOT_FINISHED", rule: 21 })]);
  });

  it("reports nothing when the consumer finishes the body on abort", async () => {
    const controller = new AbortController();
    const { linted, issues } = await respond(
      streamed(probe([bytes("a")]).iterable),
      { finishTimeout: 0 },
      request({ signal: controller.signal }),
    );
    const iterator = (linted.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    controller.signal.addEventListener("abort", () => void iterator.return!());
    controller.abort();
    await sleep(30);
    expect(issues).toEqual([]);
  });

  it("reports a body garbage-collected unfinished, as a last resort", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, "vitest runs with --expose-gc").toBeTypeOf("function");
    const issues: LintIssue[] = [];
    const app: GatewayApp = validate(() => streamed(probe([bytes("a")]).iterable), {
      onWarning: (issue) => issues.push(issue),
    });
    // Dropped inside a function, so no stack slot keeps the response alive.
    await (async () => void (await app(request())))();
    await waitFor(() => {
      gc!();
      return issues.length > 0;
    }, "the finalizer");
    expect(issues).toEqual([expect.objectContaining({ code: "GW_LINT_BODY_NOT_FINISHED", severity: "error" })]);
  });
});
