import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests import the package by its public name, as an app would; these aliases
// point those names at the sources so that no build is needed to test.
// Except in test/workflow: @convex-dev/workflow imports this package as
// @convex-dev/workpool, unaliased, through node_modules (a link to this
// repository), so it loads the client from dist/. `npm test` builds first.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^convex-workpool\/test$/, replacement: here("./src/test.ts") },
      {
        find: /^convex-workpool\/convex\.config(\.js)?$/,
        replacement: here("./src/component/convex.config.ts"),
      },
      {
        find: /^convex-workpool\/_generated\/component\.js$/,
        replacement: here("./src/component/_generated/component.ts"),
      },
      { find: /^convex-workpool$/, replacement: here("./src/client/index.ts") },
    ],
  },
  test: {
    environment: "edge-runtime",
    // Pools log JSON events; show them only for tests that fail.
    silent: "passed-only",
    // Inlined so that vite transforms them: convex-test, and workflow's
    // `./test` export (TypeScript that uses import.meta.glob).
    server: { deps: { inline: ["convex-test", "@convex-dev/workflow"] } },
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "example/**/*.test.ts"],
    typecheck: {
      include: ["src/**/*.test-d.ts", "test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
  },
});
