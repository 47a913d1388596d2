import { json } from "@gangway/core";
import { expect } from "vitest";
import type { Fault } from "../suite.js";

/** Headers a client sends to pass itself off as someone else, somewhere else (rule 7). */
const spoofed = {
  "x-forwarded-for": "203.0.113.66",
  "x-forwarded-proto": "https",
  "x-forwarded-host": "evil.example",
  "x-forwarded-port": "443",
  "x-real-ip": "203.0.113.67",
  forwarded: "for=203.0.113.68;proto=https;host=evil.example",
};

export const fault: Fault = ({ path, start, test }) => {
  test("x-forwarded-* and forwarded headers change nothing unless the operator opted in", async () => {
    const client = await start((request) =>
      json({ scheme: request.scheme, authority: request.authority, remoteAddress: request.remoteAddress ?? null }),
    );
    const honest = JSON.parse(await (await client.send({ url: "/" })).text());
    const lying = JSON.parse(await (await client.send({ url: "/", headers: spoofed })).text());
    // The request describes the hop the server sees, whatever the client claims.
    expect(lying).toEqual(honest);
    expect(lying.scheme).toBe("http");
    expect(lying.authority).not.toContain("evil.example");
    if (path.transport === "http" && lying.remoteAddress !== null) {
      expect(lying.remoteAddress).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
    }
  });
};
