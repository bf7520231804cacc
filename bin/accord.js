#!/usr/bin/env node
// The `accord` command line: runs the built package (dist/, made by `npm run build`, which `npm install` runs in a
// checkout through the `prepare` script). Only runtime dependencies are needed.
"use strict";
const path = require("node:path");

const entry = path.join(__dirname, "..", "dist", "src", "bin", "accord.js");
let cli;
try {
  cli = require(entry);
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && String(error.message).includes(entry)) {
    console.error(
      `accord: ${path.relative(process.cwd(), entry) || entry} is missing; build the package first: npm run build`,
    );
    process.exit(1);
  }
  throw error;
}
cli
  .buildProgram()
  .parseAsync(process.argv)
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
