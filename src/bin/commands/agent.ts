// `accord agent job-creator | resource-provider | mediator`: one market agent for the account of ACCORD_AGENT_KEY,
// on the deployment's contracts, the indexer's API (--indexer) and the solver's (--solver-url, or the URL the solver
// registers in ServiceRegistry). Its state lives in --data-dir (a journal, the results, the module mirrors); killed
// and restarted, it reconciles with the chain and carries on. It registers its role (and a provider its results URL)
// in ServiceRegistry at start.
import type { Command } from "commander";
import { closeOnSignal, createLogger } from "../indexing";
import { isTerminal, logFlags, resolveAgent, type AgentFlags, type AgentSettings } from "../options";

export function registerAgent(program: Command): void {
  const command = program
    .command("agent <role>")
    .description("a market agent: job-creator, resource-provider or mediator (key in ACCORD_AGENT_KEY)")
    .option("--rpc <url>", "HTTP JSON-RPC endpoint")
    .option("--deployment <file|name>", "the deployment (a file, or a network name for deployments/<network>.json)")
    .option("--indexer <url>", "the indexer's GraphQL API")
    .option("--solver-url <url>", "the solver's GraphQL API (default: the URL its account registers)")
    .option("--config <file>", "the role's settings (JSON: trust, machines, jobs, policy, faults)")
    .option("--data-dir <dir>", "the agent's state (default .accord/agents/<role>-<address>)")
    .option("--host <host>", "resource provider: host of the results server")
    .option("--port <port>", "resource provider: port of the results server (default: any free one)")
    .option("--public-url <url>", "resource provider: the results URL to register (default the server's)");
  logFlags(command).action(async (role: string, flags: AgentFlags) => {
    await runAgent(resolveAgent(role, flags, process.env, isTerminal()));
  });
}

