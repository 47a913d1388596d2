import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { inject } from "../inject.js";
import { isBodyUsed, toRequestBody } from "../request-body.js";
import type { GatewayApp, GatewayRequest } from "../types.js";
import { type FetchHandler, fromFetch } from "./from-fetch.js";
import { toFetch } from "./to-fetch.js";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

/** A frozen gateway request, as a mount would hand it on. */
function requestFor(overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return Object.freeze({
    method: "GET",
    scheme: "https",
    authority: "example.test:8443",
    basePath: "/hono",
    path: "/a%20b/c%2Fd",
    query: "x=1&y=%20",
    headers: { host: "example.test:8443" },
    body: null,
    signal: new AbortController().signal,
    env: { "gangway.version": "1.0" },
    ...overrides,
  });
}

/** A promise and the function that settles it, to hold a producer at a known point. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

async function rejection(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("fromFetch: the Request it builds", () => {
  it("uses the full URL with the mount prefix, the method and the headers", async () => {
    let seen: Request | undefined;
    const app = fromFetch((request) => {
      seen = request;
      return new Response("ok");
    });
    await app(
      requestFor({
        headers: {
          host: "example.test:8443",
          "x-list": "a, b",
          cookie: "a=1; b=2",
          "set-cookie": ["odd=1", "but=2", "kept=3"],
          connection: "keep-alive, x-private",
          "keep-alive": "timeout=5",
          "transfer-encoding": "chunked",
        },
      }),
    );
    expect(seen).toBeInstanceOf(Request);
    expect(seen!.url).toBe("https://example.test:8443/hono/a%20b/c%2Fd?x=1&y=%20");
    expect(seen!.method).toBe("GET");
    expect(seen!.headers.get("x-list")).toBe("a, b");
    expect(seen!.headers.get("cookie")).toBe("a=1; b=2");
    expect(seen!.headers.getSetCookie()).toEqual(["odd=1", "but=2", "kept=3"]);
    // Framing belongs to the hop the gateway server already handled (rules 9, 16).
    expect(seen!.headers.has("connection")).toBe(false);
    expect(seen!.headers.has("keep-alive")).toBe(false);
    expect(seen!.headers.has("transfer-encoding")).toBe(false);
    expect(seen!.body).toBeNull();
  });

  it("leaves the prefix out with stripBasePath, and asks for / when the path is empty", async () => {
    const urls: string[] = [];
    const app = fromFetch(
      (request) => {
        urls.push(request.url);
        return new Response(null, { status: 204 });
      },
      { stripBasePath: true },
    );
    await app(requestFor({ path: "/x", query: "" }));
    await app(requestFor({ path: "", query: "q" }));
    expect(urls).toEqual(["https://example.test:8443/x", "https://example.test:8443/?q"]);
  });

  it("streams the request body one chunk per read, and leaves it unread when the handler does not read", async () => {
    let pulled = 0;
    let returned = 0;
    const body = toRequestBody({
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          pulled++;
          return pulled > 3 ? { done: true, value: undefined } : { done: false, value: encode(`part ${pulled};`) };
        },
        return: async () => {
          returned++;
          return { done: true, value: undefined };
        },
      }),
    });
    let pulledAfterFirstRead = -1;
    let text = "";
    const app = fromFetch(async (request) => {
      expect(pulled).toBe(0);
      const reader = request.body!.getReader();
      const first = await reader.read();
      pulledAfterFirstRead = pulled;
      text += decode(first.value);
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += decode(r.value);
      return new Response(text);
    });
    await app(requestFor({ method: "POST", body, headers: { "content-length": "21" } }));
    expect(pulledAfterFirstRead).toBe(1);
    expect(text).toBe("part 1;part 2;part 3;");
    expect(returned).toBe(0);

    const untouched = toRequestBody("never read");
    await fromFetch(() => new Response("ignored the body"))(requestFor({ method: "PUT", body: untouched }));
    expect(isBodyUsed(untouched)).toBe(false);
  });

  it("finishes the request body when the handler cancels its stream", async () => {
    let returned = 0;
    const body = toRequestBody(
      (async function* () {
        try {
          for (;;) yield encode("more ");
        } finally {
          returned++;
        }
      })(),
    );
    const app = fromFetch(async (request) => {
      const reader = request.body!.getReader();
      await reader.read();
      await reader.cancel();
      return new Response("enough");
    });
    await app(requestFor({ method: "POST", body }));
    expect(returned).toBe(1);
  });

  it("drops and finishes a body on GET, which a Fetch Request cannot carry", async () => {
    let returned = 0;
    const body = toRequestBody({
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: encode("x") }),
        return: async () => {
          returned++;
          return { done: true, value: undefined };
        },
      }),
    });
    let hadBody: boolean | undefined;
    await fromFetch((request) => {
      hadBody = request.body !== null;
      return new Response("ok");
    })(requestFor({ body }));
    expect(hadBody).toBe(false);
    expect(returned).toBe(1);
  });

  it("aborts the Request's signal when the gateway request aborts", async () => {
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const app = fromFetch((request) => {
      signal = request.signal;
      return new Response("ok");
    });
    await app(requestFor({ signal: controller.signal }));
    expect(signal!.aborted).toBe(false);
    controller.abort();
    expect(signal!.aborted).toBe(true);
  });
});

describe("fromFetch: the response it returns", () => {
  it("streams a slow ReadableStream body chunk by chunk", async () => {
    const later = gate();
    let producedLast = false;
    const app = fromFetch(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            async start(controller) {
              controller.enqueue(encode("first "));
              await later.wait;
              producedLast = true;
              controller.enqueue(encode("last"));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/plain" } },
        ),
    );
    const response = await inject(app, { url: "/slow" });
    expect(response.headers["content-type"]).toBe("text/plain");
    const iterator = response.body[Symbol.asyncIterator]();
    expect(decode((await iterator.next()).value)).toBe("first ");
    expect(producedLast).toBe(false);
    later.open();
    expect(decode((await iterator.next()).value)).toBe("last");
    expect((await iterator.next()).done).toBe(true);
  });

  it("keeps three set-cookies separate, and the status and statusText", async () => {
    const app = fromFetch(() => {
      const headers = new Headers({ "content-type": "text/plain", connection: "close" });
      for (const cookie of ["a=1; Path=/", "b=2; HttpOnly", "c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT"]) {
        headers.append("set-cookie", cookie);
      }
      return new Response("cookies", { status: 299, statusText: "Quite Alright", headers });
    });
    const response = await app(requestFor());
    expect(response.status).toBe(299);
    expect(response.statusText).toBe("Quite Alright");
    expect(response.headers).toEqual({
      "content-type": "text/plain",
      "set-cookie": ["a=1; Path=/", "b=2; HttpOnly", "c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT"],
    });
    const served = await inject(app);
    expect(served.statusText).toBe("Quite Alright");
    expect(served.headers["set-cookie"]).toHaveLength(3);
    expect(await served.text()).toBe("cookies");
  });

  it("leaves statusText out when the Response has none, so the server sends the standard phrase", async () => {
    const response = await fromFetch(() => new Response("made", { status: 201 }))(requestFor());
    expect(response.statusText).toBeUndefined();
    expect((await inject(fromFetch(() => new Response("made", { status: 201 })))).statusText).toBe("Created");
  });

  it("answers 204 and 304 with no body", async () => {
    for (const status of [204, 304]) {
      const app = fromFetch(() => new Response(null, { status, headers: { etag: '"v1"' } }));
      const response = await app(requestFor());
      expect(response.status).toBe(status);
      expect(response.body).toBeNull();
      const served = await inject(app);
      expect(served.headers.etag).toBe('"v1"');
      expect((await served.bytes()).byteLength).toBe(0);
    }
  });

  it("answers 501 for a method Fetch cannot carry, without calling the handler", async () => {
    let called = false;
    const app = fromFetch(() => {
      called = true;
      return new Response("no");
    });
    const response = await app(requestFor({ method: "TRACE" }));
    expect(response.status).toBe(501);
    expect(called).toBe(false);
  });
});

describe("fromFetch: handlers and errors", () => {
  it("accepts an object with a fetch method, called as a method", async () => {
    class Site {
      greeting = "hello";
      fetch(request: Request): Response {
        return new Response(`${this.greeting} ${new URL(request.url).pathname}`);
      }
    }
    const response = await inject(fromFetch(new Site()), { url: "/there" });
    expect(await response.text()).toBe("hello /there");
  });

  it("rejects when the handler throws or rejects", async () => {
    const sync = fromFetch(() => {
      throw new Error("sync failure");
    });
    const async = fromFetch(async () => {
      throw new Error("async failure");
    });
    expect(((await rejection(() => sync(requestFor()))) as Error).message).toBe("sync failure");
    expect(((await rejection(() => async(requestFor()))) as Error).message).toBe("async failure");
  });

  it("rejects with GW_ERR_INVALID_RESPONSE when the handler returns something that is not a Response", async () => {
    const app = fromFetch((() => "just a string") as unknown as FetchHandler);
    expect(GatewayError.is(await rejection(() => app(requestFor())), "GW_ERR_INVALID_RESPONSE")).toBe(true);
  });

  it("rejects the target * and an authority that makes no URL with GW_ERR_INVALID_URL", async () => {
    const app = fromFetch(() => new Response("unreachable"));
    const star = await rejection(() => app(requestFor({ method: "OPTIONS", basePath: "", path: "*", query: "" })));
    const host = await rejection(() => app(requestFor({ authority: "bad host" })));
    expect(GatewayError.is(star, "GW_ERR_INVALID_URL")).toBe(true);
    expect(GatewayError.is(host, "GW_ERR_INVALID_URL")).toBe(true);
  });

  it("refuses a handler that is not a function or an object with fetch", () => {
    expect(() => fromFetch({} as unknown as FetchHandler)).toThrow(TypeError);
  });
});

describe("fromFetch: fusion (rule 35)", () => {
  it("hands back the app inside a toFetch handler, unless fuse is false", async () => {
    const app: GatewayApp = (request) => ({ status: 200, body: `${request.basePath}|${request.path}` });
    const handler = toFetch(app);
    expect(fromFetch(handler)).toBe(app);
    const unfused = fromFetch(handler, { fuse: false });
    expect(unfused).not.toBe(app);
    // Unfused, the app behind Fetch sees the whole path: Fetch has no mount prefix.
    const response = await inject(unfused, { url: "/p?q" });
    expect(await response.text()).toBe("|/p");
  });
});

/**
 * A full collection in a later turn: V8 keeps every WeakRef target read in the current turn alive
 * until the turn ends, so a collection in the same turn would prove nothing.
 */
