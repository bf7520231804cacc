// solidity-coverage (`npx hardhat coverage`). It instruments through Hardhat's compile task, so it compiles with
// the solc-js build hardhat.config.ts pins (no compiler download; works offline).
// The contract suites alone measure the contracts:
//   npx hardhat coverage --testfiles "test/contracts/**/*.test.ts"
module.exports = {
  // Test doubles are not product code.
  skipFiles: ["mocks/"],
  // viaIR is on: keep the instrumented build light (optimizer steps off) so solc-js compiles it in reasonable time
  // and line mapping stays exact.
  irMinimum: true,
  // Instrumented calls are slower; the property tests need the room.
  mocha: { timeout: 600_000 },
};
