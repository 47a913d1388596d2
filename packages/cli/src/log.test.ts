import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { formatAccessLine, useColor, withAccessLog } from "./log.js";

describe("formatAccessLine", () => {
  it("writes method, target, status and duration, colour only when asked", () => {
    const entry = { method: "GET", url: "/a?b=1", status: 404, ms: 3.125, aborted: false };
    expect(formatAccessLine(entry, { color: false })).toBe("GET /a?b=1 404 3.1ms");
    expect(formatAccessLine({ ...entry, ms: 123.6, aborted: true }, { color: false })).toBe(
      "GET /a?b=1 404 124ms (aborted)",
    );
    const colored = formatAccessLine(entry, { color: true });
    expect(colored).toContain("\x1b[33m404\x1b[0m");
    expect(
      colored.replaceAll("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[33m", "").replace("\x1b[2m", ""),
    ).toBe("GET /a?b=1 404 3.1ms");
  });
});

describe("useColor", () => {
  it("colours a terminal unless NO_COLOR; FORCE_COLOR colours anything", () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(useColor({}, { FORCE_COLOR: "1" })).toBe(true);
    expect(useColor({ isTTY: true }, { FORCE_COLOR: "0" })).toBe(true);
  });
});

describe("withAccessLog", () => {
  it("logs one line per request with the status that went on the wire", async () => {
    const lines: string[] = [];
    const server = createServer(
      withAccessLog(
        (req, res) => {
          res.statusCode = req.url === "/missing" ? 404 : 200;
          res.end("x");
        },
        (line) => lines.push(line),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    for (const path of ["/", "/missing"]) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      await response.arrayBuffer();
    }
    await new Promise((resolve) => server.close(resolve));
    expect(lines.map((line) => line.replace(/ [\d.]+ms$/, ""))).toEqual(["GET / 200", "GET /missing 404"]);
  });
});
