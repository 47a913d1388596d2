/**
 * Watches the process for the faults a server must never cause: an unhandled rejection, an
 * uncaught exception, or a MaxListenersExceededWarning (listeners piling up on a long-lived
 * emitter or signal — a leak that grows with every request).
 */
export interface ProcessWatch {
  /** What fired since the last `take()`, as "event: detail" lines. */
  take(): string[];
  stop(): void;
}

/**
 * Starts watching. Listening to `uncaughtException` keeps the process alive, so a fault that
 * would have killed a production server is reported by the test instead of ending the run.
 *
 * @example
 * ```ts
 * const watch = watchProcess();
 * // ... run a fault ...
 * expect(watch.take()).toEqual([]);
 * watch.stop();
 * ```
 */
export function watchProcess(): ProcessWatch {
  let seen: string[] = [];
  const describe = (value: unknown) =>
    value instanceof Error
      ? `${value.name} ${(value as { code?: string }).code ?? ""} ${value.message}`
      : String(value);
  const onRejection = (reason: unknown) => seen.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (error: unknown) => seen.push(`uncaughtException: ${describe(error)}`);
  const onWarning = (warning: Error) => {
    if (warning.name === "MaxListenersExceededWarning") seen.push(`warning: ${warning.message}`);
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  process.on("warning", onWarning);
  return {
    take() {
      const taken = seen;
      seen = [];
      return taken;
    },
    stop() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
      process.off("warning", onWarning);
    },
  };
}
