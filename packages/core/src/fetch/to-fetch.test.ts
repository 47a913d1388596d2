import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.js";
import { readText } from "../read-body.js";
import { pass, text } from "../response.js";
import type { GatewayApp, GatewayRequest, GatewayResponse } from "../types.js";
import { type FetchHandler, fromFetch } from "./from-fetch.js";
import { toFetch } from "./to-fetch.js";

const encode = (value: string) => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

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

/** A hand-written body that counts pulls and return() calls; a generator never started skips its finally. */
function countingBody(chunks = Number.POSITIVE_INFINITY) {
  const counts = { pulled: 0, returned: 0 };
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        counts.pulled++;
        if (counts.pulled > chunks) return { done: true, value: undefined };
        return { done: false, value: encode(`chunk ${counts.pulled};`) };
      },
      return: async () => {
        counts.returned++;
        return { done: true, value: undefined };
      },
    }),
  };
  return { body, counts };
}

describe("toFetch: the gateway request it builds", () => {
  it("shows the app method, scheme, authority, raw path, query and Node-shaped headers", async () => {
    let seen: GatewayRequest | undefined;
    const handler = toFetch((request) => {
      seen = request;
      return text("ok");
    });
    const headers = new Headers([
      ["x-repeat", "a"],
      ["x-repeat", "b"],
      ["cookie", "a=1"],
      ["cookie", "b=2"],
      ["set-cookie", "odd=1"],
      ["set-cookie", "but=2"],
      ["__proto__", "plain data"],
    ]);
    const request = new Request("https://example.test:8443/a%20b/c%2Fd/../e?x=1&y=%20", { method: "DELETE", headers });
    await handler(request);
    expect(seen).toMatchObject({
      method: "DELETE",
      scheme: "https",
      authority: "example.test:8443",
      basePath: "",
      // Percent-escapes stay raw; the URL parser has already resolved the dot segment.
      path: "/a%20b/e",
      query: "x=1&y=%20",
      body: null,
    });
    expect(seen!.headers["x-repeat"]).toBe("a, b");
    expect(seen!.headers.cookie).toBe("a=1; b=2");
    expect(seen!.headers["set-cookie"]).toEqual(["odd=1", "but=2"]);
    expect(seen!.headers.host).toBe("example.test:8443");
    expect(Object.getOwnPropertyDescriptor(seen!.headers, "__proto__")?.value).toBe("plain data");
    expect(Object.getPrototypeOf(seen!.headers)).toBe(Object.prototype);
    expect(seen!.env["gangway.version"]).toBe("1.0");
    expect(seen!.env["fetch.request"]).toBe(request);
  });

  it("gives the app the request's stream as a read-once body", async () => {
    let second: unknown;
    const handler = toFetch(async (request) => {
      const body = await readText(request);
      second = await rejection(() => readText(request));
      return text(body);
    });
    const response = await handler(
      new Request("http://x/echo", { method: "POST", body: "héllo", headers: { "content-type": "text/plain" } }),
    );
    expect(await response.text()).toBe("héllo");
    expect(GatewayError.is(second, "GW_ERR_BODY_USED")).toBe(true);
  });

  it("aborts request.signal when the Fetch request's signal aborts", async () => {
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    await toFetch((request) => {
      signal = request.signal;
      return text("ok");
    })(new Request("http://x/", { signal: controller.signal }));
    expect(signal!.aborted).toBe(false);
    controller.abort();
    expect(signal!.aborted).toBe(true);
  });

  it("refuses a URL that is not http or https with GW_ERR_INVALID_URL", async () => {
    const error = await rejection(() => toFetch(() => text("no"))(new Request("file:///etc/passwd")));
    expect(GatewayError.is(error, "GW_ERR_INVALID_URL")).toBe(true);
  });
});

