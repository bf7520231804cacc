// The one place where the `accord` command line turns flags and environment variables into the library's explicit
// options: flags win over the environment, the environment over the defaults (the library's in src/defaults.ts,
// the command line's own below). Nothing else in the package reads process.env.
import os from "node:os";
import path from "node:path";
import { Option, type Command } from "commander";
import { DEFAULTS } from "../defaults";
import { LOCAL_NODE_PORT } from "../devnet/local-node";
import type { PgliteThread } from "../indexer/store/pglite";
import { isAddress } from "../model/address";
import { AGENT_ROLES, loadAgentConfig, parseAgentConfig, type AgentConfig, type AgentRole } from "../agents/config";

/** An environment (process.env, or a test's). */
export type Env = Readonly<Record<string, string | undefined>>;

/** 32 bytes in hex: a private key, a farm ID. */
const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/** Every environment variable the command line reads, and the flag that overrides it. */
export const ENV_VARS = {
  /** --log-level */
  logLevel: "ACCORD_LOG_LEVEL",
  /** --log-format: json or pretty */
  logFormat: "ACCORD_LOG_FORMAT",
  /** --database */
  databaseUrl: "DATABASE_URL",
  /** --heap-headroom (MiB, 0 = off) */
  heapHeadroomMiB: "ACCORD_HEAP_HEADROOM_MIB",
  /** `accord solver`: the solver account's private key (0x + 64 hex digits), to register it in ServiceRegistry */
  solverKey: "ACCORD_SOLVER_KEY",
  /** `accord agent`: the agent account's private key (0x + 64 hex digits) */
  agentKey: "ACCORD_AGENT_KEY",
  /** `accord pools watch`: the farms' provider's private key (0x + 64 hex digits) */
  providerKey: "ACCORD_PROVIDER_KEY",
  /** --pglite-thread: main or worker */
  pgliteThread: "ACCORD_PGLITE_THREAD",
  /** --pglite-template: a directory, or "off" */
  pgliteTemplate: "ACCORD_PGLITE_TEMPLATE",
  /** The cache directory the PGlite template lives in by default (<dir>/accord/pglite-<version>). */
  cacheHome: "XDG_CACHE_HOME",
} as const;

/** `accord dev`'s own defaults (the library has no say in them). */
export const DEV_DEFAULTS = {
  /** JSON-RPC port of the in-process node. */
  rpcPort: LOCAL_NODE_PORT,
  /** PGlite data directory, emptied at every start (a fresh chain every run). */
  dataDir: ".accord/dev-db",
  /** The live market's state (solver and agents), emptied at every start. */
  marketDir: ".accord/dev-market",
  /** The market's solver API. */
  solverPort: 4100,
} as const;

/**
 * The command line's own store default: PGlite on a worker thread, so that the commits and the API's queries run
 * beside the mappings and the GraphQL layer (the library's default is this thread: no worker to start for a test's
 * in-memory store).
 */
export const CLI_DEFAULTS = { pgliteThread: "worker" } as const satisfies { pgliteThread: PgliteThread };

export type LogFormat = "json" | "pretty";

export type LogSettings = { level: string; format: LogFormat };

export type StoreSettings = {
  /** PostgreSQL; PGlite in dataDir when absent. */
  databaseUrl?: string;
  dataDir: string;
  dbSchema: string;
  /** The PGlite template cluster's directory, or null for none. */
  pgliteTemplate: string | null;
  /** The thread PGlite runs on. */
  pgliteThread: PgliteThread;
};

/*//////////////////////////////////////////////////////////////
                          FLAG DECLARATIONS
//////////////////////////////////////////////////////////////*/

// No commander defaults: an absent flag is undefined, so the resolvers below can tell it from a given one.

export function logFlags(command: Command): Command {
  return command
    .option("--log-level <level>", `pino level (env ${ENV_VARS.logLevel}; default ${DEFAULTS.logLevel})`)
    .addOption(
      new Option(
        "--log-format <format>",
        `log lines (env ${ENV_VARS.logFormat}; default pretty on a terminal, else json)`,
      ).choices(["json", "pretty"]),
    );
}

