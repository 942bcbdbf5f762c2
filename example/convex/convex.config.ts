// Four pools, each a separate mount with its own queue and cap: as in the
// seeds, a high-priority email pool, a lower-priority scraping pool and a
// serial counter pool; and a pool for calls to a rate-limited external API.
import { defineApp } from "convex/server";
import workpool from "convex-workpool/convex.config";

const app = defineApp();
app.use(workpool, { name: "emailWorkpool" });
app.use(workpool, { name: "scrapeWorkpool" });
app.use(workpool, { name: "counterPool" });
app.use(workpool, { name: "apiWorkpool" });
export default app;
