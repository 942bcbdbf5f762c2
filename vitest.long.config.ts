// `npm run test:long`: the tests too long for `npm test` (LONG_TESTS in
// vitest.config.ts), at full size unless told otherwise:
//
//   BACKLOG_N   jobs in the backlog test (default 50,000: about a minute on a
//               quiet 2-core machine, several times that on a busy one)
//
// CI (.ci/run) runs this after `npm test`, at the defaults.
import { defineConfig } from "vitest/config";
import { LONG_TESTS, shared } from "./vitest.config.js";

export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: LONG_TESTS,
    // Long by nature, and slower still on a busy machine: a minute for each
    // test that sets no timeout of its own.
    testTimeout: 60_000,
  },
});