export function storeFlags(command: Command, options: { dataDir?: string } = {}): Command {
  return command
    .option("--database <url>", `PostgreSQL URL instead of the embedded PGlite (env ${ENV_VARS.databaseUrl})`)
    .option("--data-dir <dir>", `PGlite data directory (default ${options.dataDir ?? DEFAULTS.dataDir})`)
    .option("--db-schema <name>", `SQL schema of the tables (default ${DEFAULTS.dbSchema})`)
    .option(
      "--pglite-template <dir>",
      `PGlite cluster new data directories are copied from, or "off" (env ${ENV_VARS.pgliteTemplate}; ` +
        `default $${ENV_VARS.cacheHome}/accord/pglite-<version>, $${ENV_VARS.cacheHome} defaulting to ~/.cache)`,
    )
    .addOption(pgliteThreadFlag());
}

function pgliteThreadFlag(): Option {
  return new Option(
    "--pglite-thread <thread>",
    `where PGlite runs: a worker thread of its own, or the main thread (env ${ENV_VARS.pgliteThread}; ` +
      `default ${CLI_DEFAULTS.pgliteThread})`,
  ).choices(["worker", "main"]);
}

/*//////////////////////////////////////////////////////////////
                              RESOLVERS
//////////////////////////////////////////////////////////////*/

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === "" ? undefined : value;

/** A flag, else an environment variable, else undefined (empty values count as absent). */
function pick(flag: string | undefined, env: Env, name: string): string | undefined {
  return nonEmpty(flag) ?? nonEmpty(env[name]);
}

/** A whole number ≥ 0 (≥ 1 with `positive`), named after its flag in the error. */
export function parseCount(value: string, what: string, positive = false): number {
  if (!/^\d+$/.test(value.trim()) || (positive && Number(value) === 0)) {
    throw new Error(`${what} must be a whole number${positive ? " above 0" : ""}, got "${value}"`);
  }
  return Number(value);
}

const optionalCount = (value: string | undefined, what: string, positive = false): number | undefined =>
  value === undefined ? undefined : parseCount(value, what, positive);

/** An http(s) URL, named after its flag in the error. */
export function optionalUrl(value: string | undefined, what: string): string | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new Error(`${what} must be an http(s) URL, got "${text}"`);
  }
  return text;
}

function parsePort(value: string, what: string): number {
  const port = parseCount(value, what);
  if (port > 65_535) throw new Error(`${what} must be a port number (0-65535), got "${value}"`);
  return port;
}

export type LogFlags = { logLevel?: string; logFormat?: string };

/**
 * Log level and format. The format is pretty (pino-pretty) when the output is a terminal: logs go to stderr and
 * results to stdout, so both must be terminals; JSON lines otherwise (files, pipes, CI).
 */
export function resolveLog(flags: LogFlags, env: Env, terminal: boolean): LogSettings {
  const level = pick(flags.logLevel, env, ENV_VARS.logLevel) ?? DEFAULTS.logLevel;
  const format = pick(flags.logFormat, env, ENV_VARS.logFormat) ?? (terminal ? "pretty" : "json");
  if (format !== "json" && format !== "pretty") {
    throw new Error(`--log-format / ${ENV_VARS.logFormat} must be json or pretty, got "${format}"`);
  }
  return { level, format };
}

/** Whether stdout and stderr are both terminals (pretty logs, progress bars). */
export function isTerminal(): boolean {
  return Boolean(process.stdout.isTTY && process.stderr.isTTY);
}

/** The PGlite template: --pglite-template, else $ACCORD_PGLITE_TEMPLATE, else under $XDG_CACHE_HOME (or ~/.cache). */
export function resolvePgliteTemplate(flag: string | undefined, env: Env): string | null {
  const configured = pick(flag, env, ENV_VARS.pgliteTemplate);
  if (configured === "off" || configured === "0") return null;
  if (configured) return configured;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- PGlite's module only when a template is needed
  const { pgliteTemplateDir } = require("../indexer/store/pglite") as typeof import("../indexer/store/pglite");
  return pgliteTemplateDir(nonEmpty(env[ENV_VARS.cacheHome]) ?? path.join(os.homedir(), ".cache"));
}

