// A whole market for the agents' end-to-end tests: an in-process Hardhat network served over HTTP (a block every
// 500 ms, so deadlines pass on an idle chain), Accord deployed, the indexer and its API, the solver (its API, its
// agreement submissions, its tracking of the indexer's deal events) and the demo modules; agents are made in this
// process (library objects) or run as `accord agent` processes, on Hardhat's default accounts.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider, Network, type HDNodeWallet } from "ethers";
import pino from "pino";
import {
  JobCreatorAgent,
  MediatorAgent,
  ResourceProviderAgent,
  type JobCreatorAgentOptions,
  type MediatorAgentOptions,
  type ResourceProviderAgentOptions,
} from "../../src/agents";
import { formatAgentConfig } from "../../src/agents/config";
import { startIndexing, type Indexing } from "../../src/bin/indexing";
import {
  GraphqlClient,
  JobCreatorClient,
  MediatorClient,
  RegistryClient,
  ResourceProviderClient,
  SerialSigner,
  SolverClient,
} from "../../src/clients";
import { deployAccord } from "../../src/deployments";
import { accordCommand, hardhatAccount } from "../../src/devnet/accounts";
import { LOCAL_NETWORK, startLocalNode, type LocalNode } from "../../src/devnet/local-node";
import { createDemoModules, type DemoModule } from "../../src/devnet/modules";
import { ProcessExecutor } from "../../src/executor";
import { openDriver, type SqlDriver } from "../../src/indexer";
import type { DealPricing, DealTimeouts } from "../../src/model/types";
import { ResultStore } from "../../src/results";
import {
  announceService,
  announceSolver,
  ClientAgreementChain,
  resolveIntakeRules,
  Solver,
  SolverApiClient,
  SolverState,
  serveSolver,
  trackDealsFromIndexer,
  type SolverServer,
} from "../../src/solver";
import type { IndexedDeal } from "../../src/agents";
import { collectJsonLines } from "../helpers/json-lines";

const TOKEN = 10n ** 18n;

/** Seconds each step may take: short, so the timeout paths run in seconds. */
export const TEST_TIMEOUTS: DealTimeouts = {
  agree: { timeout: 8n, collateral: 1n },
  submit_results: { timeout: 8n, collateral: 5n },
  judge_results: { timeout: 6n, collateral: 5n },
  mediate_results: { timeout: 8n, collateral: 1n },
};

export const TEST_PRICING: DealPricing = {
  instruction_price: 1n,
  payment_collateral: 50_000n,
  results_collateral_multiple: 2n,
  mediation_fee: 10n,
};

/** A random source answering `values` in order, then `rest`. */
export function draws(values: number[], rest = 0.99): () => number {
  let i = 0;
  return () => (i < values.length ? values[i++] : rest);
}

export interface Market {
  dir: string;
  rpcUrl: string;
  provider: JsonRpcProvider;
  deploymentPath: string;
  indexerUrl: string;
  indexer: GraphqlClient;
  solverUrl: string;
  solver: Solver;
  solverAddress: string;
  modules: DemoModule[];
  /** The deal timeouts the in-process agents offer. */
  timeouts: DealTimeouts;
  /** Accounts: job creators #2-#4, providers #5-#8, mediators #9-#10 (as npm start). */
  jobCreators: HDNodeWallet[];
  providers: HDNodeWallet[];
  mediators: HDNodeWallet[];
  logger: pino.Logger;
  /** The deal the indexer shows under `key`. */
  deal(
    key: string,
  ): Promise<IndexedDeal & { payments: { payee: string; amount: string; reason: string; direction: string }[] }>;
  /** Waits until the indexer shows a deal of `field` = `party` in one of `states`; returns it. */
  waitForDeal(
    field: "jobCreator" | "resourceProvider",
    party: string,
    states: string[],
    timeoutMs?: number,
  ): Promise<IndexedDeal>;
  resourceProvider(i: number, options?: Partial<ResourceProviderAgentOptions>): Promise<ResourceProviderAgent>;
  jobCreator(i: number, options?: Partial<JobCreatorAgentOptions>): Promise<JobCreatorAgent>;
  mediator(i: number, options?: Partial<MediatorAgentOptions>): Promise<MediatorAgent>;
  /** Writes an agent's config file for `accord agent`. */
  agentConfig(name: string, config: unknown): string;
  /** Runs `accord agent <role>` for `wallet` as its own process. */
  spawnAgent(role: string, wallet: HDNodeWallet, configFile: string, dataDir: string): AgentProcess;
  close(): Promise<void>;
}

