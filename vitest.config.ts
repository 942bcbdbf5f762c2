import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig, type ViteUserConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Runs too long for `npm test`: `npm run test:long` runs them at full size
 * (see vitest.long.config.ts), and CI runs both commands.
 */
export const LONG_TESTS = ["test/backlog.test.ts"];

// Tests import the package by its public name, as an app would; these aliases
// point those names at the sources so that no build is needed to test.
// Except in test/workflow: @convex-dev/workflow imports this package as
// @convex-dev/workpool, unaliased, through node_modules (a link to this
// repository), so it loads the client from dist/. `npm test` builds first.
export const shared = {
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
  },
} satisfies ViteUserConfig;

/** `npm test`: every test but the long ones, and the type tests. */
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "example/**/*.test.ts", "demo/**/*.test.ts"],
    exclude: [...configDefaults.exclude, ...LONG_TESTS],
    typecheck: {
      include: ["src/**/*.test-d.ts", "test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
  },
});
