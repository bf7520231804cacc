// `accord solver`: the offer book and solver, with its GraphQL API (src/solver/api.ts), its state in PGlite
// (--data-dir, default .accord/solver-db) or PostgreSQL (--database / DATABASE_URL, its own SQL schema). With a
// deployment that has a MachineRegistry (--deployment and --rpc), it reads onboarded machines there: resource offers
// may name theirs, and leave the book when it changes (its events, followed from the chain).
import type { Command } from "commander";
import { closeOnSignal, createLogger } from "../indexing";
import {
  isTerminal,
  logFlags,
  resolveSolver,
  SOLVER_DEFAULTS,
  storeFlags,
  type SolverFlags,
  type SolverSettings,
} from "../options";

/** How often job offers past their match timeout are expired (ms). */
const EXPIRY_INTERVAL_MS = 1000;

export function registerSolver(program: Command): void {
  const command = program
    .command("solver")
    .description("the offer book and solver: matches signed offers into deals and proposes them")
    .option("--address <address>", "this solver's address (the offers it takes name it)")
    .option("--chain-id <id>", "the chain the offers are signed for")
    .option("--rpc <url>", "JSON-RPC endpoint to read the chain id from (instead of --chain-id)")
    .option(
      "--match-timeout <ms>",
      `a job offer unmatched this long expires (default ${SOLVER_DEFAULTS.matchTimeoutMs})`,
    )
    .option(
      "--deployment <file|name>",
      "the deployment whose MachineRegistry offers may name machines of (with --rpc), whose market the solver submits agreements to and whose ServiceRegistry it registers in (with ACCORD_SOLVER_KEY)",
    )
    .option("--public-url <url>", "the URL to register (default the API's)")
    .option("--allow-file-repos", "take jobs whose module is a local repository (development networks only)")
    .option("--indexer <url>", "the indexer's GraphQL API: agreed deals are tracked by its events")
    .option(
      "--sign-timeout <ms>",
      `a proposal not signed by both parties this long is dropped (default ${SOLVER_DEFAULTS.signTimeoutMs})`,
    )
    .option("--host <host>", "host of the API")
    .option("--port <port>", `port of the API (default ${SOLVER_DEFAULTS.port})`);
  storeFlags(command, { dataDir: SOLVER_DEFAULTS.dataDir });
  logFlags(command).action(async (flags: SolverFlags) => {
    await runSolver(resolveSolver(flags, process.env, isTerminal()));
  });
}

