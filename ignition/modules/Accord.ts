// `npx hardhat ignition deploy ignition/modules/Accord.ts [--network localhost]`
// Parameters (ignition/parameters.json or --parameters): { "Accord": { "initialSupply": "1000…", "minBond": "…",
// "unbondingDelay": "…", "aggregatorSlot": "…", "challengeWindow": "…", "acceptanceTimeout": "…",
// "attestationWindow": "…" } }.
// scripts/deploy.ts deploys the same contracts without Ignition and writes deployments/<network>.json.

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import {
  DEFAULT_ACCEPTANCE_TIMEOUT,
  DEFAULT_AGGREGATOR_SLOT,
  DEFAULT_ATTESTATION_WINDOW,
  DEFAULT_CHALLENGE_WINDOW,
  DEFAULT_INITIAL_SUPPLY,
  DEFAULT_JOB_ORACLE_QUORUM,
  DEFAULT_JOB_ORACLE_RESPONSE_WINDOW,
  DEFAULT_JOB_ORACLE_THRESHOLD,
  DEFAULT_MEDIATOR_QUORUM,
  DEFAULT_MEDIATOR_RESPONSE_WINDOW,
  DEFAULT_MEDIATOR_THRESHOLD,
  DEFAULT_MIN_BOND,
  DEFAULT_UNBONDING_DELAY,
} from "../../src/deployments/deploy";

const AccordModule = buildModule("Accord", (m) => {
  const deployer = m.getAccount(0);
  const initialSupply = m.getParameter("initialSupply", DEFAULT_INITIAL_SUPPLY);
  const minBond = m.getParameter("minBond", DEFAULT_MIN_BOND);
  const unbondingDelay = m.getParameter("unbondingDelay", DEFAULT_UNBONDING_DELAY);
  const aggregatorSlot = m.getParameter("aggregatorSlot", DEFAULT_AGGREGATOR_SLOT);
  const challengeWindow = m.getParameter("challengeWindow", DEFAULT_CHALLENGE_WINDOW);
  const acceptanceTimeout = m.getParameter("acceptanceTimeout", DEFAULT_ACCEPTANCE_TIMEOUT);
  const attestationWindow = m.getParameter("attestationWindow", DEFAULT_ATTESTATION_WINDOW);

  // The deployer receives the initial supply and owns the token's mint right.
  const token = m.contract("AccordToken", [deployer, initialSupply], { from: deployer });
  const market = m.contract("DealMarket", [token], { from: deployer });
  const registry = m.contract("ServiceRegistry", [], { from: deployer });
  const pools = m.contract("CapacityPools", [token], { from: deployer });
  const channels = m.contract("PaymentChannels", [], { from: deployer });
  // Operator quorums: bonds in the market's token; quorum 0 mediates deals (67% of its stake, 10 minutes).
  const operators = m.contract("OperatorRegistry", [token, minBond, unbondingDelay], { from: deployer });
  const tasks = m.contract("TaskManager", [operators, aggregatorSlot, challengeWindow], { from: deployer });
  const quorumMediator = m.contract(
    "QuorumMediator",
    [market, tasks, token, DEFAULT_MEDIATOR_QUORUM, DEFAULT_MEDIATOR_THRESHOLD, DEFAULT_MEDIATOR_RESPONSE_WINDOW],
    { from: deployer },
  );
  const squareVerifier = m.contract("SquareTaskVerifier", [], { from: deployer });
  // Provider onboarding: machines, the job escrow on the market's token, quorum 0 as a job oracle (67%, 10 minutes).
  const machines = m.contract("MachineRegistry", [], { from: deployer });
  const jobEscrow = m.contract("JobEscrow", [token, machines, acceptanceTimeout, attestationWindow], {
    from: deployer,
  });
  const jobOracle = m.contract(
    "QuorumJobOracle",
    [jobEscrow, tasks, DEFAULT_JOB_ORACLE_QUORUM, DEFAULT_JOB_ORACLE_THRESHOLD, DEFAULT_JOB_ORACLE_RESPONSE_WINDOW],
    { from: deployer },
  );

  return {
    token,
    market,
    registry,
    pools,
    channels,
    operators,
    tasks,
    quorumMediator,
    squareVerifier,
    machines,
    jobEscrow,
    jobOracle,
  };
});

export default AccordModule;
