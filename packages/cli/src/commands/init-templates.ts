/**
 * The files `gangway init` writes — the `startproject` of Gangway. Kept as plain strings so what
 * a new project starts with can be read in one place.
 */

const APP = `import { compose, type GatewayApp, json, type Middleware, pass, readJson, text } from "@gangway/core";

/**
 * Builds the application. Setup that runs once per process — reading settings, opening a database
 * pool — goes here, before the app function is returned. For work that must finish before the
 * server listens (or after it stops), give the app \`startup\` / \`shutdown\` hooks.
 */
function createApp(): GatewayApp {
  const startedAt = new Date().toISOString();
  return async (request) => {
    if (request.method === "GET" && request.path === "/") return text("Hello from Gangway!\\n");
    if (request.method === "GET" && request.path === "/health") return json({ ok: true, startedAt });
    if (request.method === "POST" && request.path === "/echo") {
      return json({ received: await readJson(request, { limit: 64 * 1024 }) });
    }
    // "Not mine": a 404 here; when this app is mounted in Express, Koa or Fastify, or tried first
    // by cascade(), the next handler gets the request instead.
    return pass();
  };
}

/** Middleware wraps an app and returns an app: this one adds a header to every response. */
const poweredBy: Middleware = (next) => async (request) => {
  const response = await next(request);
  return { ...response, headers: { ...response.headers, "x-powered-by": "gangway" } };
};

/**
 * The application object — the one value \`gangway dev\`, \`gangway serve\` (gangway.config.ts names
 * it), the tests and any host framework (\`toExpress(app)\`, \`toKoa(app)\`, \`toFastify(app)\`) use.
 * Wrap middleware around it here, outermost first: compose(requestLog, poweredBy)(createApp()).
 */
export const app: GatewayApp = compose(poweredBy)(createApp());
`;

const CONFIG = `// Names the application object, as Django's WSGI_APPLICATION does: gangway dev and gangway serve
// load this export unless the command line names another.
export default { app: "./src/app.ts#app" };
`;

const TEST = `import assert from "node:assert/strict";
import { test } from "node:test";
import { inject } from "@gangway/core";
import { app } from "../src/app.ts";

// inject() runs the same app object without a socket, under the same rules as a real server.

test("GET / says hello", async () => {
  const response = await inject(app, { url: "/" });
  assert.equal(response.status, 200);
  assert.equal(response.headers["x-powered-by"], "gangway");
  assert.equal(await response.text(), "Hello from Gangway!\\n");
});

test("POST /echo answers with the JSON it was sent", async () => {
  const response = await inject(app, { method: "POST", url: "/echo", body: JSON.stringify({ name: "Ada" }) });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { received: { name: "Ada" } });
});

test("other paths are not this app's: 404", async () => {
  const response = await inject(app, { url: "/nope" });
  assert.equal(response.status, 404);
});
`;

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "allowImportingTsExtensions": true,
    "verbatimModuleSyntax": true,
    "skipLibCheck": true,
    "types": ["node"]
  },
  "include": ["src", "test", "gangway.config.ts"]
}
`;

function packageJson(name: string): string {
  const manifest = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    engines: { node: ">=20.19" },
    scripts: {
      dev: "gangway dev",
      start: "gangway serve",
      test: "node --import tsx --test test/app.test.ts",
      typecheck: "tsc",
    },
    dependencies: { "@gangway/cli": "^0.1.0", "@gangway/core": "^0.1.0" },
    devDependencies: { "@types/node": "^20.19.0", tsx: "^4.20.0", typescript: "^5.9.0" },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * The starter project's files, path → content, in the order they are written.
 *
 * @example
 * ```ts
 * for (const [path, content] of Object.entries(starterFiles("my-site"))) console.log(path, content.length);
 * ```
 */
export function starterFiles(name: string): Record<string, string> {
  return {
    "src/app.ts": APP,
    "gangway.config.ts": CONFIG,
    "tsconfig.json": TSCONFIG,
    "test/app.test.ts": TEST,
    "package.json": packageJson(name),
  };
}
