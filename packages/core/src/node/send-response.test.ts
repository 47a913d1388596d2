import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { text } from "../response.js";
import { toNodeListener } from "./to-node-listener.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** Sends `head` as it is over a raw socket and returns the status line, the headers and the body bytes. */
async function rawExchange(port: number, head: string) {
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
    socket.end(head);
  });
  const split = bytes.indexOf("\r\n\r\n");
  const [status, ...lines] = bytes.subarray(0, split).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: bytes.subarray(split + 4).toString("utf8") };
}

const app = () => text("héllo wörld");
const length = String(Buffer.byteLength("héllo wörld"));

describe("sendWhole's content-length", () => {
  it("is written by Node for a server's own HTTP/1.1 response, without chunking", async () => {
    const port = await listen(toNodeListener(app));
    const { status, headers, body } = await rawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(status).toBe("HTTP/1.1 200 OK");
    expect(headers["content-length"]).toBe(length);
    expect(headers["transfer-encoding"]).toBeUndefined();
    expect(headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(body).toBe("héllo wörld");
  });

  it("is sent to an HTTP/1.0 client too, which Node would otherwise answer by closing the connection", async () => {
    const port = await listen(toNodeListener(app));
    const { headers, body } = await rawExchange(port, "GET / HTTP/1.0\r\n\r\n");
    expect(headers["content-length"]).toBe(length);
    expect(body).toBe("héllo wörld");
  });

  it("is among the headers a writeHead wrapped by middleware (on-headers) receives", async () => {
    const seen: OutgoingHttpHeaders[] = [];
    const listener = toNodeListener(app);
    const port = await listen((req, res) => {
      const original = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
        seen.push(args.find((arg) => typeof arg === "object" && arg !== null) as OutgoingHttpHeaders);
        return (original as (...args: unknown[]) => ServerResponse).apply(this, args);
      } as ServerResponse["writeHead"];
      listener(req, res);
    });
    const { headers } = await rawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.["content-length"]).toBe(Buffer.byteLength("héllo wörld"));
    expect(headers["content-length"]).toBe(length);
  });

  it("is GET's for a HEAD, over no body, and the app's own when it declares one", async () => {
    const port = await listen(
      toNodeListener((request) =>
        request.path === "/declared" ? { status: 200, headers: { "Content-Length": "2" }, body: "ok" } : app(),
      ),
    );
    const head = await rawExchange(port, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(head.headers["content-length"]).toBe(length);
    expect(head.body).toBe("");
    const declared = await rawExchange(port, "GET /declared HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(declared.headers["content-length"]).toBe("2");
    expect(declared.body).toBe("ok");
  });
});