export async function runSolver(settings: SolverSettings): Promise<void> {
  const logger = createLogger(settings.log);
  /* eslint-disable @typescript-eslint/no-require-imports -- the store, the solver and ethers only when the command runs */
  const { openDriver } = require("../../indexer") as typeof import("../../indexer");
  const solverModule = require("../../solver") as typeof import("../../solver");
  const { JsonRpcClient } = require("../../indexer/sync/rpc") as typeof import("../../indexer/sync/rpc");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const chainId = settings.chainId ?? BigInt(await new JsonRpcClient(settings.rpcUrl!).call<string>("eth_chainId"));
  const driver = await openDriver({
    databaseUrl: settings.store.databaseUrl,
    dataDir: settings.store.dataDir,
    pgliteTemplate: settings.store.pgliteTemplate,
    pgliteThread: settings.store.pgliteThread,
  });
  const rules = solverModule.resolveIntakeRules({
    chainId,
    solver: settings.address,
    allowFileRepos: settings.allowFileRepos,
  });

  // With its key the solver closes deals: it checks the parties' signatures and submits their agreements.
  let chain: import("../../solver").AgreementChain | undefined;
  let registry: import("../../clients").RegistryClient | undefined;
  let provider: import("ethers").JsonRpcProvider | undefined;
  let signer: import("ethers").Signer | undefined;
  if (settings.deployment && settings.rpcUrl) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ethers only with a chain to read
    const { JsonRpcProvider } = require("ethers") as typeof import("ethers");
    provider = new JsonRpcProvider(settings.rpcUrl, undefined, { pollingInterval: 250 });
  }
  if (settings.registration && provider) {
    /* eslint-disable @typescript-eslint/no-require-imports -- ethers and the clients only with a key */
    const { Wallet } = require("ethers") as typeof import("ethers");
    const { RegistryClient, SerialSigner, SolverClient } = require("../../clients") as typeof import("../../clients");
    /* eslint-enable @typescript-eslint/no-require-imports */
    // One transaction at a time, each with a fresh nonce: the submissions may overlap.
    signer = new SerialSigner(new Wallet(settings.registration.key, provider));
    const client = await SolverClient.fromDeployment(signer, settings.registration.deployment);
    chain = new solverModule.ClientAgreementChain(client);
    registry = await RegistryClient.fromDeployment(signer, settings.registration.deployment);
  }

  // The deployment's MachineRegistry, if it has one: where offers' machines are read (no key needed to read).
  let machines: { client: import("../../clients/machines").MachineRegistryClient; fromBlock: number } | undefined;
  if (settings.deployment && provider) {
    /* eslint-disable @typescript-eslint/no-require-imports -- the deployment and the registry client only here */
    const { VoidSigner } = require("ethers") as typeof import("ethers");
    const { loadDeployment } = require("../../deployments") as typeof import("../../deployments");
    const machinesModule = require("../../clients/machines") as typeof import("../../clients/machines");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const deployment = await loadDeployment(settings.deployment, { provider });
    if (deployment.contracts[machinesModule.MACHINE_REGISTRY_CONTRACT_NAME]) {
      // Read before the solver's start-up reconciliation (which re-reads every open offer's machine at this block or a
      // later one): the event feed takes over from the next block, so no change falls between the two.
      const fromBlock = (await provider.getBlockNumber()) + 1;
      const client = await machinesModule.MachineRegistryClient.fromDeployment(
        signer ?? new VoidSigner(settings.address, provider),
        deployment,
      );
      machines = { client, fromBlock };
    } else {
      logger.info({ deployment: settings.deployment }, "the deployment has no MachineRegistry: offers name no machine");
    }
  }

  const state = await solverModule.SolverState.open(driver);
  const solver = await solverModule.Solver.start({
    state,
    rules,
    chain,
    matchTimeoutMs: settings.matchTimeoutMs,
    signTimeoutMs: settings.signTimeoutMs,
    machines: machines?.client,
  });
  const machineFeed =
    machines &&
    solverModule.trackMachinesFromChain(solver, provider!, machines.client.options.machines!, logger, {
      fromBlock: machines.fromBlock,
    });
  solver.on("notice", (notice) => {
    if ("deal" in notice) {
      const { deal } = notice;
      const fields = { deal: deal.id, jobOffer: deal.job_offer.id, resourceOffer: deal.resource_offer.id };
      if (notice.kind === "proposed") logger.info(fields, "deal proposed");
      else if (notice.kind === "agreed")
        logger.info({ ...fields, dealKey: notice.dealKey, tx: notice.txHash }, "deal agreed on chain");
      else if (notice.kind === "dropped")
        logger.info({ ...fields, reason: notice.reason, reopened: notice.reopened }, "proposal dropped");
      else if (notice.kind === "failed") logger.warn({ ...fields, reason: notice.reason }, "agreement failed");
      else logger.info({ ...fields, dealKey: notice.dealKey, state: notice.state }, "deal state");
    } else {
      logger.info({ offer: notice.offer.id, kind: notice.kind }, `offer ${notice.kind}`);
    }
  });
  solver.on("error", (error) => logger.warn({ err: error }, "agreement submission"));
  const server = await solverModule.serveSolver({
    solver,
    state,
    rules,
    host: settings.host,
    port: settings.port,
    logger,
  });
  if (registry && settings.registration) {
    const entry = await solverModule.announceSolver(registry, settings.registration.publicUrl ?? server.url);
    logger.info({ account: entry.account, url: entry.url, roles: entry.roles }, "registered in ServiceRegistry");
  }
  let tracking: { close(): void } | undefined;
  let indexer: import("../../clients/graphql").GraphqlClient | undefined;
  if (settings.indexerUrl) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the GraphQL client only with an indexer
    const { GraphqlClient } = require("../../clients/graphql") as typeof import("../../clients/graphql");
    indexer = new GraphqlClient(settings.indexerUrl);
    tracking = solverModule.trackDealsFromIndexer(solver, indexer, settings.address, logger);
  }
  logger.info(
    {
      url: server.url,
      chainId: chainId.toString(),
      submits: chain !== undefined,
      machines: machines?.client.options.machines,
      indexer: settings.indexerUrl,
      book: { jobs: solver.book.jobOffers, resources: solver.book.resourceOffers },
    },
    "solver ready",
  );
  const tick = setInterval(() => {
    solver.expire().catch((error: unknown) => logger.error({ err: error }, "expiring offers failed"));
    solver.dropUnsigned().catch((error: unknown) => logger.error({ err: error }, "dropping proposals failed"));
    solver.syncChainClock().catch((error: unknown) => logger.warn({ err: error }, "reading the chain's clock failed"));
  }, EXPIRY_INTERVAL_MS);
  closeOnSignal(async () => {
    clearInterval(tick);
    tracking?.close();
    machineFeed?.close();
    indexer?.close();
    await server.close();
    await solver.close();
    provider?.destroy();
    await driver.close();
  });
}
