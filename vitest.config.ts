import { defineConfig } from "vitest/config";

// Tests run against the packages' TypeScript sources: the "@gangway/source" export condition
// points each workspace package at src/, so no build is needed between an edit and a test run.
const conditions = ["@gangway/source", "node", "import", "module", "default"];
// Vitest hands the SSR conditions to Node as --conditions, which apply to require() too: "import"
// there makes require() of a dual package load its ESM build (Express's router gets is-promise's
// module namespace instead of its function). Node picks "import"/"require" by itself.
const nodeConditions = ["@gangway/source", "node"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // The memory behaviours measure live bytes after a full collection.
    execArgv: ["--expose-gc"],
  },
});
