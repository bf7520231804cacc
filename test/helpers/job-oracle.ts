// The QuorumJobOracle fixture: a 3-operator quorum's TaskManager, a registry with the provider's machine, a JobEscrow on
// the quorum's token and a QuorumJobOracle (quorum 0, 67 %, WINDOW-second responses) with one completed job whose
// oracle set is the QuorumJobOracle. Used by test/contracts/QuorumJobOracle and the escrow clients' tests.
import { ethers } from "hardhat";
import { MaxUint256 } from "ethers";

import {
  ACCEPTANCE_TIMEOUT,
  ATTESTATION_WINDOW,
  MACHINE_SALT,
  MAX_PRICE,
  TIME_LIMIT,
  contractSet,
  makeSpec,
} from "./escrow";
import { mine, quorumFixtureOf, send } from "./quorum";

/** The oracle's response window, in seconds. */
export const WINDOW = 600n;

export async function oracleFixture() {
  const quorum = await quorumFixtureOf(3);
  const [, , provider, requester] = await ethers.getSigners();
  const registry = await ethers.deployContract("MachineRegistry");
  const escrow = await ethers.deployContract("JobEscrow", [
    quorum.tokenAddress,
    await registry.getAddress(),
    ACCEPTANCE_TIMEOUT,
    ATTESTATION_WINDOW,
  ]);
  const escrowAddress = await escrow.getAddress();
  const oracle = await ethers.deployContract("QuorumJobOracle", [escrowAddress, quorum.tasksAddress, 0, 67, WINDOW]);
  const oracleAddress = await oracle.getAddress();
  await send(quorum.token.connect(quorum.deployer).mint(requester.address, 10n ** 24n));
  await send(quorum.token.connect(requester).approve(escrowAddress, MaxUint256));
  await send(registry.connect(provider).register(MACHINE_SALT, makeSpec()));
  const machineId = await registry.machineId(provider.address, MACHINE_SALT);
  let counter = 0;
  const openJob = async (set = contractSet(oracleAddress)) => {
    const salt = ethers.id(`job-${counter++}`);
    await send(escrow.connect(requester).open(salt, machineId, TIME_LIMIT, MAX_PRICE, set));
    return escrow.jobId(requester.address, salt);
  };
  const completedJob = async (runSeconds = 600n) => {
    const jobId = await openJob();
    await send(escrow.connect(provider).accept(jobId));
    await send(escrow.connect(provider).reportCompletion(jobId, runSeconds));
    return jobId;
  };
  const jobId = await completedJob();
  await mine();
  return {
    quorum,
    provider,
    requester,
    registry,
    escrow,
    escrowAddress,
    oracle,
    oracleAddress,
    machineId,
    jobId,
    openJob,
    completedJob,
  };
}
