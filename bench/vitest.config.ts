// The bench runs under vitest (convex-test and its edge-runtime environment
// are set up for it) but is not a test: `npm test` uses the root config,
// whose include does not reach bench/. Run it with `npm run bench`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import root from "../vitest.config.js";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  // The same aliases as the tests: `convex-workpool` is this repo's source.
  resolve: root.resolve,
  test: {
    environment: "edge-runtime",
    include: ["bench/bench.run.ts"],
    // The published package's and batch-worker's `./test` exports are
    // TypeScript using import.meta.glob: let vite transform them.
    server: {
      deps: {
        inline: [
          "convex-test",
          /workpool-published/,
          /@convex-dev\/batch-worker/,
        ],
      },
    },
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    // One file, one process: the figures must not share the CPU with another bench.
    fileParallelism: false,
  },
});
