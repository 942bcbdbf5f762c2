// Three pools, as in the seeds: a high-priority email pool, a lower-priority
// scraping pool, and a serial counter pool.
import { defineApp } from "convex/server";
import workpool from "convex-workpool/convex.config";

const app = defineApp();
app.use(workpool, { name: "emailWorkpool" });
app.use(workpool, { name: "scrapeWorkpool" });
app.use(workpool, { name: "counterPool" });
export default app;
