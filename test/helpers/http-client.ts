import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** A request as the conformance suite sends it, on any path. */
export interface ClientRequest {
  method?: string;
  /** Path and query, sent as the raw request target. */
  url: string;
  /** Pairs keep repeats and names such as `__proto__`. */
  headers?: Record<string, string | string[]> | ReadonlyArray<readonly [string, string]>;
  body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** Aborting it is the client going away, at any phase: before the response, mid-upload, mid-download. */
  signal?: AbortSignal;
}

/** A response as the client saw it. */
export interface ClientResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body chunks as they arrive; rejects if the connection broke mid-body. */
  body: AsyncIterable<Uint8Array>;
  bytes(): Promise<Buffer>;
  text(): Promise<string>;
  /** The client goes away now. */
  abort(): void;
  /** The local port of the connection it came on (real HTTP only): equal ports, one connection. */
  connection?: number;
}

/** A real HTTP/1.1 client on node:http, talking to a server on this machine. */
export class HttpClient {
  readonly #origin: URL;
  readonly #agent = new Agent({ keepAlive: true });

  constructor(origin: string) {
    this.#origin = new URL(origin);
  }

  send(options: ClientRequest): Promise<ClientResponse> {
    const headers: Record<string, string | string[]> = {};
    const pairs = Array.isArray(options.headers)
      ? (options.headers as ReadonlyArray<readonly [string, string]>)
      : Object.entries(options.headers ?? {});
    for (const [name, value] of pairs) {
      const previous = Object.hasOwn(headers, name) ? headers[name] : undefined;
      const next = previous === undefined ? value : [previous, value].flat();
      // defineProperty: a header named __proto__ must be sent as a header, not set a prototype.
      Object.defineProperty(headers, name, { value: next, enumerable: true, writable: true, configurable: true });
    }
    const { body } = options;
    if (typeof body === "string" || body instanceof Uint8Array) {
      if (!Object.keys(headers).some((n) => n.toLowerCase() === "content-length")) {
        headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
      }
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: this.#origin.hostname,
        port: this.#origin.port,
        method: options.method ?? "GET",
        path: options.url,
        headers,
        agent: this.#agent,
        signal: options.signal,
      });
      req.once("error", reject);
      req.once("response", (res: IncomingMessage) => resolve(toClientResponse(req, res)));
      if (body === undefined) req.end();
      else if (typeof body === "string" || body instanceof Uint8Array) req.end(body);
      else pipeline(Readable.from(body, { objectMode: false }), req).catch(reject);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function toClientResponse(req: ReturnType<typeof httpRequest>, res: IncomingMessage): ClientResponse {
  let read: Promise<Buffer> | undefined;
  const body = (async function* () {
    // A connection that closes before the message is complete is a truncated response: Node's
    // iterator may end quietly then, so check `complete` ourselves.
    for await (const chunk of res) yield chunk as Buffer;
    if (!res.complete) throw Object.assign(new Error("response truncated"), { code: "ECONNRESET" });
  })();
  const bytes = () =>
    (read ??= (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks);
    })());
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? "",
    headers: res.headers,
    body,
    bytes,
    text: async () => (await bytes()).toString("utf8"),
    abort: () => {
      req.destroy();
      res.destroy();
    },
    connection: req.socket?.localPort,
  };
}
