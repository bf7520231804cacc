#!/usr/bin/env node
// `npm run build`, and `prepare` (which `npm install` and `npm ci` run in a checkout, and `npm pack` before
// packing): the contracts (artifacts/ and the TypeChain factories in typechain-types/, with their ABIs and
// bytecode), then the TypeScript to dist/, which is what bin/accord.js and the package's exports load.
// Plain JavaScript on purpose: it must run before anything is built.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
// Hardhat asks for telemetry consent on a terminal; a build must never wait for input.
const env = { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" };

function step(what, script, args) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [require.resolve(script, { paths: [root] }), ...args], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  if (result.status !== 0) {
    console.error(
      `build: ${what} failed (${result.error ? result.error.message : `exit ${result.status ?? result.signal}`})`,
    );
    process.exit(result.status || 1);
  }
  if (process.env.ACCORD_BUILD_VERBOSE) console.error(`build: ${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const hardhat = "hardhat/internal/cli/bootstrap.js";
step("hardhat compile", hardhat, ["compile", "--quiet"]);
// Hardhat's cache may say the contracts are compiled while the TypeChain output is gone: regenerate it all.
if (!fs.existsSync(path.join(root, "typechain-types", "index.ts"))) step("hardhat typechain", hardhat, ["typechain"]);
step("tsc", "typescript/bin/tsc", ["-p", "tsconfig.build.json"]);

const expected = ["dist/src/index.js", "dist/src/bin/accord.js", "dist/typechain-types/index.js"];
const missing = expected.filter((file) => !fs.existsSync(path.join(root, file)));
if (missing.length > 0) {
  console.error(`build: missing after the build: ${missing.join(", ")}`);
  process.exit(1);
}
