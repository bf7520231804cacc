// The live market `accord dev` runs: the solver and every agent as its own `accord` process, talking over HTTP to the
// node, the indexer's API, the solver's API and the providers' results servers, on Hardhat's default accounts.
// Four providers (one sometimes returns wrong results, one sometimes goes silent), three job creators posting a steady
// stream of jobs on the demo modules, two mediators (one sometimes stays silent) and an operator quorum: four
// `accord operator` nodes in quorum 0 that judge the deals whose draw names the QuorumMediator (the parties trust it
// beside the two mediators) and, every 30 s, a square task so the quorum always has work. Nothing is scripted: every
// deal's path follows from the agents' own decisions. A process that exits is restarted (its journal carries it on).

import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network, parseEther, randomBytes, type Signer } from "ethers";
import type pino from "pino";
import type { AccordToken } from "../../typechain-types";
import { formatAgentConfig } from "../agents/config";
import { TaskManagerClient } from "../clients/quorum";
import { RegistryClient } from "../clients/registry";
import { SerialSigner } from "../clients/serial-signer";
import { readDeployment } from "../deployments/format";
import type { DealPricing, DealTimeouts } from "../model/types";
import { encryptKeystore, writeKeystore } from "../quorum/keystore";
import { randomBlsSecretKey } from "../quorum/bls";
import { squarePayload } from "../quorum/task-types";
import { hardhatAccount } from "./accounts";
import { LOCAL_NETWORK } from "./local-node";
import { createDemoModules } from "./modules";
import { ProcessSupervisor, type MarketProcess } from "./supervisor";

const TOKEN = 10n ** 18n;

/** Jobs a little smaller than the demo modules' examples: a few thousand to a few tens of thousands of steps. */
const SMALL_INPUTS: Record<string, Record<string, string>> = {
  primes: { below: "20000" },
  hashchain: { rounds: "2000" },
  wordcount: { words: "5000" },
};

/** Short timeouts, so that every timeout path happens within minutes. */
export const LIVE_TIMEOUTS: DealTimeouts = {
  agree: { timeout: 60n, collateral: 1n },
  submit_results: { timeout: 45n, collateral: 5n },
  judge_results: { timeout: 30n, collateral: 5n },
  mediate_results: { timeout: 45n, collateral: 1n },
};

/** TaskManager's aggregator slot on the dev network (what `accord dev` deploys with): a silent aggregator is
 * replaced within seconds, well inside the deals' 45-second mediate timeout. */
export const DEV_AGGREGATOR_SLOT = 4n;

/** How often the market's task creator asks the quorum for a square. */
const SQUARE_TASK_INTERVAL_MS = 30_000;

/** The operators' bond (the dev deployment's minimum, 100 tokens) and what they are funded with. */
const OPERATOR_FUNDS = 1_000n * TOKEN;

/** The devnet keystores' password; scrypt made cheap (2^14), so four nodes start in well under a second each. */
const OPERATOR_PASSWORD = "accord dev operator";
const DEV_SCRYPT = { n: 16384, r: 8, p: 1 };

export interface LiveMarketOptions {
  rpcUrl: string;
  deploymentPath: string;
  indexerUrl: string;
  token: AccordToken;
  /** Holds the token supply; funds the parties. */
  funder: Signer;
  /** Where the processes keep their state (emptied at start). */
  dir: string;
  host: string;
  solverPort: number;
  logger: pino.Logger;
  /** Passed to every process (e.g. --log-format json). */
  logArgs: string[];
  /** Where the processes' output goes (default: inherited). */
  stdio?: "inherit" | "ignore";
  /** The oracles keeping providers' job reports: the operators answer job-attestation tasks from them. */
  jobReportUrls?: string[];
}

export interface LiveMarket {
  solverUrl: string;
  processes: MarketProcess[];
  close(): Promise<void>;
}

function amounts(p: { price: number; collateral: number; multiple: number; fee: number }): DealPricing {
  return {
    instruction_price: BigInt(p.price),
    payment_collateral: BigInt(p.collateral),
    results_collateral_multiple: BigInt(p.multiple),
    mediation_fee: BigInt(p.fee),
  };
}

