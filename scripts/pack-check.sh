#!/usr/bin/env bash
# Proves that the package as published works for a separate app:
#
#   1. builds dist/ if it is missing or older than src/ (--build: always),
#   2. `npm pack`s the package into a temp dir and checks the tarball holds
#      what the exports and src/test.ts need,
#   3. installs the tarball into a scratch app (files: scripts/pack-app/,
#      most as `*.tmpl` so the repo's tsc/eslint skip them; vitest.config.ts
#      as it is, since the README shows it) together with the exact
#      convex, convex-test, vitest, @edge-runtime/vm, vite and typescript
#      versions this repo has installed (no prettier, as in a bare app),
#   4. checks every export target exists in the installed package, generates
#      the app's convex/_generated/ with the package's own command
#      (`convex-workpool codegen`, then `--check`), then runs
#      `tsc --noEmit` (published types: ComponentApi, Workpool generics; once
#      more without skipLibCheck for the package's .d.ts) and `vitest run`
#      (convex-test + `register(t, name)` from convex-workpool/test).
#
# Nothing is written to the repository except dist/ (by the build). Exits
# non-zero, saying which step failed, on any failure.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATES="$REPO/scripts/pack-app"
START=$SECONDS

force_build=0
keep=0
for arg in "$@"; do
  case "$arg" in
    --build) force_build=1 ;;
    --keep) keep=1 ;; # leave the temp dir for debugging
    *)
      echo "usage: $0 [--build] [--keep]" >&2
      exit 2
      ;;
  esac
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/pack-check.XXXXXX")"
cleanup() {
  if [ "$keep" = 1 ]; then
    echo "pack-check: kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT

APP="$TMP/app"
LOG="$TMP/step.log"

fail() {
  echo "pack-check: FAILED: $1" >&2
  if [ -s "$LOG" ]; then
    echo "----- output -----" >&2
    cat "$LOG" >&2
    echo "------------------" >&2
  fi
  exit 1
}

# Runs "$@" with its output in $LOG, shown only if it fails.
step() {
  local what="$1"
  shift
  echo "pack-check: $what"
  : >"$LOG"
  "$@" >"$LOG" 2>&1 || fail "$what"
}

cd "$REPO"

# --- 1. build -----------------------------------------------------------------
if [ "$force_build" = 1 ] || [ ! -f dist/client/index.js ] ||
  [ -n "$(find src -newer dist/client/index.js -print -quit)" ]; then
  step "npm run build" npm run build
fi

# --- 2. pack ------------------------------------------------------------------
: >"$LOG"
echo "pack-check: npm pack"
npm pack --json --pack-destination "$TMP" >"$TMP/pack.json" 2>"$LOG" ||
  fail "npm pack"
# Tarball name, file count, and the files the published shape relies on.
PACK_INFO="$(
  node - "$TMP/pack.json" <<'EOF'
const fs = require("node:fs");
const [info] = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const files = new Set(info.files.map((f) => f.path));
const required = [
  "package.json",
  // ".", "./convex.config[.js]", "./_generated/component.js"
  "dist/client/index.js",
  "dist/client/index.d.ts",
  "dist/component/convex.config.js",
  "dist/component/convex.config.d.ts",
  "dist/component/_generated/component.d.ts",
  // bin: `convex-workpool codegen`
  "dist/cli/bin.js",
  "dist/cli/codegen.js",
  // "./test": TypeScript source; imports ./component/schema.js and globs
  // ./component/**/*.ts, _generated/ included (convex-test finds the
  // component's root by it).
  "src/test.ts",
  "src/component/schema.ts",
  "src/component/convex.config.ts",
  "src/component/_generated/api.ts",
  "src/component/_generated/server.ts",
  "src/component/_generated/dataModel.ts",
  "src/component/_generated/component.ts",
];
const missing = required.filter((f) => !files.has(f));
if (missing.length > 0) {
  console.error(`tarball ${info.filename} lacks: ${missing.join(", ")}`);
  process.exit(1);
}
// Every relative import of a shipped .js file must be shipped too. The
// TypeScript scanner finds imports (static and dynamic) and skips strings,
// such as the import lines the codegen command writes into files.
const ts = require("typescript");
const broken = [];
for (const file of files) {
  if (!file.startsWith("dist/") || !file.endsWith(".js")) continue;
  const text = fs.readFileSync(file, "utf8");
  const specs = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  for (const spec of specs.filter((s) => s.startsWith("."))) {
    const target = require("node:path").posix.join(file, "..", spec);
    if (!files.has(target)) broken.push(`${file} -> ${spec}`);
  }
}
if (broken.length > 0) {
  console.error(`tarball imports unshipped files:\n  ${broken.join("\n  ")}`);
  process.exit(1);
}
// Not fatal: tests shipped under src/ are dead weight, and src/test.ts's
// glob hands them to convex-test as (never loaded) component modules.
const shippedTests = [...files].filter((f) => /\.test(-d)?\.ts$/.test(f));
if (shippedTests.length > 0)
  console.error(`pack-check: warning: tarball ships tests: ${shippedTests.join(", ")}`);
console.log(`${info.filename} ${info.entryCount}`);
EOF
)" || fail "tarball contents"
read -r TARBALL FILE_COUNT <<<"$PACK_INFO"
[ -f "$TMP/$TARBALL" ] || fail "npm pack did not write $TMP/$TARBALL"

