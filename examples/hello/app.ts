import { type GatewayApp, json, pass, readJson, text } from "@gangway/core";

/**
 * The one application object: `serve()`, the tests, a host framework and the CLI all use this
 * same value — the role WSGI's `application` plays in a Django project.
 */
export const app: GatewayApp = async (request) => {
  if (request.method === "GET" && request.path === "/") return text("Hello from Gangway!\n");
  if (request.method === "GET" && request.path === "/clock") {
    // A streamed response: one line a second, until the client goes away.
    return {
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: (async function* () {
        for (let i = 0; i < 5 && !request.signal.aborted; i++) {
          yield new TextEncoder().encode(`${new Date().toISOString()}\n`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      })(),
    };
  }
  if (request.method === "POST" && request.path === "/greet") {
    const { name } = await readJson<{ name?: string }>(request, { limit: 16 * 1024 });
    return json({ greeting: `Hello, ${name ?? "stranger"}!` });
  }
  return pass();
};
