/**
 * Offline code generation for Convex function folders: the `_generated/`
 * files `npx convex codegen` writes, from the sources alone, for when no
 * deployment is reachable (no Convex account yet, CI, offline work).
 *
 * - `dataModel.ts`  types derived from `schema.ts` (or the "any" data model).
 * - `server.ts`     the query/mutation/action builders typed with DataModel,
 *                   the ctx/db types and `env` (platform variables only).
 * - `api.ts`        `api` / `internal` / `components` references; module list
 *                   from the file system, mounted components from a textual
 *                   (TypeScript AST) reading of `convex.config.ts`, each typed
 *                   with its package's `<pkg>/_generated/component.js`.
 * - `component.ts`  (components only) the `ComponentApi` type. This one needs
 *                   the runtime validators, so the function modules are
 *                   imported (which needs a TypeScript loader such as tsx)
 *                   after the files above exist, and each registered public
 *                   function's `exportArgs()` / `exportReturns()` JSON is
 *                   turned into TypeScript type text.
 *
 * The shapes are those of Convex CLI 1.48. Two commands run it: the
 * package's `convex-workpool codegen` (bin.ts, for an app) and this
 * repository's `npm run codegen` (scripts/codegen.ts). It needs the
 * `typescript` package; `prettier`, if installed, formats the output.
 *
 * In check mode the function folder is copied to a scratch folder under
 * node_modules/.cache (so `convex` etc. still resolve), generated there and
 * compared with the real files, which are never touched.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { jsonToConvex } from "convex/values";
import type {
  JSONValue,
  RecordKeyValidatorJSON,
  ValidatorJSON,
} from "convex/values";
import ts from "typescript";

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

export type DirKind = "component" | "app";

/** Where a mounted component's `ComponentApi` type lives, and its own name. */
export interface ChildComponentSource {
  componentApi: string;
  defaultName: string;
}

export interface FunctionDir {
  /** Path relative to the root. */
  dir: string;
  kind: DirKind;
  /**
   * Maps the specifier a `convex.config.ts` imports a component definition
   * from to where its types live. Unlisted specifiers of the form
   * `<pkg>/convex.config[.js]` are derived (see `deriveChildComponent`).
   */
  childComponents?: Record<string, ChildComponentSource>;
}

export interface CodegenOptions {
  /** Folder that `dirs` are relative to, and whose node_modules/.cache holds check mode's scratch copies. */
  root: string;
  dirs: FunctionDir[];
  /** Write nothing; report stale or missing files. */
  check: boolean;
  /** Write (or compare) there instead of `<dir>/_generated` (one dir only). */
  out?: string;
  /** Who wrote the files and how to run it again, for their header, e.g. "`npm run codegen`". */
  generatedBy: string;
  /** The command that regenerates, named when files are stale. */
  rerun: string;
}

/** `<path>:component` or `<path>:app`. */
export function parseDirArg(
  value: string,
  childComponents?: Record<string, ChildComponentSource>,
): FunctionDir {
  const colon = value.lastIndexOf(":");
  const kind = value.slice(colon + 1);
  if (colon === -1 || (kind !== "component" && kind !== "app")) {
    throw new Error(
      `--dir expects <path>:component or <path>:app, got ${value}`,
    );
  }
  return {
    dir: value.slice(0, colon),
    kind,
    ...(childComponents ? { childComponents } : {}),
  };
}

// File extensions the Convex bundler accepts as function modules.
const MODULE_EXTENSIONS = [
  ".js",
  ".mjs",
  ".cjs",
  ".ts",
  ".tsx",
  ".mts",
  ".cts",
  ".jsx",
];

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

interface GeneratedFile {
  name: string;
  text: string;
}

