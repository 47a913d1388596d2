import { readdirSync } from "node:fs";
import type { GatewayApp } from "@gangway/core";
import { afterEach, describe } from "vitest";
import type { ClientRequest, ClientResponse } from "../helpers/http-client.js";

/**
 * A path puts a gateway app under test behind a way to send it requests: a real server, the
 * socketless test client, an adapter in a host framework, a round trip through two adapters.
 * Every behaviour runs on every path.
 */
export interface ConformancePath {
  name: string;
  /** "http" paths talk to a real server on 127.0.0.1; "inject" paths have no socket. */
  transport: "http" | "inject";
  /**
   * What a client sees when the app throws before commit: "respond" — an error response (500);
   * "reject" — the call itself rejects (the test client, werkzeug-style).
   */
  errors: "respond" | "reject";
  /**
   * What a malformed percent-escape in the path (`/bad%zz`) meets: "serve" (the default) — the app
   * gets it raw; "refuse" — a framework on the path answers 400 before any app runs, as it does
   * natively (Fastify's router: FST_ERR_BAD_URL), and the path keeps that behaviour.
   */
  malformedPaths?: "serve" | "refuse";
  /** Puts `app` behind this path. */
  start(app: GatewayApp): Promise<PathClient>;
}

/** Sends requests to one app behind a path. */
export interface PathClient {
  send(request: ClientRequest): Promise<ClientResponse>;
  close(): Promise<void>;
}

/** The context a behaviour module gets. */
export interface BehaviourContext {
  path: ConformancePath;
  /** Starts `app` behind the path under test; closed after the test. */
  start(app: GatewayApp): Promise<PathClient>;
}

/** A behaviour module registers its tests with `it(...)` inside the describe block it is given. */
export type Behaviour = (context: BehaviourContext) => void;

// Every file in behaviours/ is a behaviour; a new one is picked up by every path at once.
const files = readdirSync(new URL("./behaviours/", import.meta.url)).filter((file) => file.endsWith(".ts"));
const modules: Record<string, { behaviour: Behaviour }> = {};
for (const file of files.sort()) modules[file] = await import(`./behaviours/${file}`);

/**
 * Runs every conformance behaviour against one path.
 *
 * @example
 * ```ts
 * runConformance({ name: "serve()", transport: "http", errors: "respond", start: ... });
 * ```
 */
export function runConformance(path: ConformancePath): void {
  describe(`conformance: ${path.name}`, () => {
    const open: PathClient[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((client) => client.close()));
    });
    const context: BehaviourContext = {
      path,
      start: async (app) => {
        const client = await path.start(app);
        open.push(client);
        return client;
      },
    };
    for (const [file, module] of Object.entries(modules)) {
      describe(file.replace(/\.ts$/, ""), () => module.behaviour(context));
    }
  });
}
