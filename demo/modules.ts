// convex-test finds an app's (or a component's) functions through a map of
// module loaders, which vitest builds with `import.meta.glob`. tsx has no
// import.meta.glob, so the demo builds the map from the file system.
import { readdirSync } from "node:fs";
import { basename, join, sep } from "node:path";
import { pathToFileURL } from "node:url";

export type Modules = Record<string, () => Promise<unknown>>;

/**
 * Every `.ts` module under `dir`, keyed as import.meta.glob
 * would key it from dir's parent, e.g. "./convex/emails.ts". convex-test
 * takes the folder holding `_generated/` as the root of function paths.
 * Left out: tests, and `convex.config.ts`, which only the Convex CLI can
 * evaluate (convex-test never loads it).
 *
 * The modules are imported now, once: a loader then returns at once, so a
 * function's work never waits on real I/O while the demo's clock is fake.
 */
export async function loadModules(dir: string): Promise<Modules> {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !/(\.test|\.d|convex\.config)\.ts$/.test(f))
    .sort();
  const entries = await Promise.all(
    files.map(async (file) => {
      const module: unknown = await import(pathToFileURL(join(dir, file)).href);
      const key = `./${basename(dir)}/${file.split(sep).join("/")}`;
      return [key, () => Promise.resolve(module)] as const;
    }),
  );
  return Object.fromEntries(entries);
}
