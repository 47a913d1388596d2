import { GatewayError } from "./errors.js";
import type { GatewayRequest } from "./types.js";

/** Options for the body readers. */
export interface ReadOptions {
  /** The most bytes to accept; more is `GW_ERR_BODY_TOO_LARGE` (413). Default 1 MiB. */
  limit?: number;
}

/** The default body limit of the readers: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

// Node reports a client that went away mid-upload with these codes; they are the client's
// doing, not a malformed body, so they become GW_ERR_BODY_ABORTED.
const ABORT_CODES = new Set(["ECONNRESET", "ERR_STREAM_PREMATURE_CLOSE", "ABORT_ERR"]);

/**
 * Reads the whole request body into one `Uint8Array`, refusing more than `limit` bytes.
 *
 * @example
 * ```ts
 * const app: GatewayApp = async (request) => {
 *   const bytes = await readBytes(request, { limit: 64 * 1024 });
 *   return text(`${bytes.byteLength} bytes`);
 * };
 * ```
 */
export async function readBytes(
  request: Pick<GatewayRequest, "body" | "headers">,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  const limit = options.limit ?? DEFAULT_BODY_LIMIT;
  const declared = Number(request.headers["content-length"]);
  if (declared > limit) throw new GatewayError("GW_ERR_BODY_TOO_LARGE", `content-length ${declared} exceeds ${limit}`);
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of request.body) {
      size += chunk.byteLength;
      if (size > limit) throw new GatewayError("GW_ERR_BODY_TOO_LARGE", `more than ${limit} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (GatewayError.is(error)) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && ABORT_CODES.has(code))
      throw new GatewayError("GW_ERR_BODY_ABORTED", undefined, { cause: error });
    throw error;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * Reads the whole request body as UTF-8 text.
 *
 * @example
 * ```ts
 * const body = await readText(request);
 * ```
 */
export async function readText(
  request: Pick<GatewayRequest, "body" | "headers">,
  options?: ReadOptions,
): Promise<string> {
  const bytes = await readBytes(request, options);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/**
 * Reads and parses a JSON request body; malformed JSON is `GW_ERR_BODY_INVALID` (400).
 *
 * @example
 * ```ts
 * const { name } = await readJson<{ name: string }>(request);
 * ```
 */
export async function readJson<T = unknown>(
  request: Pick<GatewayRequest, "body" | "headers">,
  options?: ReadOptions,
): Promise<T> {
  const source = await readText(request, options);
  try {
    return JSON.parse(source) as T;
  } catch (error) {
    throw new GatewayError("GW_ERR_BODY_INVALID", "malformed JSON", { cause: error });
  }
}

/**
 * Reads an `application/x-www-form-urlencoded` body. Another declared content type is
 * `GW_ERR_BODY_INVALID` with status 415.
 *
 * @example
 * ```ts
 * const form = await readForm(request);
 * const user = form.get("user");
 * ```
 */
export async function readForm(
  request: Pick<GatewayRequest, "body" | "headers">,
  options?: ReadOptions,
): Promise<URLSearchParams> {
  const type = request.headers["content-type"];
  if (typeof type === "string" && !type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    throw new GatewayError("GW_ERR_BODY_INVALID", `expected a urlencoded form, got ${type}`, { status: 415 });
  }
  return new URLSearchParams(await readText(request, options));
}
