// Gas of every deal path on the in-process network: `npm run bench:gas` → bench/results/gas.json.
// Each scenario starts from the same snapshot: contracts deployed, parties holding tokens and having approved
// the market (approvals excluded), the market holding nothing (its token balance slot is cold and zero, the
// most expensive case for the first escrow). Under automine every transaction is its own block, so a mediator
// acts in a later block than checkResult, as it must (the draw comes from the hash of checkResult's block).
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";
import { DEAL_AGREEMENT_TYPES, dealMarketDomain, type OnChainDealTerms } from "../../src/clients/terms";
import { ACCORD_CONTRACT_NAMES } from "../../src/deployments/format";
import { BLOCKHASH_WINDOW, dealKey, mediatorDrawIndex } from "../../src/model";
import { AccordToken__factory, DealMarket__factory } from "../../typechain-types";
import { benchCapacityPools } from "./gas-pools";
import { benchPaymentChannels } from "./gas-channels";
import { benchQuorum, printQuorumBench } from "./gas-quorum";
import { benchEscrow } from "./gas-escrow";

const { ethers, network } = hre;

/** The Go reference market (its v1 Hardhat contracts), one happy-path deal, as measured for the core issue. */
const ANCHOR_HAPPY_PATH_GAS = 1_768_759;
const TOKEN = 10n ** 18n;
const INSTRUCTIONS = 1_000_000n;

const hex = (address: string) => address as `0x${string}`;

interface Step {
  name: string;
  gas: number;
}

