import type { ServerResponse } from "node:http";
import type { SignalSource } from "../request-signal.js";

/**
 * Whether the client of one response went away before it completed (rule 11), and the
 * `request.signal` that says so. The signal is made only when first asked for — most apps never
 * read it, and an AbortController costs more than the rest of a small request — already aborted
 * if the client left first; every later call returns the same signal, so a request derived by
 * prototype that reads it first still gets the one that aborts. `serve()` and every `to*` adapter
 * watch their responses with it.
 *
 * @example
 * ```ts
 * const client = watchClient(res);
 * const request = toGatewayRequest(req, client, env);
 * try {
 *   await sendResponse(res, req.method ?? "GET", await app(request));
 * } finally {
 *   client.stop();
 * }
 * if (client.gone) return; // a disconnect is not the app's fault (rule 26)
 * ```
 */
export function watchClient(res: ServerResponse): ClientWatch {
  return new ClientWatch(res);
}

/**
 * Whether `res` closed before it finished: the client went away. Node marks a response destroyed
 * before its `close`, so this needs no listener.
 *
 * @example
 * ```ts
 * stream.on("error", (error) => {
 *   if (!hasClientLeft(res)) report(error); // a disconnect is not the app's fault (rule 26)
 * });
 * ```
 */
export function hasClientLeft(res: ServerResponse): boolean {
  return res.destroyed && !res.writableFinished;
}

/** What {@link watchClient} returns: a {@link SignalSource} for `defineLazySignal`. */
export class ClientWatch implements SignalSource {
  #controller: AbortController | undefined;
  readonly #res: ServerResponse;
  // What `gone` was when the watch stopped: a client that leaves later is no longer this watch's.
  #final: boolean | undefined;
  #onClose: (() => void) | undefined;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  /**
   * Whether the response closed before it finished: the client went away. Read off the response
   * (Node marks it destroyed before its `close`), so nothing listens until someone watches: a
   * listener per response costs more than the rest of a small request's bookkeeping.
   */
  get gone(): boolean {
    if (this.#final !== undefined) return this.#final;
    return hasClientLeft(this.#res);
  }

  /** Whether the request's signal aborted, or would have: {@link ClientWatch.gone}. */
  get aborted(): boolean {
    return this.gone;
  }

  /**
   * The request's signal, made on the first call. A method, not a bound function: one closure per
   * response costs every request, and `defineLazySignal` calls it on the watch itself.
   */
  signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.gone) this.#controller.abort();
      else this.#listen();
    }
    return this.#controller.signal;
  }

  /**
   * Calls `listener` once if the client goes away (at once if it has) while watched, without making
   * the signal. Each call listens on the response with a closure of its own, removed when the
   * returned function is called: shared state on the watch (a list of listeners, a listener kept
   * after its last user left) made a streamed response's objects survive V8's young-generation
   * collections, ~7 KiB per echo under Koa (docs/performance.md, ninth round).
   */
  onAbort(listener: () => void): () => void {
    if (this.gone) {
      listener();
      return noop;
    }
    if (this.#final !== undefined) return noop;
    const res = this.#res;
    const onClose = () => {
      // A response that finished closes too; and a watch that stopped no longer reports.
      if (!res.writableFinished && this.#final === undefined) listener();
    };
    res.on("close", onClose);
    return () => {
      res.off("close", onClose);
    };
  }

  /** Stops watching: the response is out, or handed on. */
  stop(): void {
    if (this.#final !== undefined) return;
    this.#final = this.gone;
    if (this.#onClose !== undefined) this.#res.off("close", this.#onClose);
  }

  #listen(): void {
    if (this.#onClose !== undefined || this.#final !== undefined) return;
    const res = this.#res;
    this.#onClose = () => {
      if (res.writableFinished) return;
      this.#controller?.abort();
    };
    // `on`, not `once`: `close` comes at most once, and `once` allocates a wrapper.
    res.on("close", this.#onClose);
  }
}

function noop(): void {}
