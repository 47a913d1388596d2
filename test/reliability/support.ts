import { waitFor } from "../helpers/wait.js";
import { openHandles } from "./handles.js";
import type { FaultContext } from "./suite.js";

/**
 * Waits until every socket opened since the test began is closed again, both ends: the server
 * released the connection the client left.
 *
 * @example
 * ```ts
 * controller.abort();
 * await socketsReleased(context);
 * ```
 */
export function socketsReleased(context: FaultContext, timeoutMs = 3000): Promise<void> {
  const { sockets } = context.baseline();
  return waitFor(() => openHandles().sockets <= sockets, `sockets back to ${sockets}`, timeoutMs);
}

/**
 * Resolves when `signal` aborts; rejects after `timeoutMs`, so an app waiting for a client that
 * never leaves fails the test instead of hanging it.
 *
 * @example
 * ```ts
 * const app: GatewayApp = async (request) => { await aborted(request.signal); return text("late"); };
 * ```
 */
export function aborted(signal: AbortSignal, timeoutMs = 5000): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("request.signal never aborted")), timeoutMs);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Reads a body to its end or its failure: the bytes that arrived and whether the end was clean.
 *
 * @example
 * ```ts
 * const { bytes, failed } = await settle(response.body);
 * ```
 */
export async function settle(body: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; failed: boolean }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    return { bytes: Buffer.concat(chunks), failed: false };
  } catch {
    return { bytes: Buffer.concat(chunks), failed: true };
  }
}

/**
 * The `code` of an error-like value, or its name when it has none.
 *
 * @example
 * ```ts
 * codeOf(new GatewayError("GW_ERR_BODY_USED")); // "GW_ERR_BODY_USED"
 * ```
 */
export function codeOf(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return typeof code === "string" ? code : String(name);
}

/**
 * A promise with its resolver outside, for "the app got this far" signals between the client
 * and the app.
 *
 * @example
 * ```ts
 * const started = latch();
 * const app = () => { started.resolve(); ... };
 * await started.promise;
 * ```
 */
export function latch(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
