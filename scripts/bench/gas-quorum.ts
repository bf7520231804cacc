// Gas of the operator quorums, for `npm run bench:gas` (scripts/bench/gas.ts writes it under `quorum`). For each
// quorum size (10, 50, 100 operators, each bonded MIN_BOND in quorum 0) a fresh OperatorRegistry and TaskManager
// are deployed; `register` is the last operator's registration (proof of possession checked on chain, a warm
// quorum aggregate); `createTask` a square task with a verifier; `respondToTask` the whole transaction with 0,
// 10% and 33% of the operators as non-signers. The check alone is `TaskManager.checkSignatures` measured with
// gasleft() by QuorumCheckHarness (no transaction or calldata cost). The marginal gas per non-signer is the
// slope of respondToTask between 0 and 33% non-signers at 100 operators. Tasks use a 50% threshold (33% of 50
// operators, rounded to 17, leaves 66% signed).
import hre from "hardhat";
import {
  createTask,
  deployQuorumContracts,
  makeOperators,
  registerOperator,
  signTaskResponse,
  squareResponse,
  send,
  mine,
  type QuorumFixture,
} from "../../test/helpers/quorum";
import { BLS_SIGNATURE_DST } from "../../src/quorum/bls";

const { ethers } = hre;

/** The targets of issue 11 (the BN254 reference's figures). */
export const QUORUM_TARGETS = { checkWith10Signers: 146_000, respondToTaskWith10Operators: 243_678 } as const;

export interface QuorumBench {
  deployGas: Record<string, number>;
  bytecodeSize: Record<string, number>;
  register: Record<string, number>;
  createTask: number;
  respondToTask: Record<string, number>;
  checkSignatures: Record<string, number>;
  hashToG1: number;
  marginalPerNonSigner: number;
  targets: typeof QUORUM_TARGETS & { checkWith10SignersMet: boolean; respondToTaskWith10OperatorsMet: boolean };
}

const SIZES = [10, 50, 100] as const;
const NON_SIGNER_SHARES = [0, 0.1, 0.33] as const;

export async function benchQuorum(marketAddress?: string): Promise<QuorumBench> {
  const deployGas: Record<string, number> = {};
  const bytecodeSize: Record<string, number> = {};
  const register: Record<string, number> = {};
  const respondToTask: Record<string, number> = {};
  const checkSignatures: Record<string, number> = {};
  let createTaskGas = 0;
  let hashToG1 = 0;

  for (const size of SIZES) {
    const ctx = await deployQuorumContracts();
    if (size === SIZES[0]) {
      for (const [name, contract] of [
        ["OperatorRegistry", ctx.registry],
        ["TaskManager", ctx.tasks],
        ["SquareTaskVerifier", ctx.square],
      ] as const) {
        deployGas[name] = Number((await contract.deploymentTransaction()!.wait())!.gasUsed);
      }
      const mediator = await ethers.deployContract("QuorumMediator", [
        marketAddress ?? ctx.tokenAddress,
        ctx.tasksAddress,
        ctx.tokenAddress,
        0,
        67,
        600,
      ]);
      deployGas.QuorumMediator = Number((await mediator.deploymentTransaction()!.wait())!.gasUsed);
      for (const name of ["OperatorRegistry", "TaskManager", "QuorumMediator", "SquareTaskVerifier"]) {
        const artifact = await hre.artifacts.readArtifact(name);
        bytecodeSize[name] = (artifact.deployedBytecode.length - 2) / 2;
      }
      hashToG1 = Number(await ctx.harness.measureHashToG1(ethers.id("bench"), ethers.toUtf8Bytes(BLS_SIGNATURE_DST)));
    }
    const operators = await makeOperators(ctx, size);
    let lastRegister = 0;
    for (const operator of operators) lastRegister = Number((await registerOperator(ctx, operator)).gasUsed);
    register[`${size} operators (the ${size}th)`] = lastRegister;
    await mine();
    const fixture: QuorumFixture = { ...ctx, operators };

    for (const share of NON_SIGNER_SHARES) {
      const nonSignerCount = Math.round(size * share);
      const task = await createTask(ctx, { verifier: ctx.squareAddress, thresholdPercent: 50 });
      if (size === SIZES[0] && share === 0) createTaskGas = Number(task.receipt.gasUsed);
      const response = squareResponse(7n);
      const { signature, digest } = await signTaskResponse(fixture, task, response, operators.slice(0, nonSignerCount));
      const label = `${size} operators, ${nonSignerCount} non-signers`;
      const measured = await ctx.harness.measureCheckSignatures(
        ctx.tasksAddress,
        digest,
        0,
        task.referenceBlock,
        signature,
      );
      checkSignatures[label] = Number(measured.gasUsed);
      const receipt = await send(ctx.tasks.respondToTask(task.taskId, response, signature));
      respondToTask[label] = Number(receipt.gasUsed);
    }
  }

  const top = SIZES[SIZES.length - 1];
  const most = Math.round(top * NON_SIGNER_SHARES[NON_SIGNER_SHARES.length - 1]);
  const marginalPerNonSigner = Math.round(
    (respondToTask[`${top} operators, ${most} non-signers`] - respondToTask[`${top} operators, 0 non-signers`]) / most,
  );
  const check10 = checkSignatures[`${SIZES[0]} operators, 0 non-signers`];
  const respond10 = respondToTask[`${SIZES[0]} operators, 0 non-signers`];
  return {
    deployGas,
    bytecodeSize,
    register,
    createTask: createTaskGas,
    respondToTask,
    checkSignatures,
    hashToG1,
    marginalPerNonSigner,
    targets: {
      ...QUORUM_TARGETS,
      checkWith10SignersMet: check10 <= QUORUM_TARGETS.checkWith10Signers,
      respondToTaskWith10OperatorsMet: respond10 < QUORUM_TARGETS.respondToTaskWith10Operators,
    },
  };
}

/** Prints the bench's figures as tables. */
export function printQuorumBench(bench: QuorumBench): void {
  const rows: Record<string, { checkSignatures: number; respondToTask: number }> = {};
  for (const label of Object.keys(bench.respondToTask)) {
    rows[label] = { checkSignatures: bench.checkSignatures[label], respondToTask: bench.respondToTask[label] };
  }
  console.table(rows);
  console.table({
    ...bench.register,
    createTask: bench.createTask,
    hashToG1: bench.hashToG1,
    marginalPerNonSigner: bench.marginalPerNonSigner,
  });
  console.table(bench.deployGas);
  console.log(
    `quorum targets: check alone (10 signers) ≤ ${QUORUM_TARGETS.checkWith10Signers}: ${bench.targets.checkWith10SignersMet}; ` +
      `respondToTask (10 operators) < ${QUORUM_TARGETS.respondToTaskWith10Operators}: ${bench.targets.respondToTaskWith10OperatorsMet}`,
  );
}