/** --pglite-thread, else $ACCORD_PGLITE_THREAD, else the command line's default (worker). */
export function resolvePgliteThread(flag: string | undefined, env: Env): PgliteThread {
  const value = pick(flag, env, ENV_VARS.pgliteThread) ?? CLI_DEFAULTS.pgliteThread;
  if (value !== "worker" && value !== "main") {
    throw new Error(`--pglite-thread / ${ENV_VARS.pgliteThread} must be worker or main, got "${value}"`);
  }
  return value;
}

export type StoreFlags = {
  database?: string;
  dataDir?: string;
  dbSchema?: string;
  pgliteTemplate?: string;
  pgliteThread?: string;
};

export function resolveStore(flags: StoreFlags, env: Env, defaultDataDir: string = DEFAULTS.dataDir): StoreSettings {
  return {
    databaseUrl: pick(flags.database, env, ENV_VARS.databaseUrl),
    dataDir: nonEmpty(flags.dataDir) ?? defaultDataDir,
    dbSchema: nonEmpty(flags.dbSchema) ?? DEFAULTS.dbSchema,
    pgliteTemplate: resolvePgliteTemplate(flags.pgliteTemplate, env),
    pgliteThread: resolvePgliteThread(flags.pgliteThread, env),
  };
}

export function resolveHeapHeadroom(flag: string | undefined, env: Env): number {
  const value = pick(flag, env, ENV_VARS.heapHeadroomMiB);
  return value === undefined
    ? DEFAULTS.heapHeadroomMiB
    : parseCount(value, `--heap-headroom / ${ENV_VARS.heapHeadroomMiB}`);
}

/** API host and port. */
export function resolveListen(
  flags: { host?: string; port?: string },
  portFlag = "--port",
): { host: string; port: number } {
  return {
    host: nonEmpty(flags.host) ?? DEFAULTS.host,
    port: flags.port === undefined ? DEFAULTS.port : parsePort(flags.port, portFlag),
  };
}

/*//////////////////////////////////////////////////////////////
                             PER COMMAND
//////////////////////////////////////////////////////////////*/

export type IndexFlags = LogFlags &
  StoreFlags & {
    rpc: string;
    ws?: string;
    deployment?: string;
    subgraph?: string;
    toBlock?: string;
    follow: boolean;
    serve: boolean;
    host?: string;
    port?: string;
    maxRange?: string;
    initialRange?: string;
    targetLogs?: string;
    poll?: string;
    reorgDepth?: string;
    heapHeadroom?: string;
    progress: boolean;
  };

export type IndexSettings = {
  log: LogSettings;
  store: StoreSettings;
  rpcUrl: string;
  wsUrl?: string;
  /** A deployment file or network name; undefined only with `subgraph` (whose manifest has its addresses). */
  deployment?: string;
  /** A built subgraph's directory; undefined: Accord's own. */
  subgraph?: string;
  toBlock?: number;
  follow: boolean;
  serve: boolean;
  host: string;
  port: number;
  logRange: { maxRange?: number; initialRange?: number; targetLogs?: number };
  pollIntervalMs: number;
  reorgDepth: number;
  heapHeadroomMiB: number;
  progress: boolean;
};

export function resolveIndex(flags: IndexFlags, env: Env, terminal: boolean): IndexSettings {
  const deployment = nonEmpty(flags.deployment);
  const subgraph = nonEmpty(flags.subgraph);
  if (deployment === undefined && subgraph === undefined) {
    throw new Error(
      "--deployment is required for Accord's subgraph (its manifest has no addresses); --subgraph <dir> indexes another",
    );
  }
  return {
    log: resolveLog(flags, env, terminal),
    store: resolveStore(flags, env),
    rpcUrl: flags.rpc,
    wsUrl: nonEmpty(flags.ws),
    deployment,
    subgraph: subgraph === undefined ? undefined : path.resolve(subgraph),
    toBlock: optionalCount(flags.toBlock, "--to-block"),
    follow: flags.follow,
    serve: flags.serve,
    ...resolveListen(flags),
    logRange: {
      maxRange: optionalCount(flags.maxRange, "--max-range", true),
      initialRange: optionalCount(flags.initialRange, "--initial-range", true),
      targetLogs: optionalCount(flags.targetLogs, "--target-logs", true),
    },
    pollIntervalMs: optionalCount(flags.poll, "--poll", true) ?? DEFAULTS.pollIntervalMs,
    reorgDepth: optionalCount(flags.reorgDepth, "--reorg-depth") ?? DEFAULTS.reorgDepth,
    heapHeadroomMiB: resolveHeapHeadroom(flags.heapHeadroom, env),
    progress: flags.progress && terminal,
  };
}

