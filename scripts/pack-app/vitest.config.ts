// The vitest config of an app that tests code using pools with convex-test:
// the README's "Testing your app" shows this file, and the pack check
// (scripts/pack-check.sh) runs a scratch app's tests with it.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Convex functions run in an edge-like runtime: so do the tests.
    environment: "edge-runtime",
    // convex-test must be transformed by vitest, as its docs ask.
    // convex-workpool/test needs no entry: it is TypeScript, which vitest
    // transforms anyway.
    server: { deps: { inline: ["convex-test"] } },
  },
});
