// The app the workflow tests drive, for codegen only: tests register the
// components themselves (test/workflow/setup.ts) and never import this file.
// @convex-dev/workflow mounts its own pool, `workflow/workpool`, which in
// this repository is this package installed under that name.
import { defineApp } from "convex/server";
import workflow from "@convex-dev/workflow/convex.config";

const app = defineApp();
app.use(workflow);
export default app;