export type ServeFlags = LogFlags & StoreFlags & { rpc?: string; host?: string; port?: string; subgraph?: string };

export type ServeSettings = {
  log: LogSettings;
  store: StoreSettings;
  rpcUrl?: string;
  /** The built subgraph whose schema the index holds; undefined: Accord's own. */
  subgraph?: string;
  host: string;
  port: number;
};

export function resolveServe(flags: ServeFlags, env: Env, terminal: boolean): ServeSettings {
  const subgraph = nonEmpty(flags.subgraph);
  return {
    log: resolveLog(flags, env, terminal),
    store: resolveStore(flags, env),
    rpcUrl: nonEmpty(flags.rpc),
    subgraph: subgraph === undefined ? undefined : path.resolve(subgraph),
    ...resolveListen(flags),
  };
}

/** `accord solver`'s own defaults. */
export const SOLVER_DEFAULTS = {
  /** PGlite data directory (a directory holds one process: the indexer's is its own). */
  dataDir: ".accord/solver-db",
  port: 4100,
  /** A job offer unmatched this long after its created_at expires (ms; the reference's 30 s). */
  matchTimeoutMs: 30_000,
  /** A proposal both parties have not signed this long after it was made is dropped (ms). */
  signTimeoutMs: DEFAULTS.proposalSignTimeoutMs,
} as const;

export type SolverFlags = LogFlags &
  StoreFlags & {
    host?: string;
    port?: string;
    chainId?: string;
    rpc?: string;
    address?: string;
    matchTimeout?: string;
    signTimeout?: string;
    allowFileRepos?: boolean;
    deployment?: string;
    publicUrl?: string;
    indexer?: string;
  };

export type SolverSettings = {
  log: LogSettings;
  store: StoreSettings;
  host: string;
  port: number;
  /** The chain the offers' signatures are for; read from rpcUrl when not given. */
  chainId?: bigint;
  rpcUrl?: string;
  /** This solver's address (the offers it takes name it). */
  address: string;
  matchTimeoutMs: number;
  signTimeoutMs: number;
  /** Take jobs whose module is a local repository (development networks). */
  allowFileRepos: boolean;
  /**
   * With a key, the solver submits the agreements both parties signed (paying for them) and registers `publicUrl`
   * (default its API's URL) in the deployment's ServiceRegistry.
   */
  registration?: { key: string; deployment: string; publicUrl?: string };
  /**
   * The deployment (with rpcUrl): when it has a MachineRegistry, the solver reads onboarded machines there (offers
   * naming one are checked against it) and follows its events.
   */
  deployment?: string;
  /** The indexer's GraphQL API, whose deal events the solver tracks its agreed deals by. */
  indexerUrl?: string;
};

