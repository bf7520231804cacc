// `accord solver`: the offer book and solver, with its GraphQL API (src/solver/api.ts), its state in PGlite
// (--data-dir, default .accord/solver-db) or PostgreSQL (--database / DATABASE_URL, its own SQL schema).
import type { Command } from "commander";
import { closeOnSignal, createLogger } from "../indexing";
import { isTerminal, logFlags, resolveSolver, SOLVER_DEFAULTS, storeFlags, type SolverFlags } from "../options";

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
      "the deployment whose ServiceRegistry the solver registers in (with ACCORD_SOLVER_KEY)",
    )
    .option("--public-url <url>", "the URL to register (default the API's)")
    .option("--host <host>", "host of the API")
    .option("--port <port>", `port of the API (default ${SOLVER_DEFAULTS.port})`);
  storeFlags(command, { dataDir: SOLVER_DEFAULTS.dataDir });
  logFlags(command).action(async (flags: SolverFlags) => {
    const settings = resolveSolver(flags, process.env, isTerminal());
    const logger = createLogger(settings.log);
    /* eslint-disable @typescript-eslint/no-require-imports -- the store and the solver only when the command runs */
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
    const rules = solverModule.resolveIntakeRules({ chainId, solver: settings.address });
    const solver = await solverModule.Solver.start({
      state: await solverModule.SolverState.open(driver),
      rules,
      matchTimeoutMs: settings.matchTimeoutMs,
    });
    solver.on("proposal", (deal) =>
      logger.info(
        { deal: deal.id, jobOffer: deal.job_offer.id, resourceOffer: deal.resource_offer.id },
        "deal proposed",
      ),
    );
    solver.on("expired", (ids) => logger.info({ offers: ids }, "job offers expired"));
    const server = await solverModule.serveSolver({ solver, rules, host: settings.host, port: settings.port, logger });
    if (settings.registration) {
      /* eslint-disable @typescript-eslint/no-require-imports -- ethers and the clients only to register */
      const { JsonRpcProvider, Wallet } = require("ethers") as typeof import("ethers");
      const { RegistryClient } = require("../../clients") as typeof import("../../clients");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const signer = new Wallet(settings.registration.key, new JsonRpcProvider(settings.rpcUrl));
      const registry = await RegistryClient.fromDeployment(signer, settings.registration.deployment);
      const entry = await solverModule.announceSolver(registry, settings.registration.publicUrl ?? server.url);
      logger.info({ account: entry.account, url: entry.url, roles: entry.roles }, "registered in ServiceRegistry");
    }
    logger.info(
      {
        url: server.url,
        chainId: chainId.toString(),
        book: { jobs: solver.book.jobOffers, resources: solver.book.resourceOffers },
      },
      "solver ready",
    );
    const expiry = setInterval(() => {
      solver.expire().catch((error: unknown) => logger.error({ err: error }, "expiring offers failed"));
    }, EXPIRY_INTERVAL_MS);
    closeOnSignal(async () => {
      clearInterval(expiry);
      await server.close();
      await driver.close();
    });
  });
}
