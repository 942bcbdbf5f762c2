// The component definition. Apps mount it with `app.use(workpool, { name })`;
// each mount is an independent pool with its own tables.
import { defineComponent } from "convex/server";

export default defineComponent("workpool");
