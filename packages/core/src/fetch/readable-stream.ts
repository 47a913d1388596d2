/** A source for {@link toReadableStream}: `read()` yields the next chunk or `null` at the end. */
export interface PullSource {
  read(): Promise<Uint8Array | null>;
  /** Stops the source early and runs its cleanup; called at most once, never after the end. */
  finish(): Promise<void>;
}

/**
 * A `ReadableStream` that pulls one chunk from `source` per read (rule 20): the high-water mark is
 * 0, so nothing is read ahead of the consumer. Cancelling the stream finishes the source (rule 21);
 * so does `signal` aborting, which also errors the stream with the abort reason. Zero-length
 * chunks are skipped rather than handed on as reads that carry nothing.
 */
export function toReadableStream(source: PullSource, signal?: AbortSignal): ReadableStream<Uint8Array> {
  let over = false;
  let onAbort: (() => void) | undefined;
  const end = () => {
    over = true;
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (signal === undefined) return;
        onAbort = () => {
          if (over) return;
          end();
          controller.error(signal.reason);
          void source.finish();
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      },
      async pull(controller) {
        let chunk: Uint8Array | null;
        try {
          do chunk = await source.read();
          while (chunk !== null && chunk.byteLength === 0);
        } catch (error) {
          // A source that threw has ended itself; the stream errors with its error.
          end();
          throw error;
        }
        // Aborted or cancelled while the read was pending: the stream is already over.
        if (over) return;
        if (chunk === null) {
          end();
          controller.close();
        } else controller.enqueue(chunk);
      },
      async cancel() {
        if (over) return;
        end();
        await source.finish();
      },
    },
    { highWaterMark: 0 },
  );
}
