#!/usr/bin/env node
// Runs the TypeScript sources directly (transpile-only), as Hardhat does for its config and scripts.
require("ts-node").register({
  transpileOnly: true,
  project: require("node:path").join(__dirname, "..", "tsconfig.json"),
});
require("../src/bin/accord.ts")
  .buildProgram()
  .parseAsync(process.argv)
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
