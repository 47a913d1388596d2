import type { ServerResponse } from "node:http";

/** A stream piped into a response: what Node's `pipe` event hands the destination. */
export type PipedSource = NodeJS.EventEmitter;

/**
 * The watchers of a source, on the source itself: one `error` listener shared by every source and
 * response finds them there. A listener made per response (a closure over its watcher) cost the
 * fused Fastify echo ~15 µs of collector time per request (docs/performance.md).
 */
const kWatchers = Symbol("gangway.pipedErrors");
type Watched = PipedSource & { [kWatchers]?: PipedErrors | PipedErrors[] };

/**
 * The streams piped into one response (`source.pipe(res)`, `pipeline(source, res)`: Node emits
 * `pipe` on the destination), watched for an error after the head went out. That is how a
 * framework streaming a body learns that it broke, and some tell nobody else: Fastify destroys the
 * response without the error (and logs it, when a logger is set), Koa hands it to
 * `res.destroy(error)`. The fused listener and the socketless pair both watch, so that such a
 * failure is reported with the error as its cause (rules 24, 27), the same on both paths (rule 35).
 *
 * The watch runs first among a source's `error` listeners, so it sees the response as it was when
 * the stream failed: a failure before the head is the framework's to answer (Fastify's error
 * handler, a 500) and is left alone, whatever the framework writes next. A source nobody else
 * listens to fails as it would unwatched: its error is thrown from `emit`.
 *
 * @example
 * ```ts
 * const piped = new PipedErrors(res, (error) => report(error));
 * res.on("pipe", (source) => piped.add(source));
 * res.once("close", () => piped.stop());
 * ```
 */
export class PipedErrors {
  /** The one `error` listener of every watched source: it finds the source's watchers on the source. */
  static readonly #listener = function onPipedError(this: Watched, error: unknown): void {
    // Ours alone: unwatched, emit would have thrown — and must still.
    if (this.listenerCount("error") === 1) throw error;
    const watchers = this[kWatchers];
    if (watchers === undefined) return;
    for (const piped of Array.isArray(watchers) ? [...watchers] : [watchers]) {
      if (piped.#res.headersSent) piped.#onError(error);
    }
  };

  readonly #res: ServerResponse;
  readonly #onError: (error: unknown) => void;
  #sources: Watched[] = [];

  constructor(res: ServerResponse, onError: (error: unknown) => void) {
    this.#res = res;
    this.#onError = onError;
  }

  /** Watches one more source; a source piped twice is watched once. */
  add(source: PipedSource): void {
    const watched = source as Watched;
    if (this.#sources.includes(watched)) return;
    this.#sources.push(watched);
    const current = watched[kWatchers];
    if (current === undefined) {
      watched[kWatchers] = this;
      source.prependListener("error", PipedErrors.#listener);
    } else if (Array.isArray(current)) current.push(this);
    else watched[kWatchers] = [current, this];
  }

  /** Stops watching: the response is over, and a source that outlives it must not keep it. */
  stop(): void {
    for (const source of this.#sources) {
      const current = source[kWatchers];
      const rest = Array.isArray(current) ? current.filter((piped) => piped !== this) : [];
      if (rest.length > 0) source[kWatchers] = rest.length === 1 ? rest[0] : rest;
      else {
        // Cleared, not deleted: a delete would turn the stream into a slow dictionary object.
        source[kWatchers] = undefined;
        source.off("error", PipedErrors.#listener);
      }
    }
    this.#sources = [];
  }
}

/**
 * Watches the streams piped into `res` from now on until it closes (see {@link PipedErrors}). Nothing
 * but a `pipe` listener is spent until something is piped: most responses are written, not piped.
 *
 * @example
 * ```ts
 * watchPipedErrors(res, (error) => next(error));
 * ```
 */
export function watchPipedErrors(res: ServerResponse, onError: (error: unknown) => void): void {
  let piped: PipedErrors | undefined;
  const onPipe = (source: PipedSource) => {
    if (piped === undefined) {
      const watching = new PipedErrors(res, onError);
      piped = watching;
      // The response is over: a source that outlives it must not keep it.
      res.once("close", () => {
        res.off("pipe", onPipe);
        watching.stop();
      });
    }
    piped.add(source);
  };
  res.on("pipe", onPipe);
}
