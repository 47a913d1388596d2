import { defineConfig } from "vitest/config";

// Tests run against the packages' TypeScript sources: the "@gangway/source" export condition
// points each workspace package at src/, so no build is needed between an edit and a test run.
const conditions = ["@gangway/source", "node", "import", "module", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // The memory behaviours measure live bytes after a full collection.
    execArgv: ["--expose-gc"],
  },
});
