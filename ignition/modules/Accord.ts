// `npx hardhat ignition deploy ignition/modules/Accord.ts [--network localhost]`
// Parameters (ignition/parameters.json or --parameters): { "Accord": { "initialSupply": "1000…" } }.
// scripts/deploy.ts deploys the same contracts without Ignition and writes deployments/<network>.json.

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { DEFAULT_INITIAL_SUPPLY } from "../../src/deployments/deploy";

const AccordModule = buildModule("Accord", (m) => {
  const deployer = m.getAccount(0);
  const initialSupply = m.getParameter("initialSupply", DEFAULT_INITIAL_SUPPLY);

  // The deployer receives the initial supply and owns the token's mint right.
  const token = m.contract("AccordToken", [deployer, initialSupply], { from: deployer });
  const market = m.contract("DealMarket", [token], { from: deployer });
  const registry = m.contract("ServiceRegistry", [], { from: deployer });
  const pools = m.contract("CapacityPools", [token], { from: deployer });
  const channels = m.contract("PaymentChannels", [], { from: deployer });

  return { token, market, registry, pools, channels };
});

export default AccordModule;