export function resolveSolver(flags: SolverFlags, env: Env, terminal: boolean): SolverSettings {
  const key = nonEmpty(env[ENV_VARS.solverKey]);
  if (key !== undefined && !HEX32.test(key)) {
    throw new Error(`${ENV_VARS.solverKey} must be a private key (0x followed by 64 hex digits)`);
  }
  const rpcUrl = nonEmpty(flags.rpc);
  const deployment = nonEmpty(flags.deployment);
  let registration: SolverSettings["registration"];
  let keyAddress: string | undefined;
  if (key !== undefined) {
    if (!deployment || !rpcUrl) throw new Error(`${ENV_VARS.solverKey} needs --deployment and --rpc (to register)`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ethers only when a key is given
    const { Wallet } = require("ethers") as typeof import("ethers");
    keyAddress = new Wallet(key).address;
    registration = { key, deployment, publicUrl: nonEmpty(flags.publicUrl) };
  }
  const address = nonEmpty(flags.address) ?? keyAddress;
  if (!address || !isAddress(address)) {
    throw new Error(
      `--address must be the solver's address (0x followed by 40 hex digits), or ${ENV_VARS.solverKey} its key; got "${address ?? ""}"`,
    );
  }
  if (keyAddress !== undefined && address.toLowerCase() !== keyAddress.toLowerCase()) {
    throw new Error(`--address ${address} is not the address of ${ENV_VARS.solverKey} (${keyAddress})`);
  }
  if (deployment !== undefined && rpcUrl === undefined) {
    throw new Error("--deployment needs --rpc (the chain its contracts are read on)");
  }
  const chainId = nonEmpty(flags.chainId);
  if (chainId === undefined && rpcUrl === undefined) throw new Error("--chain-id or --rpc (to read it) is required");
  const { host, port } = resolveListen({ host: flags.host, port: flags.port ?? String(SOLVER_DEFAULTS.port) });
  return {
    log: resolveLog(flags, env, terminal),
    store: resolveStore(flags, env, SOLVER_DEFAULTS.dataDir),
    host,
    port,
    chainId: chainId === undefined ? undefined : BigInt(parseCount(chainId, "--chain-id", true)),
    rpcUrl,
    address,
    matchTimeoutMs: optionalCount(flags.matchTimeout, "--match-timeout", true) ?? SOLVER_DEFAULTS.matchTimeoutMs,
    signTimeoutMs: optionalCount(flags.signTimeout, "--sign-timeout", true) ?? SOLVER_DEFAULTS.signTimeoutMs,
    allowFileRepos: flags.allowFileRepos === true,
    registration,
    deployment,
    indexerUrl: optionalUrl(flags.indexer, "--indexer"),
  };
}

export type AgentFlags = LogFlags & {
  rpc?: string;
  deployment?: string;
  indexer?: string;
  solverUrl?: string;
  config?: string;
  dataDir?: string;
  host?: string;
  port?: string;
  publicUrl?: string;
};

export type AgentSettings = {
  role: AgentRole;
  log: LogSettings;
  key: string;
  rpcUrl: string;
  deployment: string;
  indexerUrl: string;
  /** The solver's API; default: the URL its account registers in ServiceRegistry. */
  solverUrl?: string;
  config: AgentConfig;
  dataDir: string;
  /** The provider's results server. */
  host: string;
  port: number;
  /** The URL the provider registers for its results (default the server's). */
  publicUrl?: string;
};

/** `accord agent <role>`'s settings: flags, ACCORD_AGENT_KEY and the role's config file. */
export function resolveAgent(role: string, flags: AgentFlags, env: Env, terminal: boolean): AgentSettings {
  if (!AGENT_ROLES.includes(role as AgentRole)) {
    throw new Error(`the role must be one of ${AGENT_ROLES.join(", ")}; got "${role}"`);
  }
  const key = nonEmpty(env[ENV_VARS.agentKey]);
  if (key === undefined || !HEX32.test(key)) {
    throw new Error(`${ENV_VARS.agentKey} must be the agent's private key (0x followed by 64 hex digits)`);
  }
  const rpcUrl = optionalUrl(flags.rpc, "--rpc");
  if (!rpcUrl) throw new Error("--rpc is required");
  const deployment = nonEmpty(flags.deployment);
  if (!deployment) throw new Error("--deployment is required");
  const indexerUrl = optionalUrl(flags.indexer, "--indexer");
  if (!indexerUrl) throw new Error("--indexer (the indexer's GraphQL API) is required");
  const configFile = nonEmpty(flags.config);
  const config = configFile ? loadAgentConfig(role as AgentRole, configFile) : parseAgentConfig(role as AgentRole, {});
  if (role !== "mediator" && !config.trust)
    throw new Error(`the ${role}'s config must name "trust": { solver, mediator }`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ethers only to name the default directory
  const { Wallet } = require("ethers") as typeof import("ethers");
  const address = new Wallet(key).address.toLowerCase();
  const { host, port } = resolveListen({ host: flags.host, port: flags.port ?? "0" });
  return {
    role: role as AgentRole,
    log: resolveLog(flags, env, terminal),
    key,
    rpcUrl,
    deployment,
    indexerUrl,
    solverUrl: optionalUrl(flags.solverUrl, "--solver-url"),
    config,
    dataDir: nonEmpty(flags.dataDir) ?? path.join(".accord", "agents", `${role}-${address.slice(2, 10)}`),
    host,
    port,
    publicUrl: optionalUrl(flags.publicUrl, "--public-url"),
  };
}

/** `accord pools watch`'s own defaults (the watcher's are POOL_WATCHER_DEFAULTS, src/pools/watcher.ts). */
export const POOLS_WATCH_DEFAULTS = {
  /** How long one run of --decommission-command may take (ms). */
  decommissionTimeoutMs: 60_000,
} as const;

export type PoolsWatchFlags = LogFlags & {
  rpc?: string;
  deployment?: string;
  dataDir?: string;
  /** Repeatable, or comma-separated. */
  farm?: string[];
  fromBlock?: string;
  interval?: string;
  maxRange?: string;
  confirmations?: string;
  retry?: string;
  decommissionCommand?: string;
  decommissionTimeout?: string;
  withdrawInterval?: string;
  withdrawTo?: string;
};

export type PoolsWatchSettings = {
  log: LogSettings;
  key: string;
  rpcUrl: string;
  deployment: string;
  dataDir: string;
  /** Undefined: every farm of the provider. */
  farmIds?: string[];
  fromBlock?: number;
  intervalMs?: number;
  maxBlockRange?: number;
  confirmations?: number;
  retryMs?: number;
  /** A shell command run for each workload to decommission (the workload as JSON on stdin and in ACCORD_WORKLOAD). */
  decommissionCommand?: string;
  decommissionTimeoutMs: number;
  /** Withdraw the earnings this often; undefined: never. */
  withdraw?: { everyMs: number; to?: string };
};

/** `accord pools watch`'s settings: flags and ACCORD_PROVIDER_KEY (the watcher fills in its own defaults). */
export function resolvePoolsWatch(flags: PoolsWatchFlags, env: Env, terminal: boolean): PoolsWatchSettings {
  const key = nonEmpty(env[ENV_VARS.providerKey]);
  if (key === undefined || !HEX32.test(key)) {
    throw new Error(`${ENV_VARS.providerKey} must be the provider's private key (0x followed by 64 hex digits)`);
  }
  const rpcUrl = optionalUrl(flags.rpc, "--rpc");
  if (!rpcUrl) throw new Error("--rpc is required");
  const deployment = nonEmpty(flags.deployment);
  if (!deployment) throw new Error("--deployment is required");
  const farms = (flags.farm ?? []).flatMap((value) => value.split(",")).map((value) => value.trim());
  for (const farm of farms) {
    if (!HEX32.test(farm)) throw new Error(`--farm must be a farm ID (0x followed by 64 hex digits), got "${farm}"`);
  }
  const withdrawEvery = optionalCount(flags.withdrawInterval, "--withdraw-interval");
  const withdrawTo = nonEmpty(flags.withdrawTo);
  if (withdrawTo !== undefined && !isAddress(withdrawTo)) {
    throw new Error(`--withdraw-to must be an address (0x followed by 40 hex digits), got "${withdrawTo}"`);
  }
  if (withdrawTo !== undefined && !withdrawEvery) throw new Error("--withdraw-to needs --withdraw-interval");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ethers only to name the default directory
  const { Wallet } = require("ethers") as typeof import("ethers");
  const address = new Wallet(key).address.toLowerCase();
  return {
    log: resolveLog(flags, env, terminal),
    key,
    rpcUrl,
    deployment,
    dataDir: nonEmpty(flags.dataDir) ?? path.join(".accord", "pools", `provider-${address.slice(2, 10)}`),
    farmIds: farms.length === 0 ? undefined : farms.map((farm) => farm.toLowerCase()),
    fromBlock: optionalCount(flags.fromBlock, "--from-block"),
    intervalMs: optionalCount(flags.interval, "--interval", true),
    maxBlockRange: optionalCount(flags.maxRange, "--max-range", true),
    confirmations: optionalCount(flags.confirmations, "--confirmations"),
    retryMs: optionalCount(flags.retry, "--retry"),
    decommissionCommand: nonEmpty(flags.decommissionCommand),
    decommissionTimeoutMs:
      optionalCount(flags.decommissionTimeout, "--decommission-timeout", true) ??
      POOLS_WATCH_DEFAULTS.decommissionTimeoutMs,
    withdraw: withdrawEvery ? { everyMs: withdrawEvery, to: withdrawTo } : undefined,
  };
}

export type PoolsStatusFlags = { rpc?: string; deployment?: string };

export type PoolsStatusSettings = { poolId: string; rpcUrl: string; deployment: string };

/** `accord pools status <poolId>`'s settings (no key: it only reads). */
export function resolvePoolsStatus(poolId: string, flags: PoolsStatusFlags): PoolsStatusSettings {
  if (!HEX32.test(poolId)) throw new Error(`the pool ID must be 0x followed by 64 hex digits, got "${poolId}"`);
  const rpcUrl = optionalUrl(flags.rpc, "--rpc");
  if (!rpcUrl) throw new Error("--rpc is required");
  const deployment = nonEmpty(flags.deployment);
  if (!deployment) throw new Error("--deployment is required");
  return { poolId: poolId.toLowerCase(), rpcUrl, deployment };
}

export type DevFlags = LogFlags & {
  host?: string;
  port?: string;
  apiPort?: string;
  dataDir?: string;
  pgliteTemplate?: string;
  pgliteThread?: string;
  market: boolean;
  solverPort?: string;
};

export type DevSettings = {
  log: LogSettings;
  /** PGlite only: a fresh chain every run gets a fresh index (dataDir is emptied at start). */
  store: StoreSettings;
  host: string;
  rpcPort: number;
  apiPort: number;
  market: boolean;
  marketDir: string;
  solverPort: number;
  heapHeadroomMiB: number;
};

export function resolveDev(flags: DevFlags, env: Env, terminal: boolean): DevSettings {
  const { host, port: apiPort } = resolveListen({ host: flags.host, port: flags.apiPort }, "--api-port");
  return {
    log: resolveLog(flags, env, terminal),
    // No PostgreSQL (nor $DATABASE_URL): the index lives and dies with the in-process chain.
    store: {
      dataDir: nonEmpty(flags.dataDir) ?? DEV_DEFAULTS.dataDir,
      dbSchema: DEFAULTS.dbSchema,
      pgliteTemplate: resolvePgliteTemplate(flags.pgliteTemplate, env),
      pgliteThread: resolvePgliteThread(flags.pgliteThread, env),
    },
    host,
    rpcPort: flags.port === undefined ? DEV_DEFAULTS.rpcPort : parsePort(flags.port, "--port"),
    apiPort,
    market: flags.market,
    marketDir: DEV_DEFAULTS.marketDir,
    solverPort: flags.solverPort === undefined ? DEV_DEFAULTS.solverPort : parsePort(flags.solverPort, "--solver-port"),
    heapHeadroomMiB: resolveHeapHeadroom(undefined, env),
  };
}

/*//////////////////////////////////////////////////////////////
                          PROCESS-WIDE SWITCHES
//////////////////////////////////////////////////////////////*/

/**
 * A full-GC function for the indexer's heap headroom (IndexerOptions.gc): globalThis.gc under --expose-gc, else
 * V8's flag is switched on for this process. Only the command line does this (it owns the process); the library
 * never changes V8's flags. Undefined if V8 refuses.
 */
export function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports -- v8/vm only for the opt-in full-GC hook */
    (require("node:v8") as typeof import("node:v8")).setFlagsFromString("--expose-gc");
    return (require("node:vm") as typeof import("node:vm")).runInNewContext("gc") as () => void;
    /* eslint-enable @typescript-eslint/no-require-imports */
  } catch {
    return undefined;
  }
}