async function main() {
  const [deployer, jobCreator, provider, solver, mediatorA, mediatorB, customer, sponsor, farmer] =
    await ethers.getSigners();
  const deployments: Record<string, number> = {};
  const deploy = async (name: string, args: unknown[]) => {
    const contract = await ethers.deployContract(name, args);
    const receipt = await contract.deploymentTransaction()!.wait();
    deployments[name] = Number(receipt!.gasUsed);
    return contract.getAddress();
  };
  const token = AccordToken__factory.connect(await deploy("AccordToken", [deployer.address, 10n ** 30n]), deployer);
  const marketAddress = await deploy("DealMarket", [await token.getAddress()]);
  const market = DealMarket__factory.connect(marketAddress, deployer);
  await deploy("ServiceRegistry", []);
  for (const party of [jobCreator, provider]) {
    await (await token.transfer(party.address, 1_000_000n * TOKEN)).wait();
    await (await token.connect(party).approve(marketAddress, ethers.MaxUint256)).wait();
  }

  const terms: OnChainDealTerms = {
    members: {
      jobCreator: hex(jobCreator.address),
      resourceProvider: hex(provider.address),
      solver: hex(solver.address),
      mediators: [hex(mediatorA.address)],
    },
    pricing: {
      instructionPrice: 10n ** 12n, // job cost 1 token for INSTRUCTIONS
      paymentCollateral: 5n * TOKEN,
      resultsCollateralMultiple: 2n,
      mediationFee: TOKEN / 2n,
    },
    timeouts: {
      agree: 600n,
      submitResults: 3600n,
      judgeResults: 3600n,
      mediateResults: 3600n,
      agreeCollateral: TOKEN,
      submitResultsCollateral: TOKEN,
      judgeResultsCollateral: TOKEN,
      mediateResultsCollateral: TOKEN,
    },
  };
  const domain = dealMarketDomain((await ethers.provider.getNetwork()).chainId, marketAddress);
  let dealCounter = 0;

  const run = async (steps: Step[], name: string, tx: Promise<ContractTransactionResponse>) => {
    const receipt = await (await tx).wait();
    steps.push({ name, gas: Number(receipt!.gasUsed) });
  };
  const as = (signer: Signer) => market.connect(signer);
  const mine = async (blocks: number) => {
    await network.provider.send("hardhat_mine", [ethers.toQuantity(blocks)]);
  };
  const advance = async (seconds: bigint) => {
    await network.provider.send("evm_increaseTime", [Number(seconds) + 1]);
    await network.provider.send("evm_mine", []);
  };
  /** The drawn mediator, as off-chain readers find it: from the hash of the block of the last MediationRequested. */
  const mediatorOf = async (dealId: string) => {
    const key = dealKey(dealId, terms.members.jobCreator, terms.members.resourceProvider);
    const events = await market.queryFilter(market.filters.MediationRequested(key));
    const event = events[events.length - 1];
    const index = mediatorDrawIndex(event.blockHash, key, terms.members.mediators.length);
    const address = terms.members.mediators[index];
    return { index, signer: [mediatorA, mediatorB].find((m) => m.address === address)! };
  };

  /** One-transaction agreement, submitted by `submitter`; a submitting party needs no signature of its own. */
  const agreeOneTx = async (steps: Step[], submitter: Signer = jobCreator) => {
    const dealId = ethers.id(`deal-${++dealCounter}`);
    const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 3600n;
    const value = { dealId, terms, deadline };
    const sign = async (party: Signer) =>
      party === submitter ? "0x" : party.signTypedData(domain, DEAL_AGREEMENT_TYPES, value);
    await run(
      steps,
      `agreeWithSignatures (by ${submitter === solver ? "solver" : "job creator"})`,
      as(submitter).agreeWithSignatures(dealId, terms, deadline, await sign(jobCreator), await sign(provider)),
    );
    return dealId;
  };
  const agreeTwoStep = async (steps: Step[]) => {
    const dealId = ethers.id(`deal-${++dealCounter}`);
    await run(steps, "agree (job creator)", as(jobCreator).agree(dealId, terms));
    await run(steps, "agree (resource provider)", as(provider).agree(dealId, terms));
    return dealId;
  };
  const addResult = (steps: Step[], dealId: string) =>
    run(steps, "addResult", as(provider).addResult(dealId, terms, ethers.id("results"), INSTRUCTIONS));
  const checkResult = (steps: Step[], dealId: string) =>
    run(steps, "checkResult", as(jobCreator).checkResult(dealId, terms, INSTRUCTIONS));

  const scenarios: Record<string, (steps: Step[]) => Promise<void>> = {
    happyPath: async (steps) => {
      const dealId = await agreeOneTx(steps);
      await addResult(steps, dealId);
      await run(steps, "acceptResult", as(jobCreator).acceptResult(dealId, terms, INSTRUCTIONS));
    },
    happyPathSolverSubmits: async (steps) => {
      const dealId = await agreeOneTx(steps, solver);
      await addResult(steps, dealId);
      await run(steps, "acceptResult", as(jobCreator).acceptResult(dealId, terms, INSTRUCTIONS));
    },
    happyPathTwoStep: async (steps) => {
      const dealId = await agreeTwoStep(steps);
      await addResult(steps, dealId);
      await run(steps, "acceptResult", as(jobCreator).acceptResult(dealId, terms, INSTRUCTIONS));
    },
    happyPathBusyMarket: async (steps) => {
      // Another deal's escrow already sits in the market (its setup is not counted).
      await agreeOneTx([]);
      const dealId = await agreeOneTx(steps);
      await addResult(steps, dealId);
      await run(steps, "acceptResult", as(jobCreator).acceptResult(dealId, terms, INSTRUCTIONS));
    },
    mediationAccept: async (steps) => {
      const dealId = await agreeOneTx(steps);
      await addResult(steps, dealId);
      await checkResult(steps, dealId);
      const mediator = await mediatorOf(dealId);
      await run(steps, "mediationAcceptResult", as(mediator.signer).mediationAcceptResult(dealId, terms, INSTRUCTIONS));
    },
    mediationReject: async (steps) => {
      const dealId = await agreeOneTx(steps);
      await addResult(steps, dealId);
      await checkResult(steps, dealId);
      const mediator = await mediatorOf(dealId);
      await run(steps, "mediationRejectResult", as(mediator.signer).mediationRejectResult(dealId, terms, INSTRUCTIONS));
    },
    timeoutAgree: async (steps) => {
      const dealId = ethers.id(`deal-${++dealCounter}`);
      await run(steps, "agree (job creator)", as(jobCreator).agree(dealId, terms));
      await advance(terms.timeouts.agree);
      await run(steps, "timeoutAgree", as(jobCreator).timeoutAgree(dealId, terms));
    },
    timeoutSubmitResults: async (steps) => {
      const dealId = await agreeOneTx(steps);
      await advance(terms.timeouts.submitResults);
      await run(steps, "timeoutSubmitResults", as(jobCreator).timeoutSubmitResults(dealId, terms));
    },
    timeoutJudgeResults: async (steps) => {
      const dealId = await agreeOneTx(steps);
      await addResult(steps, dealId);
      await advance(terms.timeouts.judgeResults);
      await run(steps, "timeoutJudgeResults", as(provider).timeoutJudgeResults(dealId, terms, INSTRUCTIONS));
    },
    timeoutMediateResults: async (steps) => {
      const dealId = await agreeOneTx(steps);
      await addResult(steps, dealId);
      await checkResult(steps, dealId);
      await advance(terms.timeouts.mediateResults);
      await run(steps, "timeoutMediateResults", as(jobCreator).timeoutMediateResults(dealId, terms, INSTRUCTIONS));
    },
    drawMediator: async (steps) => {
      // The drawn mediator fixes its draw on chain (to decide after the 256 kept block hashes), then accepts.
      const dealId = await agreeOneTx(steps);
      await addResult(steps, dealId);
      await checkResult(steps, dealId);
      const mediator = await mediatorOf(dealId);
      await run(steps, "drawMediator (fix)", as(mediator.signer).drawMediator(dealId, terms, INSTRUCTIONS));
      await mine(BLOCKHASH_WINDOW + 1);
      await run(
        steps,
        "mediationAcceptResult (fixed draw)",
        as(mediator.signer).mediationAcceptResult(dealId, terms, INSTRUCTIONS),
      );
    },
    drawMediatorRedraw: async (steps) => {
      // Nobody fixed the draw within 256 blocks: anyone draws again, then the new mediator accepts.
      const dealId = await agreeOneTx(steps);
      await addResult(steps, dealId);
      await checkResult(steps, dealId);
      await mine(BLOCKHASH_WINDOW + 1);
      await run(steps, "drawMediator (redraw)", as(provider).drawMediator(dealId, terms, INSTRUCTIONS));
      const mediator = await mediatorOf(dealId);
      await run(steps, "mediationAcceptResult", as(mediator.signer).mediationAcceptResult(dealId, terms, INSTRUCTIONS));
    },
  };

  const results: Record<string, { total: number; transactions: Step[] }> = {};
  let snapshot = (await network.provider.send("evm_snapshot", [])) as string;
  for (const [name, scenario] of Object.entries(scenarios)) {
    // A snapshot is consumed by reverting to it: take a fresh one each time.
    await network.provider.send("evm_revert", [snapshot]);
    snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    const steps: Step[] = [];
    await scenario(steps);
    results[name] = { total: steps.reduce((sum, s) => sum + s.gas, 0), transactions: steps };
  }

  // CapacityPools from the deal scenarios' last state (they left the snapshot reverted to the start).
  await network.provider.send("evm_revert", [snapshot]);
  const capacityPools = await benchCapacityPools(await token.getAddress(), deployer, {
    customer,
    sponsor,
    provider: farmer,
    submitter: solver,
  });
  deployments.CapacityPools = capacityPools.deployGas;
  // PaymentChannels, on its own deployment (it restores the state it started from).
  const [payer, payee, stranger] = (await ethers.getSigners()).slice(9, 12);
  const paymentChannels = await benchPaymentChannels(await token.getAddress(), deployer, { payer, payee, stranger });
  deployments.PaymentChannels = paymentChannels.deployGas;
  // Operator quorums, on their own deployments (10, 50 and 100 operators).
  const quorum = await benchQuorum(await market.getAddress());
  Object.assign(deployments, quorum.deployGas);
  // Provider onboarding and the job escrow, on their own deployment (it restores the state it started from).
  const [escrowProvider, escrowRequester, escrowStranger] = (await ethers.getSigners()).slice(12, 15);
  const escrow = await benchEscrow(await token.getAddress(), deployer, {
    provider: escrowProvider,
    requester: escrowRequester,
    stranger: escrowStranger,
  });
  Object.assign(deployments, escrow.deployGas);

  const contractSizes: Record<string, number> = {};
  for (const name of ACCORD_CONTRACT_NAMES) {
    const artifact = await hre.artifacts.readArtifact(name);
    contractSizes[name] = (artifact.deployedBytecode.length - 2) / 2;
  }

  const happy = results.happyPath.total;
  const output = {
    network: network.name,
    hardfork: "hardfork" in network.config ? network.config.hardfork : undefined,
    anchor: { happyPathGas: ANCHOR_HAPPY_PATH_GAS, source: "Go reference market v1 contracts" },
    happyPathRatioToAnchor: Number((happy / ANCHOR_HAPPY_PATH_GAS).toFixed(4)),
    targets: { happyPathGoal: 177_000, happyPathLimit: 265_000 },
    scenarios: results,
    capacityPools: capacityPools.scenarios,
    paymentChannels: {
      gas: paymentChannels.summary,
      bytecodeSize: paymentChannels.bytecodeSize,
      scenarios: paymentChannels.scenarios,
    },
    quorum,
    escrow: { gas: escrow.summary, bytecodeSize: escrow.bytecodeSize, scenarios: escrow.scenarios },
    deployment: deployments,
    contractSizes: { ...contractSizes, limit: 24_576 },
  };
  const file = path.join(__dirname, "..", "..", "bench", "results", "gas.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(output, null, 2) + "\n");

  console.table(
    Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        { total: r.total, transactions: r.transactions.map((t) => `${t.name} ${t.gas}`).join(", ") },
      ]),
    ),
  );
  console.table(
    Object.fromEntries(
      Object.entries(capacityPools.scenarios).map(([name, r]) => [
        name,
        { total: r.total, transactions: r.transactions.map((t) => `${t.name} ${t.gas}`).join(", ") },
      ]),
    ),
  );
  console.table(paymentChannels.summary);
  printQuorumBench(quorum);
  console.table(escrow.summary);
  console.table(deployments);
  console.table(contractSizes);
  console.log(
    `happyPath ${happy} gas = ${(100 * output.happyPathRatioToAnchor).toFixed(1)}% of the anchor's ${ANCHOR_HAPPY_PATH_GAS}`,
  );
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
