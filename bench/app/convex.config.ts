// The bench app: this package and the published @convex-dev/workpool 0.4.12
// mounted side by side, driven by the same app code (jobs.ts).
import { defineApp } from "convex/server";
import ours from "convex-workpool/convex.config";
import published from "workpool-published/convex.config";

const app = defineApp();
app.use(ours, { name: "ours" });
app.use(published, { name: "published" });
export default app;
