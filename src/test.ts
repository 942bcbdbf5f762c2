/// <reference types="vite/client" />
// Test helper for apps: registers this component with convex-test, so that
// an app's tests can run code that uses a pool, and call the component.
//
//   import workpool from "convex-workpool/test";
//   const t = convexTest(schema, modules);
//   const emailWorkpool = workpool.register(t, "emailWorkpool");
//   await t.query(emailWorkpool.lib.status, { id });
//
// `register` also fits convex-test's `defineTestApp({ components: {
// emailWorkpool: workpool } })`, which takes the component's API type from it.
import type { TestConvex } from "convex-test";
import { componentsGeneric, type GenericSchema, type SchemaDefinition } from "convex/server";
import type { ComponentApi } from "./component/_generated/component.js";
import schema from "./component/schema.js";

/** The component's modules, `_generated/` included (convex-test finds its root by it). */
const modules = import.meta.glob(["./component/**/*.ts", "!./component/**/*.test.ts"]);

/**
 * Registers the component under `name`, the name it is mounted under in
 * convex.config.ts (`app.use(workpool, { name })`).
 *
 * @param t the convex-test instance, from `convexTest(schema, modules)`.
 * @param name the mount name. @default "workpool"
 * @returns references to the component's public functions (its
 *   `ComponentApi`, as `components.<name>` in the app's generated api), to
 *   pass to a `Workpool` or to call with `t.query` / `t.mutation`.
 */
export function register<S extends SchemaDefinition<GenericSchema, boolean>>(
  t: TestConvex<S>,
  name: string = "workpool",
): ComponentApi {
  const api: unknown = t.registerComponent(name, schema, modules);
  // convex-test 0.0.60 returns nothing from registerComponent: make the
  // same references here.
  return (api ?? componentsGeneric()[name]) as ComponentApi;
}

export default { register, schema, modules };
