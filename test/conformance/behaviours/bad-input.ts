import { json } from "@gangway/core";
import { expect, it } from "vitest";
import type { Behaviour } from "../suite.js";

export const behaviour: Behaviour = ({ path, start }) => {
  it("serves a malformed percent-escape in the path raw (or refuses it cleanly), without crashing", async () => {
    const client = await start((request) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(request.path);
      } catch {
        decoded = "(undecodable)";
      }
      return json({ path: request.path, decoded });
    });
    const response = await client.send({ url: "/bad%zz/%E0%A4%A?q=%" });
    if (path.malformedPaths === "refuse") {
      expect(response.status).toBe(400);
      await response.bytes();
    } else {
      expect(response.status).toBe(200);
      expect(await response.text().then(JSON.parse)).toEqual({ path: "/bad%zz/%E0%A4%A", decoded: "(undecodable)" });
    }
    // And the server still answers the next request.
    expect((await client.send({ url: "/ok" })).status).toBe(200);
  });

  it("serves a request header named __proto__ as plain data, polluting nothing", async () => {
    const client = await start((request) =>
      json({
        own: Object.hasOwn(request.headers, "__proto__"),
        value: Object.getOwnPropertyDescriptor(request.headers, "__proto__")?.value ?? null,
        polluted: ({} as Record<string, unknown>).polluted ?? null,
        headersPrototypeIntact: !("polluted" in request.headers),
      }),
    );
    const response = await client.send({
      url: "/",
      headers: [
        ["__proto__", "polluted"],
        ["constructor", "x"],
      ],
    });
    expect(response.status).toBe(200);
    const seen = await response.text().then(JSON.parse);
    expect(seen.polluted).toBeNull();
    expect(seen.headersPrototypeIntact).toBe(true);
    expect(seen.value === null || seen.value === "polluted").toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
};
