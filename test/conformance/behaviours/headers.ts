import { text } from "@gangway/core";
import { expect, it } from "vitest";
import type { Behaviour } from "../suite.js";

export const behaviour: Behaviour = ({ start }) => {
  it("keeps every set-cookie separate, and every other header shape", async () => {
    const long = "v".repeat(4096);
    const client = await start(() => ({
      status: 200,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "set-cookie": ["a=1; Path=/", "b=2; HttpOnly", "c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT"],
        "x-number": 42,
        "X-Mixed-Case": "kept",
        "x-list": ["one", "two"],
        "x-long": long,
        "x-empty": "",
      },
      body: "ok",
    }));
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(200);
    expect(response.headers["set-cookie"]).toEqual([
      "a=1; Path=/",
      "b=2; HttpOnly",
      "c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
    ]);
    expect(response.headers["x-number"]).toBe("42");
    expect(response.headers["x-mixed-case"]).toBe("kept");
    expect(response.headers["x-list"]).toBe("one, two");
    expect(response.headers["x-long"]).toBe(long);
    expect(response.headers["x-empty"]).toBe("");
    expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(response.headers["content-length"]).toBe("2");
    expect(await response.text()).toBe("ok");
  });

  it("shows the app the request headers in Node's shape, with a 4 KiB value and repeats", async () => {
    const client = await start((request) => text(JSON.stringify(request.headers)));
    const long = "h".repeat(4096);
    const response = await client.send({
      url: "/",
      headers: [
        ["X-Long", long],
        ["x-repeat", "a"],
        ["x-repeat", "b"],
        ["cookie", "a=1"],
        ["cookie", "b=2"],
      ],
    });
    const seen = JSON.parse(await response.text()) as Record<string, string>;
    expect(seen["x-long"]).toBe(long);
    expect(seen["x-repeat"]).toBe("a, b");
    expect(seen.cookie).toBe("a=1; b=2");
    expect(seen.host).toBeTypeOf("string");
  });
};