# --- 3. scratch app -----------------------------------------------------------
mkdir -p "$APP"
(cd "$TEMPLATES" && find . -type f) | while read -r rel; do
  mkdir -p "$APP/$(dirname "$rel")"
  cp "$TEMPLATES/$rel" "$APP/${rel%.tmpl}"
done

# package.json: the tarball plus exactly the versions installed here.
node - "$REPO" "$APP" "$TMP/$TARBALL" <<'EOF' || fail "writing package.json"
const fs = require("node:fs");
const path = require("node:path");
const [repo, app, tarball] = process.argv.slice(2);
const pinned = ["convex", "convex-test", "vitest", "@edge-runtime/vm", "vite", "typescript"];
const devDependencies = {};
for (const name of pinned) {
  const manifest = path.join(repo, "node_modules", name, "package.json");
  devDependencies[name] = JSON.parse(fs.readFileSync(manifest, "utf8")).version;
}
const pkg = {
  name: "pack-check-app",
  private: true,
  type: "module",
  dependencies: { "convex-workpool": `file:${tarball}` },
  devDependencies,
};
fs.writeFileSync(path.join(app, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
EOF

cd "$APP"
step "npm install (scratch app)" \
  npm install --no-audit --no-fund --prefer-offline --loglevel=error

# --- 4. checks in the app -----------------------------------------------------
step "export targets exist in the installed package" node - <<'EOF'
const fs = require("node:fs");
const path = require("node:path");
const dir = path.resolve("node_modules/convex-workpool");
const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
const targets = [];
const walk = (key, value) => {
  if (typeof value === "string") targets.push([key, value]);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) walk(`${key} ${k}`, v);
};
walk("exports", pkg.exports);
for (const field of ["main", "module", "types", "typings"])
  if (pkg[field]) targets.push([field, pkg[field]]);
const missing = targets.filter(([, t]) => !fs.existsSync(path.join(dir, t)));
for (const [key, t] of missing) console.error(`${key}: ${t} is not in the package`);
if (missing.length > 0) process.exit(1);
console.log(`${targets.length} targets ok`);
EOF

step "codegen (scratch app convex/_generated, the package's bin)" \
  ./node_modules/.bin/convex-workpool codegen
step "codegen --check (scratch app, files just written)" \
  ./node_modules/.bin/convex-workpool codegen --check
grep -q 'convex-workpool/_generated/component.js").ComponentApi<"mailPool">' \
  convex/_generated/api.ts ||
  fail "codegen: api.ts does not type components.mailPool with ComponentApi"

step "tsc --noEmit (scratch app)" ./node_modules/.bin/tsc --noEmit -p tsconfig.json
step "tsc --noEmit, published .d.ts not skipped (scratch app)" \
  ./node_modules/.bin/tsc --noEmit -p tsconfig.libcheck.json
step "vitest run (scratch app)" ./node_modules/.bin/vitest run

echo "pack-check: ok (tarball $TARBALL, $FILE_COUNT files, $((SECONDS - START))s)"
