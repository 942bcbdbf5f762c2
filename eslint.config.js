// Lint: recommended sets of @eslint/js and type-aware typescript-eslint, plus
// Convex's rules, on the component, the client, the apps and the tests.
import js from "@eslint/js";
import convexPlugin from "@convex-dev/eslint-plugin";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/**", "node_modules/**", "**/_generated/**", "bench/results/**", "coverage/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // An un-awaited ctx.db or ctx.scheduler call silently drops work.
      "@typescript-eslint/no-floating-promises": "error",
      // Values crossing the Convex boundary are `any` by nature (v.any()).
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/component/**/*.ts", "example/convex/**/*.ts", "test/fixture/**/*.ts", "test/workflow/app/**/*.ts"],
    plugins: { "@convex-dev": convexPlugin },
    // The plugin's recommended config only matches `convex/` folders; apply
    // its rules to ours.
    rules: Object.assign({}, ...convexPlugin.configs.recommended.map((c) => c.rules ?? {})),
  },
  {
    // The functional core stays free of Convex: pure functions of their inputs.
    files: ["src/component/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["convex", "convex/*", "../_generated/*"] }],
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