async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("these tests need node --expose-gc (vitest.config.ts passes it)");
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
}

/** Settles with `"aborted"` once `signal` aborts, or `"missed"` after a second. */
function outcome(signal: AbortSignal): Promise<"aborted" | "missed"> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("missed"), 1000);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve("aborted");
    });
  });
}

// undici's Request follows the signal it was given through a WeakRef to its own AbortController:
// a handler that keeps only `request.signal` (as most do) keeps neither alive. These handlers take
// the signal in a plain function, so nothing of theirs holds the Request itself.
describe("fromFetch: the Request's signal survives a garbage collection", () => {
  it("aborts while the handler is still running", async () => {
    const controller = new AbortController();
    const started = gate();
    let seen: Promise<"aborted" | "missed"> | undefined;
    const app = fromFetch((request) => {
      const signal = request.signal;
      seen = outcome(signal);
      started.open();
      return seen.then(() => new Response("late"));
    });
    const pending = app(requestFor({ signal: controller.signal }));
    await started.wait;
    await collectGarbage();
    controller.abort();
    await expect(seen).resolves.toBe("aborted");
    await pending;
  });

  it("aborts while the response body is still streaming", async () => {
    const controller = new AbortController();
    let seen: Promise<"aborted" | "missed"> | undefined;
    const app = fromFetch((request) => {
      const signal = request.signal;
      seen = outcome(signal);
      const body = new ReadableStream<Uint8Array>({
        start(stream) {
          stream.enqueue(encode("first"));
          signal.addEventListener("abort", () => stream.error(signal.reason));
        },
      });
      return new Response(body);
    });
    const response = await app(requestFor({ signal: controller.signal }));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(decode((await reader.read()).value)).toBe("first");
    await collectGarbage();
    controller.abort();
    await expect(seen).resolves.toBe("aborted");
    await expect(reader.read()).rejects.toMatchObject({ name: "AbortError" });
  });
});
