#!/usr/bin/env bash
# Builds the subgraph offline: ABIs + manifest (prepare.js), the enum tables from the data model (enums.js, needs
# dist/ from the TypeScript build), AssemblyScript types (graph codegen), WebAssembly (graph build). Outputs subgraph/generated/ and subgraph/build/ (both gitignored).
# Usage: subgraph/scripts/build.sh [network] [--compile] [--deployments <file> | --no-deployment]
#   (arguments go to prepare.js; see there)
set -euo pipefail
cd "$(dirname "$0")/../.."

# graph-cli's oclif update check would query the npm registry on every run.
export GRAPH_SKIP_NEW_VERSION_CHECK=true

node subgraph/scripts/prepare.js "$@"
node subgraph/scripts/enums.js
# --skip-migrations: the manifest is current (specVersion 1.3.0, apiVersion 0.0.9); never rewrite it.
npx --no-install graph codegen subgraph/subgraph.yaml --output-dir subgraph/generated --skip-migrations
npx --no-install graph build subgraph/subgraph.yaml --output-dir subgraph/build --skip-migrations