export async function runAgent(settings: AgentSettings): Promise<void> {
  const logger = createLogger(settings.log).child({ role: settings.role });
  /* eslint-disable @typescript-eslint/no-require-imports -- ethers, the clients and the agents only when it runs */
  const { JsonRpcProvider, Wallet } = require("ethers") as typeof import("ethers");
  const clients = require("../../clients") as typeof import("../../clients");
  const agents = require("../../agents") as typeof import("../../agents");
  const { announceService, SolverApiClient } = require("../../solver") as typeof import("../../solver");
  const { ProcessExecutor } = require("../../executor") as typeof import("../../executor");
  const { ResultStore } = require("../../results") as typeof import("../../results");
  const channels = require("../../channels") as typeof import("../../channels");
  const retrievalLib = require("../../retrieval") as typeof import("../../retrieval");
  /* eslint-enable @typescript-eslint/no-require-imports */

  const provider = new JsonRpcProvider(settings.rpcUrl, undefined, { pollingInterval: 250 });
  const wallet = new Wallet(settings.key, provider);
  const signer = new clients.SerialSigner(wallet);
  const options = { allowance: "unlimited" as const };
  const registry = await clients.RegistryClient.fromDeployment(signer, settings.deployment);
  const chainId = (await provider.getNetwork()).chainId;
  const { config } = settings;
  const solverAddress = config.trust?.solver;
  let solverUrl = settings.solverUrl;
  if (!solverUrl && solverAddress) {
    const entry = await registry.getService(solverAddress);
    if (!entry.registered || !/^https?:\/\//.test(entry.url)) {
      throw new Error(`the solver ${solverAddress} registers no URL in ServiceRegistry; pass --solver-url`);
    }
    solverUrl = entry.url;
  }
  if (!solverUrl) throw new Error("--solver-url is required (or a trust.solver that registers its URL)");
  const solver = new SolverApiClient(solverUrl, signer, { solver: solverAddress ?? wallet.address, chainId });
  const results = await ResultStore.open(`${settings.dataDir}/results`);
  const executor = () =>
    new ProcessExecutor({
      dir: `${settings.dataDir}/executor`,
      results,
      allowFileRepos: config.allowFileRepos,
      timeoutMs: config.runTimeoutMs,
    });
  const common = { solver, indexerUrl: settings.indexerUrl, dataDir: settings.dataDir, logger };

  // Paid retrieval of results: the provider's ask and voucher store (with the settler that redeems them), the job
  // creator's channel manager. Both on the deployment's PaymentChannels, in its token.
  const closers: (() => Promise<void> | void)[] = [];
  const channelsClient = () => clients.PaymentChannelsClient.fromDeployment(signer, settings.deployment, options);
  const retrieval = config.retrieval;

  let agent: { start(): Promise<void>; close(): Promise<void> };
  let role: "JobCreator" | "ResourceProvider" | "Mediator";
  let url = "";
  if (settings.role === "resource-provider") {
    const vouchers = await channels.VoucherStore.open({
      channels: await channelsClient(),
      dir: `${settings.dataDir}/vouchers`,
    });
    const settler = new channels.ChannelSettler({
      store: vouchers,
      settleWhenOwed: retrieval.settleWhenOwed,
      log: (message) => logger.info(message),
    });
    const provider = await retrievalLib.RetrievalProvider.open({
      store: results,
      dir: `${settings.dataDir}/retrieval`,
      ask: {
        pricePerByte: retrieval.pricePerByte,
        unsealPrice: retrieval.unsealPrice,
        paymentInterval: retrieval.paymentInterval,
        paymentIntervalIncrease: retrieval.paymentIntervalIncrease,
      },
      payee: await retrievalLib.VoucherStorePayee.open(vouchers),
      logger,
    });
    settler.start();
    closers.push(
      () => settler.stop(),
      () => provider.close(),
      () => vouchers.close(),
    );
    const rp = new agents.ResourceProviderAgent({
      ...common,
      client: await clients.ResourceProviderClient.fromDeployment(signer, settings.deployment, options),
      solverAddress: solverAddress!,
      mediators: config.trust!.mediator ?? [],
      machines: config.machines,
      executor: executor(),
      results,
      host: settings.host,
      port: settings.port,
      faults: config.faults,
      retrieval: provider,
    });
    agent = {
      start: async () => {
        await rp.start();
        url = settings.publicUrl ?? rp.url;
      },
      close: () => rp.close(),
    };
    role = "ResourceProvider";
  } else if (settings.role === "job-creator") {
    let next = 0;
    const manager = await channels.PayerChannelManager.open({
      channels: await channelsClient(),
      dir: `${settings.dataDir}/channels`,
      settleDelay: retrieval.settleDelay,
    });
    const retrievals = await retrievalLib.RetrievalClient.open({
      store: results,
      dir: `${settings.dataDir}/retrievals`,
      payer: new retrievalLib.ChannelManagerPayer(manager),
      logger,
    });
    closers.push(
      () => retrievals.close(),
      () => manager.close(),
    );
    agent = new agents.JobCreatorAgent({
      ...common,
      client: await clients.JobCreatorClient.fromDeployment(signer, settings.deployment, options),
      solverAddress: solverAddress!,
      mediators: config.trust!.mediator ?? [],
      registry,
      results,
      nextJob: () => config.jobs[next++ % config.jobs.length],
      postIntervalMs: config.postIntervalMs ?? 5000,
      maxInFlight: config.maxInFlight,
      policy: config.jobPolicy,
      retrieval: {
        client: retrievals,
        maxPricePerByte: retrieval.maxPricePerByte,
        minDeposit: retrieval.minDeposit,
      },
    });
    role = "JobCreator";
  } else {
    agent = new agents.MediatorAgent({
      ...common,
      client: await clients.MediatorClient.fromDeployment(signer, settings.deployment, options),
      executor: executor(),
      policy: config.mediatorPolicy,
    });
    role = "Mediator";
  }
  await agent.start();
  await announceService(registry, role, url);
  logger.info(
    { account: wallet.address, dataDir: settings.dataDir, solver: solverUrl, url: url || undefined },
    "agent ready",
  );
  closeOnSignal(async () => {
    await agent.close();
    for (const close of closers) await close();
    await results.close();
    provider.destroy();
  });
}
