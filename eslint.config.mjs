// ESLint (flat config). `npm run lint` runs it with --max-warnings 0; Prettier owns formatting
// (eslint-config-prettier, last, turns off every rule that would fight it).
//
// TypeScript is linted type-aware (typescript-eslint's recommendedTypeChecked, through the project service
// and tsconfig.json): the whole repository takes about 30 s of CPU (11 s without type information), well
// within budget for what it catches (floating promises, `any` leaking out of untyped APIs, unbound methods).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

/** `_`-prefixed names are deliberately unused (placeholders in signatures and destructuring). */
const unusedVars = [
  "error",
  {
    args: "after-used",
    argsIgnorePattern: "^_",
    varsIgnorePattern: "^_",
    caughtErrorsIgnorePattern: "^_",
    destructuredArrayIgnorePattern: "^_",
    ignoreRestSiblings: true,
  },
];

/** `x == null` (null or undefined) is the one loose comparison the code uses on purpose. */
const eqeqeq = ["error", "always", { null: "ignore" }];

export default defineConfig(
  globalIgnores(
    [
      "node_modules/",
      "artifacts/",
      "cache/",
      "typechain-types/",
      "dist/",
      "coverage/",
      "subgraph/generated/",
      "subgraph/build/",
      "subgraph/abis/",
      ".accord/",
      "deployments/",
      "ignition/deployments/",
      "bench/results/",
    ],
    "accord/generated (build output, generated code, local state)",
  ),

  {
    name: "accord/linter-options",
    // An eslint-disable that no longer suppresses anything is an error, not a silent leftover.
    linterOptions: { reportUnusedDisableDirectives: "error", reportUnusedInlineConfigs: "error" },
  },

  {
    name: "accord/typescript",
    files: ["**/*.ts"],
    ignores: ["subgraph/src/**"],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      "@typescript-eslint/no-unused-vars": unusedVars,
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { prefer: "type-imports", fixStyle: "inline-type-imports", disallowTypeAnnotations: false },
      ],
      eqeqeq,
      // Library code logs through pino (or not at all); console is for the CLI and scripts (below).
      "no-console": "error",
    },
  },

  {
    name: "accord/tests",
    files: ["test/**/*.ts"],
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    rules: {
      // chai's property assertions (`expect(x).to.be.true`, `.to.exist`, `.to.be.empty`) are expressions
      // whose getter performs the assertion; the rule cannot tell them from dead code.
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },

  {
    // The Graph's mappings are AssemblyScript (0.19, through graph-cli): TypeScript syntax, so the
    // typescript-eslint parser and its syntactic rules apply, but not type-aware linting (tsc does not
    // know AssemblyScript's i32/u8/changetype<T> builtins, and subgraph/generated/ exists only after
    // `graph codegen`). no-undef stays off for .ts files (typescript-eslint's default), which is what
    // lets those builtins through.
    name: "accord/subgraph-assemblyscript",
    // The test suite's subgraphs keep their AssemblyScript as .as (a .ts under test/ would be loaded by mocha and
    // type-checked by tsc).
    files: ["subgraph/src/**/*.ts", "test/**/fixture/src/**/*.as"],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      "@typescript-eslint/no-unused-vars": unusedVars,
      // AssemblyScript's `==` is the value comparison (BigInt, Bytes and string overload it); `===` is
      // reference identity there, so eqeqeq would turn correct comparisons into wrong ones.
      eqeqeq: "off",
      // AssemblyScript's parser rejects `import type` (AssemblyScript/assemblyscript#2317).
      "@typescript-eslint/consistent-type-imports": "off",
      "no-console": "error",
      // AssemblyScript's globals (i32, i64, assert, changetype…): typescript-eslint turns no-undef off for .ts
      // files only, so the .as sources need it said.
      "no-undef": "off",
      // An i64 literal is exact in AssemblyScript; the rule assumes JavaScript's doubles.
      "no-loss-of-precision": "off",
      "@typescript-eslint/no-loss-of-precision": "off",
    },
  },

  {
    name: "accord/javascript",
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: { "no-unused-vars": unusedVars, eqeqeq, "no-console": "error" },
  },
  {
    // package.json has no "type": .js files are CommonJS.
    name: "accord/javascript-commonjs",
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },

  {
    // Command-line programs: the console is their user interface.
    name: "accord/cli",
    files: ["bin/**", "src/bin/**", "scripts/**", "subgraph/scripts/**"],
    rules: { "no-console": "off" },
  },

  prettier,
);