/** Generates (or checks) every folder of `options.dirs`; returns the exit code: 0, or 1 if stale or failed. */
export async function codegen(options: CodegenOptions): Promise<number> {
  // TypeScript 7 (the native compiler) ships no JavaScript API.
  if (typeof (ts as Partial<typeof ts>).createSourceFile !== "function") {
    throw new Error(
      `the installed typescript ${String((ts as { version?: unknown }).version)} has no JavaScript API, ` +
        "which this command reads convex.config.ts with (TypeScript 7 dropped it): " +
        "npm install --save-dev typescript@6",
    );
  }
  if (options.out !== undefined && options.dirs.length !== 1) {
    throw new Error("--out needs exactly one --dir");
  }
  const stale: string[] = [];
  let failed = false;
  for (const fnDir of options.dirs) {
    const absDir = path.resolve(options.root, fnDir.dir);
    if (!hasSources(absDir)) {
      console.log(`note: skipping ${fnDir.dir} (no Convex sources there yet)`);
      continue;
    }
    const outDir = options.out
      ? path.resolve(options.out)
      : path.join(absDir, "_generated");
    // Snapshot first: in write mode `generate` already writes some files.
    const before = snapshot(outDir);
    try {
      const files = await generate(fnDir, absDir, outDir, options);
      if (options.check) stale.push(...staleFiles(files, before, outDir));
      else reportWrites(files, before, outDir);
    } catch (error) {
      failed = true;
      console.error(`error: ${fnDir.dir}: ${errorMessage(error)}`);
    }
  }
  if (stale.length > 0) {
    console.error(`Generated files are out of date (run ${options.rerun}):`);
    for (const file of stale) console.error(`  ${file}`);
  } else if (options.check && !failed) {
    console.log("Generated files are up to date.");
  }
  return failed || stale.length > 0 ? 1 : 0;
}

/**
 * Produces every generated file of one function directory, formatted.
 * Components also need their modules imported; in write mode that happens in
 * place (after writing the files the modules import), in check mode in a
 * scratch copy.
 */
async function generate(
  fnDir: FunctionDir,
  absDir: string,
  outDir: string,
  options: CodegenOptions,
): Promise<GeneratedFile[]> {
  const modules = listModules(absDir);
  assertNoDeclaredEnv(absDir);
  const children = readChildComponents(fnDir, absDir);
  const by = options.generatedBy;
  const files = await formatFiles(absDir, [
    { name: "dataModel.ts", text: dataModelTs(hasSchema(absDir), by) },
    { name: "server.ts", text: serverTs(by) },
    { name: "api.ts", text: apiTs(modules, children, by) },
  ]);
  if (fnDir.kind === "app") return files;

  let functions: RegisteredFunction[];
  if (options.check) {
    functions = await inScratchCopy(options.root, absDir, files, (copy) =>
      loadFunctions(copy, modules),
    );
  } else {
    writeFiles(files, outDir);
    functions = await loadFunctions(absDir, modules);
  }
  const [componentFile] = await formatFiles(absDir, [
    { name: "component.ts", text: componentTs(functions, by) },
  ]);
  return componentFile ? [...files, componentFile] : files;
}

const GENERATED_NAMES = ["dataModel.ts", "server.ts", "api.ts", "component.ts"];

function snapshot(outDir: string): Map<string, string | undefined> {
  return new Map(
    GENERATED_NAMES.map((name) => [
      name,
      readIfExists(path.join(outDir, name)),
    ]),
  );
}

function writeFiles(files: GeneratedFile[], outDir: string) {
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of files) {
    const target = path.join(outDir, file.name);
    if (readIfExists(target) !== file.text) fs.writeFileSync(target, file.text);
  }
}

function reportWrites(
  files: GeneratedFile[],
  before: Map<string, string | undefined>,
  outDir: string,
) {
  writeFiles(files, outDir);
  for (const file of files) {
    const status = before.get(file.name) === file.text ? "unchanged" : "wrote";
    console.log(`${status} ${displayPath(path.join(outDir, file.name))}`);
  }
}

function staleFiles(
  files: GeneratedFile[],
  before: Map<string, string | undefined>,
  outDir: string,
): string[] {
  return files
    .filter((file) => before.get(file.name) !== file.text)
    .map((file) => {
      const missing = before.get(file.name) === undefined;
      const target = displayPath(path.join(outDir, file.name));
      return missing ? `${target} (missing)` : target;
    });
}

/** Runs `fn` on a copy of `absDir` whose `_generated/` holds `files`. */
async function inScratchCopy<T>(
  root: string,
  absDir: string,
  files: GeneratedFile[],
  fn: (copy: string) => Promise<T>,
): Promise<T> {
  const scratchRoot = path.join(root, "node_modules", ".cache", "codegen-check");
  const copy = path.join(
    scratchRoot,
    path.relative(root, absDir).replace(/[^A-Za-z0-9_-]+/g, "_"),
  );
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(absDir, copy, {
    recursive: true,
    filter: (source) => source !== path.join(absDir, "_generated"),
  });
  try {
    writeFiles(files, path.join(copy, "_generated"));
    return await fn(copy);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
    if (fs.readdirSync(scratchRoot).length === 0) fs.rmdirSync(scratchRoot);
  }
}