export interface AgentProcess {
  child: ChildProcess;
  /** Resolves when a log line's msg is `msg` (after `from` lines seen). */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  logs(): Record<string, unknown>[];
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMarket(options: { signTimeoutMs?: number; timeouts?: DealTimeouts } = {}): Promise<Market> {
  const timeouts = options.timeouts ?? TEST_TIMEOUTS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-market-"));
  const logger = pino({ level: process.env.ACCORD_TEST_LOG ?? "silent" });
  const closers: (() => Promise<void>)[] = [];
  const node: LocalNode = await startLocalNode({ port: 0, intervalMiningMs: 500 });
  closers.push(() => node.close());
  const provider = new JsonRpcProvider(node.url, Network.from(LOCAL_NETWORK.chainId), {
    staticNetwork: true,
    pollingInterval: 100,
  });
  closers.push(() => Promise.resolve(provider.destroy()));
  const deployer = new SerialSigner(hardhatAccount(0).connect(provider));
  const deploymentPath = path.join(dir, "deployment.json");
  const { deployment, token } = await deployAccord(deployer, { network: "localhost", write: { path: deploymentPath } });

  const jobCreators = [2, 3, 4].map(hardhatAccount);
  const providers = [5, 6, 7, 8].map(hardhatAccount);
  const mediators = [9, 10].map(hardhatAccount);
  for (const party of [...jobCreators, ...providers]) {
    await (await token.connect(deployer).transfer(party.address, 10_000_000n * TOKEN)).wait();
  }

  const indexing: Indexing = await startIndexing({
    rpcUrl: node.url,
    deployment: deploymentPath,
    dataDir: path.join(dir, "index"),
    pgliteTemplate: null,
    pgliteThread: "main",
    pollIntervalMs: 100,
    heapHeadroomMiB: 0,
    host: "127.0.0.1",
    port: 0,
    logger,
  });
  closers.push(() => indexing.close());
  await indexing.indexer.start();
  const indexerUrl = indexing.server!.url;
  const indexer = new GraphqlClient(indexerUrl);
  closers.push(() => Promise.resolve(indexer.close()));

  const solverWallet = hardhatAccount(1);
  const solverSigner = new SerialSigner(solverWallet.connect(provider));
  const driver: SqlDriver = await openDriver({ dataDir: path.join(dir, "solver-db") });
  const rules = resolveIntakeRules({
    chainId: BigInt(LOCAL_NETWORK.chainId),
    solver: solverWallet.address,
    allowFileRepos: true,
  });
  const state = await SolverState.open(driver);
  const solver = await Solver.start({
    state,
    rules,
    chain: new ClientAgreementChain(await SolverClient.fromDeployment(solverSigner, deployment)),
    matchTimeoutMs: 30_000,
    signTimeoutMs: options.signTimeoutMs ?? 3000,
    retryDelayMs: 100,
  });
  const server: SolverServer = await serveSolver({ solver, state, rules, host: "127.0.0.1", port: 0, logger });
  const tracking = trackDealsFromIndexer(solver, new GraphqlClient(indexerUrl), solverWallet.address, logger);
  const tick = setInterval(() => {
    void solver.expire().catch(() => {});
    void solver.dropUnsigned().catch(() => {});
    void solver.syncChainClock().catch(() => {});
  }, 250);
  closers.push(async () => {
    clearInterval(tick);
    tracking.close();
    await server.close();
    await solver.close();
    await driver.close();
  });
  await announceSolver(await RegistryClient.fromDeployment(solverSigner, deployment), server.url);
  const modules = await createDemoModules(path.join(dir, "modules"));
  const trust = { solver: solverWallet.address, mediator: mediators.map((m) => m.address) };

  const signerOf = (wallet: HDNodeWallet) => new SerialSigner(wallet.connect(provider));
  const apiOf = (wallet: HDNodeWallet) =>
    new SolverApiClient(server.url, signerOf(wallet), {
      solver: solverWallet.address,
      chainId: BigInt(LOCAL_NETWORK.chainId),
    });
  const storeOf = async (name: string) => {
    const store = await ResultStore.open(path.join(dir, name, "results"));
    closers.push(() => store.close());
    return store;
  };
  const agents: { close(): Promise<void> }[] = [];
  closers.push(async () => {
    await Promise.allSettled(agents.map((a) => a.close()));
  });

  const processes: AgentProcess[] = [];
  closers.push(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
  });

