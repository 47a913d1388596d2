import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { parseInvocation } from "./args.js";

describe("parseInvocation", () => {
  it("gives dev and serve their defaults", () => {
    expect(parseInvocation(["dev"], {})).toEqual({
      command: "dev",
      options: { app: undefined, port: 3000, host: "127.0.0.1", factory: false, watch: [], verbose: false },
    });
    expect(parseInvocation(["serve", "./src/app.ts#app"], {})).toEqual({
      command: "serve",
      options: {
        app: "./src/app.ts#app",
        port: 8000,
        host: "127.0.0.1",
        workers: 1,
        grace: 30,
        log: false,
        factory: false,
        verbose: false,
      },
    });
  });

  it("serve listens on $PORT on every interface, as platforms that set it expect; flags win", () => {
    expect(parseInvocation(["serve"], { PORT: "5000" })).toMatchObject({ options: { port: 5000, host: "0.0.0.0" } });
    expect(parseInvocation(["serve", "-p", "81", "--host", "::1"], { PORT: "5000" })).toMatchObject({
      options: { port: 81, host: "::1" },
    });
  });

  it("reads --workers, auto and $WEB_CONCURRENCY; --grace in seconds; repeatable --watch", () => {
    expect(parseInvocation(["serve", "-w", "3"], {})).toMatchObject({ options: { workers: 3 } });
    expect(parseInvocation(["serve", "--workers", "auto"], {})).toMatchObject({
      options: { workers: availableParallelism() },
    });
    expect(parseInvocation(["serve"], { WEB_CONCURRENCY: "4" })).toMatchObject({ options: { workers: 4 } });
    expect(parseInvocation(["serve", "--grace", "2.5", "--log"], {})).toMatchObject({
      options: { grace: 2.5, log: true },
    });
    expect(parseInvocation(["dev", "--watch", "a", "--watch", "b"], {})).toMatchObject({
      options: { watch: ["a", "b"] },
    });
  });

  it("answers help and version forms", () => {
    expect(parseInvocation(["--help"], {})).toEqual({ command: "help", topic: undefined });
    expect(parseInvocation(["help", "serve"], {})).toEqual({ command: "help", topic: "serve" });
    expect(parseInvocation(["init", "-h"], {})).toEqual({ command: "help", topic: "init" });
    expect(parseInvocation(["-v"], {})).toEqual({ command: "version" });
    expect(parseInvocation(["init", "site"], {})).toEqual({ command: "init", options: { dir: "site" } });
  });

  it.each([
    [[]],
    [["start"]],
    [["--nope"]],
    [["serve", "--port", "99999"]],
    [["serve", "--port", "-1"]],
    [["serve", "--workers", "0"]],
    [["serve", "--workers", "many"]],
    [["serve", "--grace", "soon"]],
    [["serve", "a.ts", "b.ts"]],
    [["dev", "--workers", "2"]],
    [["help", "deploy"]],
  ])("rejects %j as a usage error", (args) => {
    expect(() => parseInvocation(args, {})).toThrow(expect.objectContaining({ code: "GW_CLI_USAGE", exitCode: 2 }));
  });

  it("rejects a bad $PORT or $WEB_CONCURRENCY", () => {
    expect(() => parseInvocation(["serve"], { PORT: "web" })).toThrow(
      expect.objectContaining({ code: "GW_CLI_USAGE" }),
    );
    expect(() => parseInvocation(["serve"], { WEB_CONCURRENCY: "x" })).toThrow(
      expect.objectContaining({ code: "GW_CLI_USAGE" }),
    );
  });
});
