// `accord pools watch`: the provider's pool watcher (src/pools/watcher.ts) for the account of ACCORD_PROVIDER_KEY, on
// the deployment's CapacityPools: it starts the workloads assigned to the provider's nodes, syncs its pools as their
// status changes, hands the workloads of a pool past its grace period to --decommission-command and closes them. Its
// state lives in --data-dir; killed and restarted, it carries on from its cursor.
//
// `accord pools status <poolId>`: a pool's balances, status and runway as of now (the integer model over the stored
// pool), as JSON on stdout.
import type { Command } from "commander";
import { closeOnSignal, createLogger } from "../indexing";
import {
  ENV_VARS,
  isTerminal,
  logFlags,
  POOLS_WATCH_DEFAULTS,
  resolvePoolsStatus,
  resolvePoolsWatch,
  type PoolsStatusFlags,
  type PoolsWatchFlags,
  type PoolsWatchSettings,
  type PoolsStatusSettings,
} from "../options";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerPools(program: Command): void {
  const pools = program.command("pools").description("capacity pools: the provider's watcher, a pool's status");
  const watch = pools
    .command("watch")
    .description(`the provider's pool watcher (key in ${ENV_VARS.providerKey})`)
    .option("--rpc <url>", "HTTP JSON-RPC endpoint")
    .option("--deployment <file|name>", "the deployment (a file, or a network name for deployments/<network>.json)")
    .option("--data-dir <dir>", "the watcher's state (default .accord/pools/provider-<address>)")
    .option(
      "--farm <id>",
      "a farm to watch (repeatable or comma-separated; default every farm of the provider)",
      collect,
    )
    .option("--from-block <n>", "first block to scan on a fresh data directory (default the deployment's)")
    .option("--interval <ms>", "time between two passes (default 2000)")
    .option("--max-range <blocks>", "most blocks per eth_getLogs call (default 1000)")
    .option("--confirmations <n>", "blocks to stay behind the head (default 0)")
    .option("--retry <ms>", "retry a start refused for lack of runway after this long (default 30000)")
    .option(
      "--decommission-command <cmd>",
      "shell command run for each workload to stop (the workload as JSON on stdin and in ACCORD_WORKLOAD); default: a log line",
    )
    .option(
      "--decommission-timeout <ms>",
      `how long one decommission command may run (default ${POOLS_WATCH_DEFAULTS.decommissionTimeoutMs})`,
    )
    .option("--withdraw-interval <ms>", "withdraw the earnings this often (default never)")
    .option("--withdraw-to <address>", "where the earnings go (default the provider)");
  logFlags(watch).action(async (flags: PoolsWatchFlags) => {
    await runPoolsWatch(resolvePoolsWatch(flags, process.env, isTerminal()));
  });

  pools
    .command("status <poolId>")
    .description("a pool's balances, status and runway as of now, as JSON")
    .option("--rpc <url>", "HTTP JSON-RPC endpoint")
    .option("--deployment <file|name>", "the deployment (a file, or a network name for deployments/<network>.json)")
    .action(async (poolId: string, flags: PoolsStatusFlags) => {
      await runPoolsStatus(resolvePoolsStatus(poolId, flags));
    });
}

export async function runPoolsWatch(settings: PoolsWatchSettings): Promise<void> {
  const logger = createLogger(settings.log).child({ role: "pool-watcher" });
  /* eslint-disable @typescript-eslint/no-require-imports -- ethers, the clients and the watcher only when it runs */
  const { JsonRpcProvider, Wallet } = require("ethers") as typeof import("ethers");
  const clients = require("../../clients") as typeof import("../../clients");
  const { PoolWatcher, commandDecommissionHook } =
    require("../../pools/watcher") as typeof import("../../pools/watcher");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const provider = new JsonRpcProvider(settings.rpcUrl, undefined, { pollingInterval: 250 });
  const wallet = new Wallet(settings.key, provider);
  const client = await clients.CapacityPoolsProviderClient.fromDeployment(
    new clients.SerialSigner(wallet),
    settings.deployment,
    { logRange: settings.maxBlockRange },
  );
  const watcher = new PoolWatcher({
    client,
    dataDir: settings.dataDir,
    farmIds: settings.farmIds,
    fromBlock: settings.fromBlock,
    intervalMs: settings.intervalMs,
    maxBlockRange: settings.maxBlockRange,
    confirmations: settings.confirmations,
    retryMs: settings.retryMs,
    decommission: settings.decommissionCommand
      ? commandDecommissionHook(settings.decommissionCommand, { timeoutMs: settings.decommissionTimeoutMs, logger })
      : undefined,
    withdraw: settings.withdraw,
    logger,
  });
  await watcher.start();
  closeOnSignal(async () => {
    await watcher.close();
    provider.destroy();
  });
}

export async function runPoolsStatus(settings: PoolsStatusSettings): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports -- ethers and the clients only when it runs */
  const { JsonRpcProvider, VoidSigner, ZeroAddress } = require("ethers") as typeof import("ethers");
  const clients = require("../../clients") as typeof import("../../clients");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const provider = new JsonRpcProvider(settings.rpcUrl);
  try {
    const client = await clients.CapacityPoolsClient.fromDeployment(
      new VoidSigner(ZeroAddress, provider),
      settings.deployment,
    );
    const pool = await client.getPool(settings.poolId);
    const json = JSON.stringify(
      pool,
      (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
      2,
    );
    process.stdout.write(`${json}\n`);
  } finally {
    provider.destroy();
  }
}