  const market: Market = {
    dir,
    rpcUrl: node.url,
    provider,
    deploymentPath,
    indexerUrl,
    indexer,
    solverUrl: server.url,
    solver,
    solverAddress: solverWallet.address,
    modules,
    timeouts,
    jobCreators,
    providers,
    mediators,
    logger,
    async deal(key) {
      const { deal } = await indexer.request<{ deal: Awaited<ReturnType<Market["deal"]>> }>(
        `query ($id: ID!) { deal(id: $id) { id cid state resultsId instructionCount mediator payments { payee amount reason direction } } }`,
        { id: key },
      );
      return deal;
    },
    async waitForDeal(field, party, states, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const { deals } = await indexer.request<{ deals: IndexedDeal[] }>(
          `{ deals(where: { ${field}: "${party.toLowerCase()}" }, first: 100) { id cid state resultsId instructionCount mediator } }`,
        );
        const found = deals.find((d) => states.includes(d.state));
        if (found) return found;
        if (Date.now() > until) {
          throw new Error(
            `no deal of ${party} in ${states.join("/")} within ${timeoutMs} ms: ${JSON.stringify(deals)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async resourceProvider(i, overrides = {}) {
      const wallet = providers[i];
      const name = `provider-${i}`;
      const results = await storeOf(name);
      const agent = new ResourceProviderAgent({
        client: await ResourceProviderClient.fromDeployment(signerOf(wallet), deployment, { allowance: "unlimited" }),
        solver: apiOf(wallet),
        solverAddress: solverWallet.address,
        mediators: trust.mediator,
        indexerUrl,
        dataDir: path.join(dir, name),
        machines: [{ index: 0, spec: { cpu: 8000, gpu: 0, ram: 8192 }, pricing: TEST_PRICING, timeouts }],
        executor: new ProcessExecutor({ dir: path.join(dir, name, "executor"), results, allowFileRepos: true }),
        results,
        logger: logger.child({ agent: name }),
        tickMs: 250,
        ...overrides,
      });
      await agent.start();
      await announceService(
        await RegistryClient.fromDeployment(signerOf(wallet), deployment),
        "ResourceProvider",
        agent.url,
      );
      agents.push(agent);
      return agent;
    },
    async jobCreator(i, overrides = {}) {
      const wallet = jobCreators[i];
      const name = `job-creator-${i}`;
      const [primes] = modules;
      const agent = new JobCreatorAgent({
        client: await JobCreatorClient.fromDeployment(signerOf(wallet), deployment, { allowance: "unlimited" }),
        solver: apiOf(wallet),
        solverAddress: solverWallet.address,
        mediators: trust.mediator,
        registry: await RegistryClient.fromDeployment(signerOf(wallet), deployment),
        indexerUrl,
        dataDir: path.join(dir, name),
        results: await storeOf(name),
        nextJob: () => ({
          module: primes.module,
          inputs: { below: "5000" },
          spec: primes.spec,
          mode: "MarketPrice",
          pricing: TEST_PRICING,
          timeouts,
        }),
        postIntervalMs: 0,
        logger: logger.child({ agent: name }),
        tickMs: 250,
        ...overrides,
      });
      await agent.start();
      agents.push(agent);
      return agent;
    },
    async mediator(i, overrides = {}) {
      const wallet = mediators[i];
      const name = `mediator-${i}`;
      const results = await storeOf(name);
      const agent = new MediatorAgent({
        client: await MediatorClient.fromDeployment(signerOf(wallet), deployment),
        solver: apiOf(wallet),
        indexerUrl,
        dataDir: path.join(dir, name),
        executor: new ProcessExecutor({ dir: path.join(dir, name, "executor"), results, allowFileRepos: true }),
        logger: logger.child({ agent: name }),
        tickMs: 250,
        ...overrides,
      });
      await agent.start();
      agents.push(agent);
      return agent;
    },
    agentConfig(name, config) {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, formatAgentConfig({ trust, allowFileRepos: true, ...(config as object) }));
      return file;
    },
    spawnAgent(role, wallet, configFile, dataDir) {
      const { command, args } = accordCommand();
      const child = spawn(
        command,
        [
          ...args,
          "agent",
          role,
          "--rpc",
          node.url,
          "--deployment",
          deploymentPath,
          "--indexer",
          indexerUrl,
          "--config",
          configFile,
          "--data-dir",
          dataDir,
          "--log-format",
          "json",
          "--log-level",
          "debug",
        ],
        { env: { ...process.env, ACCORD_AGENT_KEY: wallet.privateKey }, stdio: ["ignore", "pipe", "pipe"] },
      );
      const output = collectJsonLines(child, role);
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const handle: AgentProcess = {
        child,
        logs: () => output.lines,
        waitForLog: (msg, timeoutMs = 60_000) => output.waitFor((line) => line.msg === msg, timeoutMs),
        async kill9() {
          child.kill("SIGKILL");
          await exited;
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill("SIGTERM");
          await exited;
        },
      };
      processes.push(handle);
      return handle;
    },
    async close() {
      for (const close of closers.reverse()) await close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return market;
}
