#!/usr/bin/env node
// Prepares the subgraph for `graph codegen` / `graph build`:
//   1. extracts the contracts' ABIs from the Hardhat artifacts into subgraph/abis/<Contract>.json
//      (running `npx hardhat compile` first if an artifact is missing, or always with --compile);
//   2. renders subgraph/subgraph.template.yaml into subgraph/subgraph.yaml with the network, addresses and
//      start blocks of deployments/<network>.json ({chainId, network, contracts: {DealMarket: {address,
//      blockNumber}, ServiceRegistry: {...}, CapacityPools: {...}, PaymentChannels: {...}, OperatorRegistry: {...},
//      TaskManager: {...}, QuorumMediator: {...}, MachineRegistry: {...}, JobEscrow: {...}, QuorumJobOracle: {...}}}), or `hardhat`, the zero address and block 0 without that file;
//   3. checks that the manifest handles every event of the ABIs (except IGNORED_EVENTS) with its exact
//      signature, so a contract change that the mappings miss fails here, not silently at index time.
//
// Usage: node subgraph/scripts/prepare.js [network] [--compile] [--deployments <file> | --no-deployment]
//   network defaults to $ACCORD_NETWORK, then `hardhat`. --no-deployment ignores deployments/ and renders the
//   defaults (what is checked in as subgraph.yaml), e.g. for tests that must leave the tree unchanged.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const SUBGRAPH_DIR = path.resolve(__dirname, "..");
const ROOT = path.resolve(SUBGRAPH_DIR, "..");
const CONTRACTS = require("./data-sources");
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const DEFAULT_NETWORK = "hardhat";
/** Events no entity depends on. */
const IGNORED_EVENTS = new Set(["EIP712DomainChanged"]);

