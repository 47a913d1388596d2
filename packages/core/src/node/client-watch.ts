import type { ServerResponse } from "node:http";

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
 * const request = toGatewayRequest(req, client.signal, env);
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

/** What {@link watchClient} returns. */
export class ClientWatch {
  /** Whether the response closed before it finished: the client went away. */
  gone = false;
  #controller: AbortController | undefined;
  readonly #res: ServerResponse;
  // `on`, not `once`: `close` comes at most once, and `once` allocates a wrapper per response.
  readonly #onClose = () => {
    if (this.#res.writableFinished) return;
    this.gone = true;
    this.#controller?.abort();
  };

  constructor(res: ServerResponse) {
    this.#res = res;
    res.on("close", this.#onClose);
    if (res.destroyed) this.#onClose();
  }

  /** The request's signal, made on the first call (a function, to hand to `defineLazySignal`). */
  readonly signal = (): AbortSignal => {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.gone) this.#controller.abort();
    }
    return this.#controller.signal;
  };

  /** Stops watching: the response is out, or handed on. */
  stop(): void {
    this.#res.off("close", this.#onClose);
  }
}
