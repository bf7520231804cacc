// The live market `accord dev` runs: the solver and every agent as its own `accord` process, talking over HTTP to the
// node, the indexer's API, the solver's API and the providers' results servers, on Hardhat's default accounts.
// Four providers (one sometimes returns wrong results, one sometimes goes silent), three job creators posting a steady
// stream of jobs on the demo modules, two mediators (one sometimes stays silent). Nothing is scripted: every deal's
// path follows from the agents' own decisions. A process that exits is restarted (its journal carries it on).

import fs from "node:fs";
import path from "node:path";
import type { Signer } from "ethers";
import type pino from "pino";
import type { AccordToken } from "../../typechain-types";
import { formatAgentConfig } from "../agents/config";
import { RegistryClient } from "../clients/registry";
import { readDeployment } from "../deployments/format";
import type { DealPricing, DealTimeouts } from "../model/types";
import { hardhatAccount } from "./accounts";
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
  const trust = { solver: solver.address, mediator: mediators.map((m) => m.address) };

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
  const registry = await RegistryClient.fromDeployment(options.funder, readDeployment(options.deploymentPath));
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
  logger.info({ solver: solverUrl, processes: supervisor.processes.map((p) => p.name) }, "live market started");

  return { solverUrl, processes: supervisor.processes, close: () => supervisor.close() };
}
