// Deploys AccordToken, DealMarket and ServiceRegistry and writes deployments/<network>.json.
//
//   npx hardhat run scripts/deploy.ts                      # the in-process network (deployments/hardhat.json)
//   npx hardhat run scripts/deploy.ts --network localhost  # a running `npx hardhat node`
//
// Environment: ACCORD_INITIAL_SUPPLY (whole tokens, default 1e9), ACCORD_DEPLOYMENTS_DIR (default ./deployments).
// For an Ignition deployment instead: npx hardhat ignition deploy ignition/modules/Accord.ts.

import hre from "hardhat";
import { deployAccord, DEFAULT_INITIAL_SUPPLY } from "../src/deployments";

function initialSupply(): bigint {
  const value = process.env.ACCORD_INITIAL_SUPPLY;
  if (value === undefined || value === "") return DEFAULT_INITIAL_SUPPLY;
  if (!/^\d+$/.test(value)) throw new Error(`ACCORD_INITIAL_SUPPLY must be a whole number of tokens, got ${value}`);
  return BigInt(value) * 10n ** 18n;
}

async function main(): Promise<void> {
  const { deployment, path } = await deployAccord(hre, {
    initialSupply: initialSupply(),
    write: { dir: process.env.ACCORD_DEPLOYMENTS_DIR || undefined },
    log: (message) => console.log(message),
  });
  console.log("");
  for (const [name, contract] of Object.entries(deployment.contracts)) {
    console.log(`${name.padEnd(16)} ${contract.address}  (block ${contract.blockNumber})`);
  }
  console.log(`\nWrote ${path}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