/**
 * Prettier, if it is installed (resolved from this file, so an app's own
 * node_modules is searched when this package is installed there), else null:
 * the files are then written as generated, unformatted.
 */
async function loadPrettier() {
  try {
    return await import("prettier");
  } catch {
    return null;
  }
}

async function formatFiles(
  absDir: string,
  files: GeneratedFile[],
): Promise<GeneratedFile[]> {
  const prettier = await loadPrettier();
  if (prettier === null) return files;
  // Resolve the prettier config from the real location so that --out and the
  // scratch copy format exactly like the checked-in files.
  const config = await prettier.resolveConfig(
    path.join(absDir, "_generated", "api.ts"),
  );
  return Promise.all(
    files.map(async (file) => ({
      name: file.name,
      text: await prettier.format(file.text, {
        ...config,
        parser: "typescript",
      }),
    })),
  );
}

// ---------------------------------------------------------------------------
// Discovering modules (same rules as the Convex bundler's entry points)
// ---------------------------------------------------------------------------

interface ModuleFile {
  /** Relative file path with `/` separators, e.g. `core/backoff.ts`. */
  file: string;
  /** Module path without extension, e.g. `core/backoff`. */
  modulePath: string;
  /** Identifier used for `import type * as <alias>`. */
  alias: string;
}

function listModules(absDir: string): ModuleFile[] {
  return walkFiles(absDir, "")
    .filter((file) => isModuleFile(absDir, file))
    .sort(compareCodeUnits)
    .map((file) => {
      const modulePath = file.slice(0, file.lastIndexOf("."));
      return { file, modulePath, alias: moduleAlias(modulePath) };
    });
}

/** All files below `absDir`, skipping folders that are never modules. */
function walkFiles(absDir: string, relDir: string): string[] {
  const files: string[] = [];
  const entries = fs.readdirSync(path.join(absDir, relDir), {
    withFileTypes: true,
  });
  for (const entry of entries) {
    const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
    if (entry.isFile()) {
      files.push(rel);
    } else if (entry.isDirectory() && !isSkippedFolder(absDir, rel)) {
      files.push(...walkFiles(absDir, rel));
    }
  }
  return files;
}

function isSkippedFolder(absDir: string, rel: string): boolean {
  const base = path.posix.basename(rel);
  return (
    rel === "_generated" ||
    base === "node_modules" ||
    base.startsWith(".") ||
    // A nested component has its own function directory.
    fs.existsSync(path.join(absDir, rel, "convex.config.ts"))
  );
}

function isModuleFile(absDir: string, rel: string): boolean {
  const base = path.posix.basename(rel);
  if (!MODULE_EXTENSIONS.some((ext) => base.endsWith(ext))) return false;
  if (base.startsWith(".") || base.startsWith("#") || rel.includes(" ")) {
    return false;
  }
  if (base === "schema.ts" || base === "schema.js") return false;
  // `convex.config.ts`, `foo.test.ts`, ...: more than one dot.
  if (base.split(".").length > 2) return false;
  // Like the bundler, ignore TypeScript files that are not ES modules.
  if (/\.[cm]?tsx?$/.test(base)) {
    const text = fs.readFileSync(path.join(absDir, rel), "utf8");
    return /^\s{0,100}(import|export)/m.test(text);
  }
  return true;
}

/** False for a missing directory, or one that holds nothing to generate from. */
function hasSources(absDir: string): boolean {
  return (
    fs.existsSync(absDir) &&
    (listModules(absDir).length > 0 ||
      hasSchema(absDir) ||
      fs.existsSync(path.join(absDir, "convex.config.ts")))
  );
}

function hasSchema(absDir: string): boolean {
  return ["schema.ts", "schema.js"].some((name) =>
    fs.existsSync(path.join(absDir, name)),
  );
}

const RESERVED_ALIASES = new Set([
  // Names used by api.ts itself.
  "fullApi",
  "api",
  "internal",
  "components",
  // JavaScript reserved words.
  ...(
    "break case catch class const continue debugger default delete do " +
    "else enum export extends false finally for function if import in " +
    "instanceof new null return super switch this throw true try typeof " +
    "var void while with yield let static implements interface package " +
    "private protected public await arguments eval"
  ).split(" "),
]);

