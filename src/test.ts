/// <reference types="vite/client" />
// Test helper for apps: registers this component with convex-test, so that
// an app's tests can run code that uses a pool.
//
//   import workpool from "convex-workpool/test";
//   const t = convexTest(schema, modules);
//   workpool.register(t, "emailWorkpool");
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./component/schema.js";

/** The component's modules, `_generated/` included (convex-test finds its root by it). */
const modules = import.meta.glob(["./component/**/*.ts", "!./component/**/*.test.ts"]);

/**
 * Registers the component under `name`, the name it is mounted under in
 * convex.config.ts (`app.use(workpool, { name })`).
 */
export function register<S extends SchemaDefinition<GenericSchema, boolean>>(
  t: TestConvex<S>,
  name: string = "workpool",
): void {
  t.registerComponent(name, schema, modules);
}

export default { register, schema, modules };