/** Starts the solver and the agents; resolves once the solver is registered and every agent is started. */
export async function startLiveMarket(options: LiveMarketOptions): Promise<LiveMarket> {
  const { logger } = options;
  fs.rmSync(options.dir, { recursive: true, force: true });
  fs.mkdirSync(options.dir, { recursive: true });
  const modules = await createDemoModules(path.join(options.dir, "modules"));

  // Accounts: #0 deploys, #1 solves, #2-#4 create jobs, #5-#8 provide, #9-#10 mediate.
  const solver = hardhatAccount(1);
  const jobCreators = [2, 3, 4].map(hardhatAccount);
  const providers = [5, 6, 7, 8].map(hardhatAccount);
  const mediators = [9, 10].map(hardhatAccount);
  // Providers escrow results collateral (a multiple of the job's cost), job creators the payment collateral.
  for (const [party, amount] of [
    ...jobCreators.map((p) => [p, 10_000_000n] as const),
    ...providers.map((p) => [p, 100_000_000n] as const),
  ]) {
    await (await options.token.connect(options.funder).transfer(party.address, amount * TOKEN)).wait();
  }
  const deployment = readDeployment(options.deploymentPath);
  // The QuorumMediator beside the two human mediators: a deal that names all three draws it a third of the time.
  const quorumMediator = deployment.contracts.QuorumMediator.address;
  const trust = { solver: solver.address, mediator: [...mediators.map((m) => m.address), quorumMediator] };

  const supervisor = new ProcessSupervisor(options);
  const supervise = supervisor.supervise.bind(supervisor);
  const common = ["--rpc", options.rpcUrl, "--deployment", options.deploymentPath];

  supervise(
    "solver",
    solver.address,
    [
      "solver",
      ...common,
      "--indexer",
      options.indexerUrl,
      "--host",
      options.host,
      "--port",
      String(options.solverPort),
      "--data-dir",
      path.join(options.dir, "solver-db"),
      "--sign-timeout",
      "15000",
      // The demo's modules are local repositories.
      "--allow-file-repos",
    ],
    { ACCORD_SOLVER_KEY: solver.privateKey },
  );
  const registry = await RegistryClient.fromDeployment(options.funder, deployment);
  const deadline = Date.now() + 60_000;
  let solverUrl = "";
  while (!solverUrl) {
    const entry = await registry.getService(solver.address).catch(() => undefined);
    if (entry?.registered && entry.roles.includes("Solver")) solverUrl = entry.url;
    else if (Date.now() > deadline) throw new Error("the market's solver did not register within 60 s");
    else await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const agent = (name: string, role: string, key: string, address: string, config: unknown): void => {
    const file = path.join(options.dir, `${name}.json`);
    fs.writeFileSync(file, formatAgentConfig(config));
    supervise(
      name,
      address,
      [
        "agent",
        role,
        ...common,
        "--indexer",
        options.indexerUrl,
        "--config",
        file,
        "--data-dir",
        path.join(options.dir, "agents", name),
        "--host",
        options.host,
      ],
      { ACCORD_AGENT_KEY: key },
    );
  };

  // Providers: two machines each, their own prices; #3 sometimes returns wrong results, #4 sometimes goes silent.
  // #1 and #2 sell their results by paid retrieval (1 KiB intervals, so the demo's small results take several
  // vouchers) and settle a channel themselves once it owes them enough; #3 and #4 give them away (no channel).
  const faults = [{}, {}, { wrongResults: 0.35 }, { silent: 0.3 }];
  const retrievalAsks = [
    { pricePerByte: 1000, paymentInterval: 1024, paymentIntervalIncrease: 1024, settleWhenOwed: 40_000_000 },
    { pricePerByte: 2000, unsealPrice: 50_000, paymentInterval: 1024, paymentIntervalIncrease: 512 },
    {},
    {},
  ];
  providers.forEach((wallet, i) => {
    agent(`provider-${i + 1}`, "resource-provider", wallet.privateKey, wallet.address, {
      trust,
      allowFileRepos: true,
      runTimeoutMs: 30_000,
      faults: faults[i],
      retrieval: retrievalAsks[i],
      machines: [0, 1].map((index) => ({
        index,
        spec: { cpu: 4000 * (i + 1), gpu: 0, ram: 8192 },
        pricing: amounts({ price: 1 + (i >> 1), collateral: 50_000, multiple: 2, fee: 10 }),
        timeouts: LIVE_TIMEOUTS,
      })),
    });
  });
  // Job creators: a steady stream over the demo modules; #3 sometimes goes silent on results.
  const policies = [{ sampleRate: 0.25 }, { sampleRate: 0.25 }, { sampleRate: 0.25, silent: 0.25 }];
  jobCreators.forEach((wallet, i) => {
    agent(`job-creator-${i + 1}`, "job-creator", wallet.privateKey, wallet.address, {
      trust,
      postIntervalMs: 4000 + 1000 * i,
      maxInFlight: 2,
      policy: policies[i],
      // Channels settle an hour after either side asks, so "settling within the hour" shows in GraphQL.
      retrieval: { maxPricePerByte: 5000, minDeposit: 20_000_000, settleDelay: 3600 },
      jobs: modules.map((m, j) => ({
        module: m.module,
        inputs: { ...m.inputs, ...SMALL_INPUTS[m.name] },
        spec: m.spec,
        mode: j === 0 ? "FixedPrice" : "MarketPrice",
        pricing: amounts({ price: 4, collateral: 50_000, multiple: 2, fee: 10 }),
        timeouts: LIVE_TIMEOUTS,
      })),
    });
  });
  // Mediators: #2 sometimes never decides. They read the deals' documents from the solver they trust.
  mediators.forEach((wallet, i) => {
    agent(`mediator-${i + 1}`, "mediator", wallet.privateKey, wallet.address, {
      trust: { solver: solver.address, mediator: [] },
      allowFileRepos: true,
      runTimeoutMs: 30_000,
      policy: i === 1 ? { silent: 0.3 } : {},
    });
  });
  await startOperators(options, supervise, common, solverUrl);
  const squares = await startSquareTasks(options, deployment.contracts.SquareTaskVerifier.address);
  logger.info({ solver: solverUrl, processes: supervisor.processes.map((p) => p.name) }, "live market started");

  return {
    solverUrl,
    processes: supervisor.processes,
    close: async () => {
      await squares.close();
      await supervisor.close();
    },
  };
}

/**
 * The operator quorum: accounts #17-#20 (the last of Hardhat's 20 funded accounts, and #20 from the same mnemonic,
 * given ETH here), each funded with the token for its bond, a BLS keystore generated into the market's directory, and
 * an `accord operator` in quorum 0 judging deals (--solver-url: the deals' documents; the demo's modules are local
 * repositories) and applying the QuorumMediator's verdicts.
 */
async function startOperators(
  options: LiveMarketOptions,
  supervise: ProcessSupervisor["supervise"],
  common: string[],
  solverUrl: string,
): Promise<void> {
  const operators = [17, 18, 19, 20].map(hardhatAccount);
  const funder = options.funder;
  for (const wallet of operators) {
    await (await options.token.connect(funder).transfer(wallet.address, OPERATOR_FUNDS)).wait();
    const eth = await funder.provider!.getBalance(wallet.address);
    if (eth < parseEther("10"))
      await (await funder.sendTransaction({ to: wallet.address, value: parseEther("100") })).wait();
  }
  const dir = path.join(options.dir, "operators");
  fs.mkdirSync(dir, { recursive: true });
  operators.forEach((wallet, i) => {
    const name = `operator-${i + 1}`;
    const keystore = path.join(dir, `${name}.keystore.json`);
    writeKeystore(keystore, encryptKeystore(randomBlsSecretKey(), OPERATOR_PASSWORD, { scrypt: DEV_SCRYPT }));
    supervise(
      name,
      wallet.address,
      [
        "operator",
        ...common,
        "--keystore",
        keystore,
        "--host",
        options.host,
        "--quorums",
        "0",
        "--state-dir",
        path.join(dir, name),
        "--solver-url",
        solverUrl,
        "--allow-file-repos",
        ...(options.jobReportUrls?.length ? ["--job-report-url", options.jobReportUrls.join(",")] : []),
      ],
      { ACCORD_OPERATOR_KEY: wallet.privateKey, ACCORD_OPERATOR_PASSWORD: OPERATOR_PASSWORD },
    );
  });
}

/**
 * Every 30 s, a square task for quorum 0 (checkable on chain by the SquareTaskVerifier), created by account #21 (given
 * ETH here; no other process sends from it), so GraphQL always shows tasks with responses.
 */
async function startSquareTasks(
  options: LiveMarketOptions,
  squareVerifier: string,
): Promise<{ close(): Promise<void> }> {
  const creator = hardhatAccount(21);
  await (await options.funder.sendTransaction({ to: creator.address, value: parseEther("100") })).wait();
  const provider = new JsonRpcProvider(options.rpcUrl, Network.from(LOCAL_NETWORK.chainId), {
    staticNetwork: true,
    pollingInterval: 250,
  });
  const tasks = await TaskManagerClient.fromDeployment(
    new SerialSigner(creator.connect(provider)),
    options.deploymentPath,
  );
  let running: Promise<void> | undefined;
  const create = async () => {
    // Small numbers, so the squares read well in GraphQL.
    const n = BigInt(randomBytes(2).reduce((a, b) => a * 256 + b, 0));
    try {
      const { taskId } = await tasks.createTask({
        quorum: 0,
        thresholdPercent: 67,
        responseWindow: 60,
        payload: squarePayload(n),
        verifier: squareVerifier,
      });
      options.logger.debug({ taskId, n: String(n) }, "square task created");
    } catch (error) {
      // Before the operators have registered, the quorum is empty (TaskManager_EmptyQuorum): the next one will do.
      options.logger.debug({ err: error }, "square task not created");
    }
  };
  const timer = setInterval(() => {
    if (!running) running = create().finally(() => (running = undefined));
  }, SQUARE_TASK_INTERVAL_MS);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
      provider.destroy();
    },
  };
}
