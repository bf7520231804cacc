import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import type { SolcBuild } from "hardhat/types";
import "@nomicfoundation/hardhat-toolbox";

const SOLC_VERSION = "0.8.28";

// Hardhat downloads compilers from the internet; these machines only reach the npm registry, so
// compile with the solc-js build pinned in package.json (same version as `solidity.version`).
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return (await runSuper(args)) as SolcBuild;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: every Hardhat command loads this config, only compiling needs solc-js (and solc ships no types)
  const solc = require("solc") as { version(): string };
  const compilerPath = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");
  const build: SolcBuild = { compilerPath, isSolcJs: true, version: SOLC_VERSION, longVersion: solc.version() };
  return build;
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 1_000_000 },
      evmVersion: "prague",
      viaIR: true,
    },
  },
  networks: {
    hardhat: { hardfork: "prague", chainId: 31337 },
    localhost: { url: "http://127.0.0.1:8545", chainId: 31337 },
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  gasReporter: { enabled: process.env.REPORT_GAS === "true", currency: "USD" },
  mocha: { timeout: 120_000 },
};

export default config;
