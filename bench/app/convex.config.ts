// The bench app: this package and the published @convex-dev/workpool, 0.5.0
// (the reference) and 0.4.12, mounted side by side and driven by the same app
// code (jobs.ts). Each published version mounts its own batch-worker.
import { defineApp } from "convex/server";
import ours from "convex-workpool/convex.config";
import published050 from "workpool-published-050/convex.config";
import published0412 from "workpool-published/convex.config";

const app = defineApp();
app.use(ours, { name: "ours" });
app.use(published050, { name: "published050" });
app.use(published0412, { name: "published0412" });
export default app;
