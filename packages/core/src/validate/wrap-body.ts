import { describe } from "../body-reader.js";
import { isReadableStream, OnceBody } from "../request-body.js";
import type { GatewayResponse, RequestBody } from "../types.js";
import type { Reporter } from "./report.js";

// ---------------------------------------------------------------------------------------------
// Request bodies (rule 10)

/**
 * The request body an app behind `validate()` reads: still a read-once {@link OnceBody} (so
 * `cascade` and `isBodyUsed` see a read), but a second read reports `GW_LINT_BODY_READ_TWICE`
 * first, and the chunks are checked and counted against `content-length`. It hides the source, so
 * adapters take their generic path and every read goes through the checks.
 */
export class LintedRequestBody extends OnceBody {
  readonly #reporter: Reporter;

  constructor(inner: RequestBody, expectedLength: number | undefined, signal: AbortSignal, reporter: Reporter) {
    super(() => lintRequestChunks(inner[Symbol.asyncIterator](), expectedLength, signal, reporter));
    this.#reporter = reporter;
  }

  override [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.used) {
      // At level "warn" the core's own GW_ERR_BODY_USED follows, as it would without validate().
      this.#reporter.report(
        "GW_LINT_BODY_READ_TWICE",
        "the request body was read a second time: read it once, keep the result",
      );
    }
    return super[Symbol.asyncIterator]();
  }
}