describe("toFetch: the Response it returns", () => {
  it("streams an async-iterable body chunk by chunk, resolving at the first chunk", async () => {
    const later = gate();
    let producedLast = false;
    const handler = toFetch(() => ({
      status: 200,
      headers: { "content-type": "text/event-stream" },
      body: (async function* () {
        yield new Uint8Array(0);
        yield encode("data: first\n\n");
        await later.wait;
        producedLast = true;
        yield encode("data: last\n\n");
      })(),
    }));
    const response = await handler(new Request("http://x/events"));
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.has("content-length")).toBe(false);
    const reader = response.body!.getReader();
    expect(decode((await reader.read()).value)).toBe("data: first\n\n");
    expect(producedLast).toBe(false);
    later.open();
    expect(decode((await reader.read()).value)).toBe("data: last\n\n");
    expect((await reader.read()).done).toBe(true);
  });

  it("pulls one chunk per read, and finishes the body once when the stream is cancelled", async () => {
    const { body, counts } = countingBody();
    const response = await toFetch(() => ({ status: 200, body }))(new Request("http://x/"));
    // The first chunk was pulled to reach the commit point (rule 19); nothing more.
    expect(counts.pulled).toBe(1);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    expect(counts.pulled).toBe(2);
    await reader.cancel();
    await reader.cancel();
    expect(counts.returned).toBe(1);
  });

  it("errors the body and finishes it when the Fetch request's signal aborts mid-response", async () => {
    const controller = new AbortController();
    const { body, counts } = countingBody();
    const response = await toFetch(() => ({ status: 200, body }))(
      new Request("http://x/", { signal: controller.signal }),
    );
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    expect(counts.returned).toBe(1);
  });

  it("keeps three set-cookies, statusText and a custom status", async () => {
    const cookies = ["a=1; Path=/", "b=2; HttpOnly", "c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT"];
    const response = await toFetch(() => ({
      status: 299,
      statusText: "Quite Alright",
      headers: { "set-cookie": cookies, "x-number": 42, "x-list": ["one", "two"], connection: "close" },
      body: "odd",
    }))(new Request("http://x/"));
    expect(response.status).toBe(299);
    expect(response.statusText).toBe("Quite Alright");
    expect(response.headers.getSetCookie()).toEqual(cookies);
    expect(response.headers.get("x-number")).toBe("42");
    expect(response.headers.get("x-list")).toBe("one, two");
    expect(response.headers.has("connection")).toBe(false);
    expect(response.headers.get("content-length")).toBe("3");
    // A string body goes in as bytes: no content-type the app did not set.
    expect(response.headers.has("content-type")).toBe(false);
    expect(await response.text()).toBe("odd");
  });

  it("gives 204, 205 and 304 a null body and finishes the app's body unread", async () => {
    for (const status of [204, 205, 304]) {
      const { body, counts } = countingBody();
      const response = await toFetch(() => ({ status, headers: { etag: '"v1"' }, body }))(new Request("http://x/"));
      expect(response.status).toBe(status);
      expect(response.body).toBeNull();
      expect(response.headers.get("etag")).toBe('"v1"');
      expect(response.headers.get("content-length")).toBe(status === 205 ? "0" : null);
      expect(counts).toEqual({ pulled: 0, returned: 1 });
    }
  });

  it("answers HEAD with GET's content-length and a null body, finishing a stream unread", async () => {
    const bytes = await toFetch(() => text("twelve bytes"))(new Request("http://x/", { method: "HEAD" }));
    expect(bytes.body).toBeNull();
    expect(bytes.headers.get("content-length")).toBe("12");
    const { body, counts } = countingBody();
    const streamed = await toFetch(() => ({ status: 200, body }))(new Request("http://x/", { method: "HEAD" }));
    expect(streamed.body).toBeNull();
    expect(streamed.headers.has("content-length")).toBe(false);
    expect(counts).toEqual({ pulled: 0, returned: 1 });
  });

  it("turns pass() into a plain 404 that carries no marker", async () => {
    const response = await toFetch(() => pass())(new Request("http://x/"));
    expect(response.status).toBe(404);
    expect([...response.headers.keys()].sort()).toEqual(["content-length", "content-type"]);
    expect(await response.text()).toBe("Not Found");
  });
});

describe("toFetch: errors", () => {
  it("rejects when the app throws, rejects, or its body fails before the first chunk", async () => {
    const apps: Record<string, GatewayApp> = {
      throw: () => {
        throw new Error("thrown");
      },
      reject: async () => {
        throw new Error("rejected");
      },
      body: () => ({
        status: 200,
        body: (async function* () {
          yield new Uint8Array(0);
          throw new Error("body failed");
        })(),
      }),
    };
    const messages: string[] = [];
    for (const app of Object.values(apps)) {
      messages.push(((await rejection(() => toFetch(app)(new Request("http://x/")))) as Error).message);
    }
    expect(messages).toEqual(["thrown", "rejected", "body failed"]);
  });

  it("errors the Response body when the app's body fails after the first chunk", async () => {
    const response = await toFetch(() => ({
      status: 200,
      body: (async function* () {
        yield encode("partial ");
        throw new Error("late failure");
      })(),
    }))(new Request("http://x/"));
    const reader = response.body!.getReader();
    expect(decode((await reader.read()).value)).toBe("partial ");
    await expect(reader.read()).rejects.toThrow("late failure");
  });

  it("refuses what a Response cannot carry, with the code of the broken rule, finishing the body", async () => {
    const cases: Array<[GatewayResponse, string]> = [
      [{ status: 103 }, "GW_ERR_INVALID_STATUS"],
      [{ status: 600 }, "GW_ERR_INVALID_STATUS"],
      [{ status: 200, statusText: "Fine\r\nx-injected: 1" }, "GW_ERR_INVALID_STATUS"],
      [{ status: 200, headers: { "x-bad": "a\nb" } }, "GW_ERR_INVALID_HEADER"],
      [{ status: 200, headers: { "bad name": "x" } }, "GW_ERR_INVALID_HEADER"],
      [{ status: 200, headers: { "content-length": "5" }, body: "four" }, "GW_ERR_CONTENT_LENGTH_MISMATCH"],
      [{ status: 200, body: 42 as unknown as string }, "GW_ERR_INVALID_BODY"],
      [{ status: "200" as unknown as number }, "GW_ERR_INVALID_STATUS"],
    ];
    for (const [response, code] of cases) {
      const { body, counts } = countingBody();
      const withBody = response.body === undefined && code !== "GW_ERR_CONTENT_LENGTH_MISMATCH";
      const error = await rejection(() =>
        toFetch(() => (withBody ? { ...response, body } : response))(new Request("http://x/")),
      );
      expect({ status: response.status, code: (error as GatewayError).code }).toEqual({
        status: response.status,
        code,
      });
      if (withBody) expect(counts).toEqual({ pulled: 0, returned: 1 });
    }
  });

  it("refuses something that is not an app with GW_ERR_INVALID_APP", () => {
    expect(() => toFetch("app" as unknown as GatewayApp)).toThrow(
      expect.objectContaining({ code: "GW_ERR_INVALID_APP" }),
    );
  });
});

describe("toFetch: fusion (rule 35)", () => {
  it("hands back the Fetch handler inside a fromFetch app, unless fuse is false", async () => {
    const handler: FetchHandler = (request) => new Response(new URL(request.url).pathname);
    expect(toFetch(fromFetch(handler))).toBe(handler);
    const unfused = toFetch(fromFetch(handler), { fuse: false });
    expect(unfused).not.toBe(handler);
    expect(await (await unfused(new Request("http://x/through"))).text()).toBe("/through");
  });
});
