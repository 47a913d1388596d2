import { empty, json, text } from "@gangway/core";
import { expect, it } from "vitest";
import type { Behaviour } from "../suite.js";

export const behaviour: Behaviour = ({ start }) => {
  it("sends the status and its standard reason phrase", async () => {
    const client = await start(() => json({ created: true }, { status: 201 }));
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Created");
    expect(await response.text()).toBe('{"created":true}');
  });

  it("sends a custom reason phrase and an unregistered status", async () => {
    const client = await start(() => text("odd", { status: 299, statusText: "Quite Alright" }));
    const response = await client.send({ url: "/" });
    expect(response.status).toBe(299);
    expect(response.statusText).toBe("Quite Alright");
    expect(await response.text()).toBe("odd");
  });

  it("sends a status from the 4xx and 5xx ranges as the app chose it", async () => {
    const client = await start((request) => empty(Number(request.query.slice(2))));
    for (const status of [400, 418, 503]) {
      const response = await client.send({ url: `/?s=${status}` });
      expect(response.status).toBe(status);
      expect((await response.bytes()).byteLength).toBe(0);
    }
  });
};