function lintRequestChunks(
  iterator: AsyncIterator<unknown>,
  expectedLength: number | undefined,
  signal: AbortSignal,
  reporter: Reporter,
): AsyncIterator<Uint8Array> {
  let received = 0;
  let ended = false;
  return {
    async next() {
      const result = await iterator.next();
      if (result.done) {
        if (ended) return result;
        ended = true;
        // A client that went away ends the body short; that is rule 11's business, not a lint.
        if (expectedLength !== undefined && received !== expectedLength && !signal?.aborted) {
          reporter.report(
            "GW_LINT_REQUEST_LENGTH",
            `the body ended after ${received} bytes, but content-length is ${expectedLength}`,
          );
        }
        return result;
      }
      const chunk = result.value;
      if (!(chunk instanceof Uint8Array)) {
        if (reporter.throws("GW_LINT_REQUEST_CHUNK")) await iterator.return?.();
        reporter.report("GW_LINT_REQUEST_CHUNK", `a body chunk was ${describe(chunk)}, not a Uint8Array`);
      } else {
        received += chunk.byteLength;
      }
      return result as IteratorResult<Uint8Array>;
    },
    return: async (value?: unknown) => {
      ended = true;
      return ((await iterator.return?.(value)) ?? { done: true, value: undefined }) as IteratorResult<Uint8Array>;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Response bodies (rules 18, 20, 21)

/** How {@link wrapResponseBody} checks one body. */
export interface ResponseBodyOptions {
  reporter: Reporter;
  /** The request's signal: once it aborts, the body must be finished within `finishTimeout` ms. */
  signal: AbortSignal;
  finishTimeout: number;
  /** The declared content-length to hold the body to, if any. */
  expectedLength: number | undefined;
  /** Warn at the first non-empty chunk: the response has no content-type. */
  needsContentType: boolean;
}

/** What is known of one wrapped body. It must not reference the wrapper, or the registry below could never fire. */
interface BodyState {
  finished: boolean;
  reported: boolean;
  reporter: Reporter;
  detach?: () => void;
}

const states = new WeakMap<object, BodyState>();

// The last resort for a body nobody finished and nobody will: it was garbage-collected. Findings
// from here have no caller to throw to, so they go to onWarning whatever the level.
const registry = new FinalizationRegistry<BodyState>((state) => {
  if (state.finished || state.reported) return;
  state.reported = true;
  state.reporter.notify(
    "GW_LINT_BODY_NOT_FINISHED",
    "a response body was garbage-collected without being finished: its consumer dropped it without return() or cancel()",
  );
});

/**
 * Wraps a streamed response body so that every chunk must be a `Uint8Array`, the byte count must
 * match `content-length`, the body is iterated at most once and never after it finished, and it
 * gets finished on every path. The wrapper keeps the body's kind (a `ReadableStream` stays one) and
 * pulls from the original only when its consumer pulls, so streaming and backpressure are intact.
 */
export function wrapResponseBody(
  body: AsyncIterable<unknown> | ReadableStream<unknown>,
  options: ResponseBodyOptions,
): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> {
  const state: BodyState = { finished: false, reported: false, reporter: options.reporter };
  const wrapper = isReadableStream(body)
    ? wrapStream(body, state, options)
    : wrapIterable(body as AsyncIterable<unknown>, state, options);
  track(wrapper, state, options);
  return wrapper;
}

/**
 * Reports `GW_LINT_BODY_NOT_FINISHED` when the body of `response`, a response from an app behind
 * `validate()`, has not been finished: read to its end, failed, or stopped with `return()` /
 * `cancel()`. Call it where the response's consumer is done with it — at the end of a test, or in
 * middleware after it dropped a response — for a deterministic check; `validate()` otherwise checks
 * after the request's signal aborts and, as a fallback, when the body is garbage-collected. At level
 * "error" it throws a `LintError`; responses `validate()` did not wrap, and string or byte bodies,
 * pass silently.
 *
 * @example
 * ```ts
 * const response = await validate(app)(request);
 * await consume(response); // the code under test
 * checkFinished(response); // throws GW_LINT_BODY_NOT_FINISHED if it dropped the body
 * ```
 */
export function checkFinished(response: Pick<GatewayResponse, "body"> | null | undefined): void {
  const body = response?.body;
  if (typeof body !== "object" || body === null) return;
  const state = states.get(body);
  if (state === undefined || state.finished || state.reported) return;
  state.reported = true;
  state.reporter.report(
    "GW_LINT_BODY_NOT_FINISHED",
    "the response body was not finished: a consumer that stops early calls return() on the iterator or cancel() on the stream",
  );
}

function track(wrapper: object, state: BodyState, options: ResponseBodyOptions): void {
  states.set(wrapper, state);
  registry.register(wrapper, state, state);
  const { signal, finishTimeout } = options;
  if (typeof signal?.addEventListener !== "function") return;
  // The client went away: the consumer must now finish the body (rule 11, 21). Servers do that
  // within the abort's own event dispatch; the grace period is for slower consumers.
  const onAbort = () => {
    const timer = setTimeout(() => {
      if (state.finished || state.reported) return;
      state.reported = true;
      state.reporter.notify(
        "GW_LINT_BODY_NOT_FINISHED",
        `the request was aborted and the response body was still not finished ${finishTimeout} ms later`,
      );
    }, finishTimeout);
    timer.unref?.();
  };
  if (signal.aborted) {
    onAbort();
    return;
  }
  signal.addEventListener("abort", onAbort, { once: true });
  state.detach = () => signal.removeEventListener("abort", onAbort);
}

function markFinished(state: BodyState): void {
  if (state.finished) return;
  state.finished = true;
  registry.unregister(state);
  state.detach?.();
  state.detach = undefined;
}

/** The checks shared by both body kinds: chunk type, length, content-type. */
class ChunkChecks {
  #received = 0;
  #overflowReported = false;
  #sawContent = false;
  /** Set once the consumer stopped early: a short count is then no breach. */
  stoppedEarly = false;
  readonly #options: ResponseBodyOptions;

  constructor(options: ResponseBodyOptions) {
    this.#options = options;
  }

  /** Checks one chunk; at level "error" a breach finishes the source, then throws. */
  async chunk(chunk: unknown, finishSource: () => Promise<void>): Promise<void> {
    const { reporter, expectedLength } = this.#options;
    if (!(chunk instanceof Uint8Array)) {
      if (reporter.throws("GW_LINT_CHUNK")) await finishSource();
      reporter.report("GW_LINT_CHUNK", `a body chunk was ${describe(chunk)}, not a Uint8Array`);
      return;
    }
    this.#received += chunk.byteLength;
    if (expectedLength !== undefined && this.#received > expectedLength && !this.#overflowReported) {
      this.#overflowReported = true;
      if (reporter.throws("GW_LINT_LENGTH_MISMATCH")) await finishSource();
      reporter.report(
        "GW_LINT_LENGTH_MISMATCH",
        `the body ran past its content-length of ${expectedLength} (${this.#received} bytes so far)`,
      );
    }
    if (chunk.byteLength > 0 && !this.#sawContent) {
      this.#sawContent = true;
      if (this.#options.needsContentType) {
        reporter.report("GW_LINT_NO_CONTENT_TYPE", "a streamed body with content has no content-type");
      }
    }
  }

  /** The source ended by itself. */
  end(): void {
    const { reporter, expectedLength, signal } = this.#options;
    if (this.stoppedEarly || this.#overflowReported || signal?.aborted) return;
    if (expectedLength !== undefined && this.#received !== expectedLength) {
      reporter.report(
        "GW_LINT_LENGTH_MISMATCH",
        `the body ended after ${this.#received} bytes, but content-length is ${expectedLength}`,
      );
    }
  }
}

function wrapIterable(
  body: AsyncIterable<unknown>,
  state: BodyState,
  options: ResponseBodyOptions,
): AsyncIterable<Uint8Array> {
  const { reporter } = options;
  let opened = false;
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      if (opened) {
        reporter.report("GW_LINT_BODY_ITERATED_TWICE", "the response body was iterated a second time");
        return body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
      }
      opened = true;
      let iterator: AsyncIterator<unknown>;
      try {
        iterator = body[Symbol.asyncIterator]();
      } catch (error) {
        // Nothing was opened, so nothing is left to finish.
        markFinished(state);
        throw error;
      }
      return lintIterator(iterator, state, options);
    },
  };
}

function lintIterator(
  iterator: AsyncIterator<unknown>,
  state: BodyState,
  options: ResponseBodyOptions,
): AsyncIterator<Uint8Array> {
  const { reporter } = options;
  const checks = new ChunkChecks(options);
  let pending = false;
  const finishSource = async () => {
    if (state.finished) return;
    markFinished(state);
    try {
      await iterator.return?.();
    } catch {
      // The lint error about to be thrown is the news; a failing cleanup adds nothing.
    }
  };
  return {
    async next(): Promise<IteratorResult<Uint8Array>> {
      if (state.finished && !pending) {
        reporter.report(
          "GW_LINT_READ_AFTER_FINISH",
          "next() was called after the body ended, failed or was return()ed",
        );
        return iterator.next() as Promise<IteratorResult<Uint8Array>>;
      }
      if (pending) {
        reporter.report("GW_LINT_OVERLAPPING_PULL", "next() was called while another next() was pending");
        return iterator.next() as Promise<IteratorResult<Uint8Array>>;
      }
      pending = true;
      let result: IteratorResult<unknown>;
      try {
        result = await iterator.next();
      } catch (error) {
        // A source that threw has finished itself (rule 21).
        markFinished(state);
        throw error;
      } finally {
        pending = false;
      }
      if (result.done) {
        markFinished(state);
        checks.end();
        return result;
      }
      if (!checks.stoppedEarly) await checks.chunk(result.value, finishSource);
      return result as IteratorResult<Uint8Array>;
    },
    // Forwarded exactly once, also with a pull pending (rule 21): a generator finishes once it settles.
    async return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
      if (state.finished) return { done: true, value: undefined };
      checks.stoppedEarly = true;
      markFinished(state);
      return ((await iterator.return?.(value)) ?? { done: true, value: undefined }) as IteratorResult<Uint8Array>;
    },
  };
}

function wrapStream(
  body: ReadableStream<unknown>,
  state: BodyState,
  options: ResponseBodyOptions,
): ReadableStream<Uint8Array> {
  const checks = new ChunkChecks(options);
  let reader: ReadableStreamDefaultReader<unknown> | undefined;
  const finishSource = async () => {
    if (state.finished) return;
    markFinished(state);
    await (reader ?? body).cancel().catch(() => {});
  };
  // A stream locks itself to one reader, so "iterated twice" cannot happen to it; after the end a
  // read just reports done. What is left to check is chunks, length and finishing.
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= body.getReader();
        let result: ReadableStreamReadResult<unknown>;
        try {
          result = await reader.read();
        } catch (error) {
          markFinished(state);
          throw error;
        }
        if (result.done) {
          markFinished(state);
          checks.end();
          controller.close();
          return;
        }
        await checks.chunk(result.value, finishSource);
        controller.enqueue(result.value as Uint8Array);
      },
      async cancel(reason) {
        if (state.finished) return;
        checks.stoppedEarly = true;
        markFinished(state);
        await (reader ?? body).cancel(reason);
      },
    },
    // No read-ahead: the source is pulled only when the consumer pulls (rule 20).
    { highWaterMark: 0 },
  );
}