function moduleAlias(modulePath: string): string {
  let alias = modulePath.replace(/[^A-Za-z0-9_$]/g, "_");
  if (/^[0-9]/.test(alias)) alias = `_${alias}`;
  return RESERVED_ALIASES.has(alias) ? `${alias}_` : alias;
}

// ---------------------------------------------------------------------------
// Child components, read from convex.config.ts without evaluating it
// (`app.use` only works inside the Convex bundler).
// ---------------------------------------------------------------------------

interface ChildComponent {
  name: string;
  componentApi: string;
}

function readChildComponents(
  fnDir: FunctionDir,
  absDir: string,
): ChildComponent[] {
  const configFile = path.join(absDir, "convex.config.ts");
  if (!fs.existsSync(configFile)) return [];
  const source = parseFile(configFile);

  const importedFrom = new Map<string, string>(); // local name -> specifier
  const children: ChildComponent[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isImportDeclaration(node) &&
      node.importClause?.name &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      importedFrom.set(node.importClause.name.text, node.moduleSpecifier.text);
    }
    const use = readUseCall(node);
    if (use) {
      const specifier = importedFrom.get(use.definition);
      if (specifier === undefined) {
        throw new Error(
          `${configFile}: .use(${use.definition}) must use a default import`,
        );
      }
      const childSource =
        fnDir.childComponents?.[specifier] ??
        deriveChildComponent(specifier, absDir);
      children.push({
        name: use.name ?? childSource.defaultName,
        componentApi: childSource.componentApi,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  const names = children.map((child) => child.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new Error(`${configFile}: component name "${duplicate}" used twice`);
  }
  return children;
}

/**
 * server.ts types `env` with the platform variables only. Variables declared
 * via `defineApp({ env })` / `defineComponent(name, { env })` would need
 * their validators evaluated, which this script does not do.
 */
function assertNoDeclaredEnv(absDir: string): void {
  const configFile = path.join(absDir, "convex.config.ts");
  if (!fs.existsSync(configFile)) return;
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      ["defineApp", "defineComponent"].includes(node.expression.text) &&
      node.arguments.some(
        (arg) =>
          ts.isObjectLiteralExpression(arg) &&
          arg.properties.some((p) => p.name?.getText() === "env"),
      )
    ) {
      throw new Error(
        `${configFile} declares env variables, which this offline codegen ` +
          "does not support yet (it only types the platform variables)",
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(parseFile(configFile));
}

/** Recognizes `<anything>.use(<identifier>[, { name: "<literal>" }])`. */
function readUseCall(
  node: ts.Node,
): { definition: string; name: string | undefined } | undefined {
  if (
    !ts.isCallExpression(node) ||
    !ts.isPropertyAccessExpression(node.expression) ||
    node.expression.name.text !== "use"
  ) {
    return undefined;
  }
  const [definition, options] = node.arguments;
  if (!definition || !ts.isIdentifier(definition)) return undefined;
  return { definition: definition.text, name: readNameOption(options) };
}

function readNameOption(expression: ts.Expression | undefined) {
  const options = expression && unwrapExpression(expression);
  if (!options || !ts.isObjectLiteralExpression(options)) return undefined;
  for (const property of options.properties) {
    if (
      ts.isPropertyAssignment(property) &&
      ts.isIdentifier(property.name) &&
      property.name.text === "name"
    ) {
      if (ts.isStringLiteralLike(property.initializer)) {
        return property.initializer.text;
      }
      throw new Error(
        `component name must be a string literal, got ${property.initializer.getText()}`,
      );
    }
  }
  return undefined;
}

/** Looks through `(...)`, `... as T` and `... satisfies T`. */
function unwrapExpression(expression: ts.Expression): ts.Expression {
  let current = expression;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

/**
 * For a specifier like `@scope/pkg/convex.config.js` the types live at
 * `@scope/pkg/_generated/component.js`; for a local `./child/convex.config`
 * at `../child/_generated/component.js`. The default name is the one passed
 * to `defineComponent` in the definition file.
 */
function deriveChildComponent(
  specifier: string,
  absDir: string,
): ChildComponentSource {
  const match = /^(.*)\/convex\.config(\.[cm]?[jt]s)?$/.exec(specifier);
  if (!match?.[1]) {
    throw new Error(
      `don't know where the ComponentApi for "${specifier}" lives ` +
        "(expected a specifier like <package>/convex.config)",
    );
  }
  const base = match[1];
  const local = base.startsWith(".");
  const definitionFile = local
    ? resolveLocalFile(path.resolve(absDir, specifier))
    : resolvePackageFile(specifier, absDir);
  return {
    componentApi: `${local ? path.posix.join("..", base) : base}/_generated/component.js`,
    defaultName: readDefinitionName(definitionFile),
  };
}

function resolvePackageFile(specifier: string, absDir: string): string {
  try {
    return createRequire(path.join(absDir, "convex.config.ts")).resolve(
      specifier,
    );
  } catch {
    throw new Error(
      `cannot resolve "${specifier}" to read its component name; ` +
        "is the package installed?",
    );
  }
}

function resolveLocalFile(file: string): string {
  const stem = file.replace(/\.[cm]?[jt]s$/, "");
  const found = [file, `${stem}.ts`, `${stem}.js`].find((candidate) =>
    fs.existsSync(candidate),
  );
  if (!found) throw new Error(`cannot find ${file}`);
  return found;
}

/** The string literal passed to `defineComponent(...)` in `file`. */
function readDefinitionName(file: string): string {
  let name: string | undefined;
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "defineComponent" &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      name = node.arguments[0].text;
    }
    ts.forEachChild(node, visit);
  };
  visit(parseFile(file));
  if (name === undefined) {
    throw new Error(`no defineComponent("<name>") call found in ${file}`);
  }
  return name;
}

function parseFile(file: string): ts.SourceFile {
  const text = fs.readFileSync(file, "utf8");
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
}

// ---------------------------------------------------------------------------
// Registered functions, found by importing the modules
// ---------------------------------------------------------------------------

type FunctionType = "query" | "mutation" | "action";

interface RegisteredFunction {
  modulePath: string;
  name: string;
  type: FunctionType;
  isPublic: boolean;
  args: ValidatorJSON | null;
  returns: ValidatorJSON | null;
}

/** The parts of a `query(...)`/`mutation(...)`/`action(...)` result we use. */
interface RegisteredFunctionShape {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  isPublic?: boolean;
  exportArgs: () => string;
  exportReturns: () => string;
}

function isRegisteredFunction(
  value: unknown,
): value is RegisteredFunctionShape {
  if (typeof value !== "function") return false;
  const candidate = value as Partial<RegisteredFunctionShape>;
  return (
    typeof candidate.exportArgs === "function" &&
    typeof candidate.exportReturns === "function" &&
    (candidate.isQuery === true ||
      candidate.isMutation === true ||
      candidate.isAction === true)
  );
}

async function loadFunctions(
  absDir: string,
  modules: ModuleFile[],
): Promise<RegisteredFunction[]> {
  const functions: RegisteredFunction[] = [];
  for (const module of modules) {
    const url = pathToFileURL(path.join(absDir, module.file)).href;
    let exports: Record<string, unknown>;
    try {
      exports = (await import(url)) as Record<string, unknown>;
    } catch (error) {
      throw new Error(
        `importing ${module.file} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    for (const [name, value] of Object.entries(exports)) {
      if (!isRegisteredFunction(value)) continue;
      functions.push({
        modulePath: module.modulePath,
        name,
        type: value.isQuery
          ? "query"
          : value.isMutation
            ? "mutation"
            : "action",
        isPublic: value.isPublic === true,
        args: JSON.parse(value.exportArgs()) as ValidatorJSON | null,
        // `null` when the function declares no `returns` validator.
        returns: JSON.parse(value.exportReturns()) as ValidatorJSON | null,
      });
    }
  }
  return functions;
}

// ---------------------------------------------------------------------------
// Validator JSON -> TypeScript type text
// ---------------------------------------------------------------------------

function validatorToType(
  validator: ValidatorJSON | RecordKeyValidatorJSON,
): string {
  switch (validator.type) {
    case "null":
    case "number":
    case "bigint":
    case "boolean":
    case "string":
    case "any":
      return validator.type;
    case "bytes":
      return "ArrayBuffer";
    case "commitTs":
      return 'bigint | import("convex/values").CommitTsPlaceholder';
    case "id":
      // Ids cross component boundaries as plain strings.
      return "string";
    case "literal":
      return literalToType(validator.value);
    case "array":
      return `Array<${validatorToType(validator.value)}>`;
    case "record":
      return `Record<${validatorToType(validator.keys)}, ${validatorToType(validator.values.fieldType)}>`;
    case "union":
      return validator.value.map(validatorToType).join(" | ");
    case "object": {
      const fields = Object.entries(validator.value)
        .sort(([a], [b]) => compareCodeUnits(a, b))
        .map(([key, field]) => {
          const optional = field.optional ? "?" : "";
          return `${propertyKey(key)}${optional}: ${validatorToType(field.fieldType)}`;
        });
      return `{ ${fields.join("; ")} }`;
    }
  }
}

function literalToType(json: JSONValue): string {
  const value = jsonToConvex(json);
  if (typeof value === "bigint") return `${value}n`;
  if (
    value === null ||
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "boolean"
  ) {
    return JSON.stringify(value);
  }
  throw new Error(`unsupported literal: ${JSON.stringify(json)}`);
}

// ---------------------------------------------------------------------------
// File templates
// ---------------------------------------------------------------------------

function header(description: string, generatedBy: string): string {
  return `/* eslint-disable */
/**
 * ${description}
 *
 * ${generatedBy}
 * @module
 */
`;
}

function dataModelTs(withSchema: boolean, by: string): string {
  if (!withSchema) {
    return `${header("Data model types (no schema.ts: any table, any document).", by)}
import type { AnyDataModel } from "convex/server";
import type { GenericId } from "convex/values";

/** The names of the tables: any string, as there is no schema. */
export type TableNames = string;

/** A document stored in Convex: untyped, as there is no schema. */
export type Doc = any;

/** The id of a document in the given table. */
export type Id<TableName extends TableNames = TableNames> = GenericId<TableName>;

/** The data model: untyped, as there is no schema. */
export type DataModel = AnyDataModel;
`;
  }
  return `${header("Data model types, derived from schema.ts.", by)}
import type {
  DataModelFromSchemaDefinition,
  DocumentByName,
  TableNamesInDataModel,
  SystemTableNames,
} from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

/** The names of all tables in the schema. */
export type TableNames = TableNamesInDataModel<DataModel>;

/** The type of a document stored in the given table. */
export type Doc<TableName extends TableNames> = DocumentByName<DataModel, TableName>;

/**
 * The id of a document in the given table (a string at runtime, branded
 * with the table name for type checking).
 */
export type Id<TableName extends TableNames | SystemTableNames> = GenericId<TableName>;

/** The tables, document types and indexes of this function directory. */
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
`;
}

function serverTs(by: string): string {
  return `${header("Builders and context types for this directory's Convex functions.", by)}
import type {
  ActionBuilder,
  HttpActionBuilder,
  MutationBuilder,
  QueryBuilder,
  GenericActionCtx,
  GenericMutationCtx,
  GenericQueryCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
} from "convex/server";
import {
  actionGeneric,
  httpActionGeneric,
  queryGeneric,
  mutationGeneric,
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";
import type { DataModel } from "./dataModel.js";

/** Environment variables the Convex platform provides. */
type Env = {
  readonly CONVEX_CLOUD_URL: string;
  readonly CONVEX_SITE_URL: string;
};

/** Defines a public query (read-only, callable from clients). */
export const query: QueryBuilder<DataModel, "public"> = queryGeneric;

/** Defines a query callable only from other Convex functions. */
export const internalQuery: QueryBuilder<DataModel, "internal"> = internalQueryGeneric;

/** Defines a public mutation (transactional read/write, callable from clients). */
export const mutation: MutationBuilder<DataModel, "public"> = mutationGeneric;

/** Defines a mutation callable only from other Convex functions. */
export const internalMutation: MutationBuilder<DataModel, "internal"> = internalMutationGeneric;

/** Defines a public action (may have side effects, callable from clients). */
export const action: ActionBuilder<DataModel, "public"> = actionGeneric;

/** Defines an action callable only from other Convex functions. */
export const internalAction: ActionBuilder<DataModel, "internal"> = internalActionGeneric;

/** Defines an HTTP action, to be routed in \`http.ts\`. */
export const httpAction: HttpActionBuilder = httpActionGeneric;

/** Typed access to the environment variables. */
export const env: Env = (globalThis as unknown as { process: { env: Env } }).process.env;

/** The context passed to query functions. */
export type QueryCtx = GenericQueryCtx<DataModel>;

/** The context passed to mutation functions. */
export type MutationCtx = GenericMutationCtx<DataModel>;

/** The context passed to action functions. */
export type ActionCtx = GenericActionCtx<DataModel>;

/** Read access to the database, as in \`QueryCtx["db"]\`. */
export type DatabaseReader = GenericDatabaseReader<DataModel>;

/** Read/write access to the database, as in \`MutationCtx["db"]\`. */
export type DatabaseWriter = GenericDatabaseWriter<DataModel>;
`;
}

function apiTs(modules: ModuleFile[], children: ChildComponent[], by: string): string {
  const imports = modules
    .map((m) => `import type * as ${m.alias} from "../${m.modulePath}.js";`)
    .join("\n");
  const fullApiEntries = modules
    .map((m) => `${JSON.stringify(m.modulePath)}: typeof ${m.alias};`)
    .join("\n");
  const componentEntries = children
    .map(
      (child) =>
        `${JSON.stringify(child.name)}: import(${JSON.stringify(child.componentApi)}).ComponentApi<${JSON.stringify(child.name)}>;`,
    )
    .join("\n");
  return `${header("References to this directory's functions and mounted components.", by)}
${imports}

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

declare const fullApi: ApiFromModules<{
${fullApiEntries}
}>;

/**
 * References to the public functions, e.g. \`api.myModule.myFunction\`.
 */
export const api: FilterApi<typeof fullApi, FunctionReference<any, "public">> = anyApi as any;

/**
 * References to the internal functions, e.g. \`internal.myModule.myFunction\`.
 */
export const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">> = anyApi as any;

/** The components mounted by this directory's convex.config.ts. */
export const components = componentsGeneric() as unknown as {
${componentEntries}
};
`;
}

/** A module path segment or function name -> its public functions. */
interface ApiBranch {
  kind: "branch";
  children: Map<string, ApiBranch | ApiLeaf>;
}
interface ApiLeaf {
  kind: "leaf";
  fn: RegisteredFunction;
}

function componentTs(functions: RegisteredFunction[], by: string): string {
  const root: ApiBranch = { kind: "branch", children: new Map() };
  for (const fn of functions.filter((f) => f.isPublic)) {
    let branch = root;
    for (const segment of fn.modulePath.split("/")) {
      const next = branch.children.get(segment);
      if (next?.kind === "leaf") {
        throw new Error(`"${fn.modulePath}" clashes with function ${segment}`);
      }
      const child: ApiBranch = next ?? { kind: "branch", children: new Map() };
      branch.children.set(segment, child);
      branch = child;
    }
    if (branch.children.has(fn.name)) {
      throw new Error(`"${fn.modulePath}:${fn.name}" is defined twice`);
    }
    branch.children.set(fn.name, { kind: "leaf", fn });
  }
  return `${header("The `ComponentApi` type: this component's public functions.", by)}
import type { FunctionReference } from "convex/server";

/**
 * The API a parent app sees when it mounts this component, e.g. as the type
 * of \`components.myComponent\`. \`Name\` is the name it is mounted under.
 */
export type ComponentApi<Name extends string | undefined = string | undefined> = ${apiTreeToType(root)};
`;
}

function apiTreeToType(node: ApiBranch | ApiLeaf): string {
  if (node.kind === "leaf") return functionReferenceType(node.fn);
  const members = [...node.children.entries()]
    .sort(([a], [b]) => compareNames(a, b))
    .map(([key, child]) => `${propertyKey(key)}: ${apiTreeToType(child)};`);
  return `{ ${members.join(" ")} }`;
}

function functionReferenceType(fn: RegisteredFunction): string {
  const args = fn.args ? validatorToType(fn.args) : "any";
  const returns = fn.returns ? validatorToType(fn.returns) : "any";
  return `FunctionReference<"${fn.type}", "internal", ${args}, ${returns}, Name>`;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

function propertyKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// The Convex CLI sorts API members with this collation.
const nameCollator = new Intl.Collator("en-US", {
  usage: "sort",
  numeric: true,
  sensitivity: "case",
  ignorePunctuation: false,
  caseFirst: "false",
});

function compareNames(a: string, b: string): number {
  return nameCollator.compare(a, b);
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") ? file : relative;
}

function readIfExists(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