function fail(message) {
  console.error(`prepare: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = {
    network: process.env.ACCORD_NETWORK || DEFAULT_NETWORK,
    compile: false,
    deployments: null,
    useDeployment: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--compile") options.compile = true;
    else if (arg === "--no-deployment") options.useDeployment = false;
    else if (arg === "--deployments") {
      if (i + 1 >= argv.length) fail("--deployments needs a file");
      options.deployments = path.resolve(argv[++i]);
    } else if (arg === "-h" || arg === "--help") {
      console.log(
        "Usage: node subgraph/scripts/prepare.js [network] [--compile] [--deployments <file> | --no-deployment]",
      );
      process.exit(0);
    } else if (arg.startsWith("-")) fail(`unknown option ${arg}`);
    else options.network = arg;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(options.network)) fail(`invalid network name ${JSON.stringify(options.network)}`);
  return options;
}

const artifactPath = (name) => path.join(ROOT, "artifacts", "contracts", `${name}.sol`, `${name}.json`);

function compile() {
  console.log("prepare: npx hardhat compile");
  const run = spawnSync("npx", ["hardhat", "compile"], { cwd: ROOT, stdio: "inherit" });
  if (run.status !== 0) fail(`hardhat compile failed (${run.status ?? run.signal})`);
}

/** Writes `content` unless the file already holds it (keeps mtimes, and git, quiet). */
function writeIfChanged(file, content) {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === content) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return true;
}

/** The canonical type of an ABI parameter, tuples expanded: `(address,uint256[])[]`. */
function canonicalType(param) {
  if (!param.type.startsWith("tuple")) return param.type;
  return `(${param.components.map(canonicalType).join(",")})${param.type.slice("tuple".length)}`;
}

/** An event's signature as graph-cli writes it in manifests: `Name(indexed bytes32,uint256)`. */
const eventSignature = (event) =>
  `${event.name}(${event.inputs.map((i) => `${i.indexed ? "indexed " : ""}${canonicalType(i)}`).join(",")})`;

const isAddress = (value) => typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value);

function loadDeployment(file, network) {
  if (!fs.existsSync(file)) return null;
  let json;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    fail(`${path.relative(ROOT, file)} is not JSON: ${error.message}`);
  }
  if (json === null || typeof json !== "object" || typeof json.contracts !== "object" || json.contracts === null) {
    fail(`${path.relative(ROOT, file)} has no "contracts" object`);
  }
  const contracts = {};
  for (const name of CONTRACTS) {
    const entry = json.contracts[name];
    if (entry === undefined) {
      console.warn(`prepare: warning: ${path.relative(ROOT, file)} has no ${name}; using the zero address`);
      continue;
    }
    if (!isAddress(entry.address)) fail(`${name}.address in ${path.relative(ROOT, file)} is not an address`);
    const block = entry.blockNumber === undefined ? 0 : Number(entry.blockNumber);
    if (!Number.isSafeInteger(block) || block < 0) {
      fail(`${name}.blockNumber in ${path.relative(ROOT, file)} is not a block number`);
    }
    contracts[name] = { address: entry.address, startBlock: block };
  }
  const name = typeof json.network === "string" && json.network !== "" ? json.network : network;
  return { network: name, contracts };
}

function main() {
  const options = parseArgs(process.argv.slice(2));

  // 1. ABIs
  if (options.compile || CONTRACTS.some((name) => !fs.existsSync(artifactPath(name)))) compile();
  const abis = {};
  for (const name of CONTRACTS) {
    const artifact = JSON.parse(fs.readFileSync(artifactPath(name), "utf8"));
    if (!Array.isArray(artifact.abi)) fail(`${path.relative(ROOT, artifactPath(name))} has no abi`);
    abis[name] = artifact.abi;
    const out = path.join(SUBGRAPH_DIR, "abis", `${name}.json`);
    if (writeIfChanged(out, `${JSON.stringify(artifact.abi, null, 2)}\n`)) {
      console.log(`prepare: wrote ${path.relative(ROOT, out)}`);
    }
  }

  // 2. Manifest
  const deploymentFile = options.deployments ?? path.join(ROOT, "deployments", `${options.network}.json`);
  const deployment = options.useDeployment ? loadDeployment(deploymentFile, options.network) : null;
  const values = { network: deployment ? deployment.network : options.network };
  for (const name of CONTRACTS) {
    const contract = deployment?.contracts[name] ?? { address: ZERO_ADDRESS, startBlock: 0 };
    values[`${name}.address`] = contract.address;
    values[`${name}.startBlock`] = String(contract.startBlock);
  }
  const template = fs.readFileSync(path.join(SUBGRAPH_DIR, "subgraph.template.yaml"), "utf8");
  const manifest = template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (match, key) => {
    if (!(key in values)) fail(`subgraph.template.yaml: unknown placeholder ${match}`);
    return values[key];
  });
  const header = "# Generated by subgraph/scripts/prepare.js from subgraph.template.yaml; edit the template instead.\n";
  const body = manifest.replace(/^(#[^\n]*\n)+/, "");
  // A placeholder a formatter spaced out (`{ { network } }`, YAML flow mappings) would otherwise reach graph-cli.
  const leftover = body.match(/\{\s*\{[^}]*\}\s*\}/);
  if (leftover) fail(`subgraph.template.yaml: placeholder ${leftover[0]} not rendered (keep it as {{name}})`);
  if (writeIfChanged(path.join(SUBGRAPH_DIR, "subgraph.yaml"), header + body)) {
    console.log("prepare: wrote subgraph/subgraph.yaml");
  }
  console.log(
    `prepare: network ${values.network}` +
      (deployment ? ` from ${path.relative(ROOT, deploymentFile)}` : " (no deployment: zero addresses)") +
      CONTRACTS.map((name) => `, ${name} ${values[`${name}.address`]}@${values[`${name}.startBlock`]}`).join(""),
  );

  // 3. Every event handled with its exact signature
  const problems = [];
  for (const name of CONTRACTS) {
    const section = body.split(/\n {2}- kind: /).find((part) => new RegExp(`\\n    name: ${name}\\n`).test(part));
    if (!section) {
      problems.push(`no data source named ${name}`);
      continue;
    }
    const handled = new Set([...section.matchAll(/- event: (.+)\n/g)].map((m) => m[1].trim()));
    const signatures = new Set();
    for (const event of abis[name].filter((item) => item.type === "event")) {
      const signature = eventSignature(event);
      signatures.add(signature);
      if (!IGNORED_EVENTS.has(event.name) && !handled.has(signature)) {
        problems.push(`${name}: event ${signature} has no handler`);
      }
    }
    for (const signature of handled) {
      if (!signatures.has(signature)) problems.push(`${name}: handler for ${signature}, which the ABI lacks`);
    }
  }
  if (problems.length > 0) fail(`the manifest and the ABIs disagree:\n  ${problems.join("\n  ")}`);
}

main();
