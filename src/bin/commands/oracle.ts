// `accord oracle`: an oracle key of jobs' m-of-n oracle sets (the account of ACCORD_ORACLE_KEY). Providers POST their
// signed reports of runs to it; it checks each with the chain, decides the outcome by its policy (the --*-bps flags,
// src/escrow/policy.ts) and answers the EIP-712 attestation, journaled in --data-dir before it is served (a restarted
// oracle serves what it signed and never signs another outcome for the job). Reports of jobs whose oracle is the
// operator quorum are kept for the operators (GET /oracle/reports/:jobId).
import type { Command } from "commander";
import { closeOnSignal, createLogger } from "../indexing";
import { isTerminal, logFlags, parseCount, resolveLog, type Env, type LogFlags } from "../options";
import type { OutcomePolicy } from "../../escrow/policy";

/** The environment variables `accord oracle` reads. */
export const ORACLE_ENV = {
  /** The oracle key (0x + 64 hex digits): the address jobs name in their oracle sets. */
  key: "ACCORD_ORACLE_KEY",
} as const;

type OracleFlags = LogFlags & {
  rpc?: string;
  deployment?: string;
  host?: string;
  port?: string;
  dataDir?: string;
  succeededBps?: string;
  failedBps?: string;
  timedOutBps?: string;
  exitCodeBps?: string;
};

export type OracleSettings = {
  rpcUrl: string;
  deployment: string;
  key: string;
  host: string;
  port: number;
  dataDir?: string;
  policy: Partial<OutcomePolicy>;
  log: ReturnType<typeof resolveLog>;
};

function bpsFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const bps = parseCount(value, flag);
  if (bps > 10_000) throw new Error(`${flag} must be basis points from 0 to 10000, got "${value}"`);
  return bps;
}

/** `3=7500,4=2500` → {3: 7500, 4: 2500}. */
function exitCodeTable(value: string | undefined): Record<number, number> | undefined {
  if (value === undefined) return undefined;
  const table: Record<number, number> = {};
  for (const entry of value.split(",").filter((e) => e.trim() !== "")) {
    const match = /^\s*(\d+)\s*=\s*(\d+)\s*$/.exec(entry);
    if (!match) throw new Error(`--exit-code-bps entries are <exit code>=<bps>, got "${entry}"`);
    const code = Number(match[1]);
    if (code < 1 || code > 255) throw new Error(`--exit-code-bps: exit code ${code} is not 1..255`);
    table[code] = bpsFlag(match[2], `--exit-code-bps ${code}`)!;
  }
  return table;
}

/** Flags and environment → settings; an Error naming the flag or variable at fault. */
export function resolveOracle(flags: OracleFlags, env: Env, terminal: boolean): OracleSettings {
  if (!flags.rpc) throw new Error("--rpc is required");
  if (!flags.deployment) throw new Error("--deployment is required");
  const key = env[ORACLE_ENV.key];
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new Error(`${ORACLE_ENV.key} must be the oracle's private key (0x + 64 hex digits)`);
  }
  const policy: Partial<OutcomePolicy> = {};
  const succeeded = bpsFlag(flags.succeededBps, "--succeeded-bps");
  const failed = bpsFlag(flags.failedBps, "--failed-bps");
  const timedOut = bpsFlag(flags.timedOutBps, "--timed-out-bps");
  const exitCodes = exitCodeTable(flags.exitCodeBps);
  if (succeeded !== undefined) policy.succeededBps = succeeded;
  if (failed !== undefined) policy.failedBps = failed;
  if (timedOut !== undefined) policy.timedOutBps = timedOut;
  if (exitCodes !== undefined) policy.exitCodeBps = exitCodes;
  const port = flags.port === undefined ? 0 : parseCount(flags.port, "--port");
  if (port > 65_535) throw new Error(`--port must be a port number (0-65535), got "${flags.port}"`);
  return {
    rpcUrl: flags.rpc,
    deployment: flags.deployment,
    key,
    host: flags.host ?? "127.0.0.1",
    port,
    dataDir: flags.dataDir,
    policy,
    log: resolveLog(flags, env, terminal),
  };
}

export function registerOracle(program: Command): void {
  const command = program
    .command("oracle")
    .description(`an oracle signer of escrowed jobs' outcomes (key in ${ORACLE_ENV.key})`)
    .option("--rpc <url>", "HTTP JSON-RPC endpoint")
    .option("--deployment <file|name>", "the deployment (a file, or a network name for deployments/<network>.json)")
    .option("--host <host>", "host of the API (default 127.0.0.1)")
    .option("--port <port>", "port of the API (default: any free one)")
    .option("--data-dir <dir>", "the journal of what it signed (default .accord/oracles/<address>)")
    .option("--succeeded-bps <bps>", "outcome of a run that exited 0 (default 10000)")
    .option("--failed-bps <bps>", "outcome of a run that failed (default 0)")
    .option("--timed-out-bps <bps>", "outcome of a run stopped at its time limit (default 5000)")
    .option("--exit-code-bps <list>", "outcomes of given exit codes, e.g. 3=7500,4=2500 (default 3=7500)");
  logFlags(command).action(async (flags: OracleFlags) => {
    await runOracle(resolveOracle(flags, process.env, isTerminal()));
  });
}

export async function runOracle(settings: OracleSettings): Promise<void> {
  const logger = createLogger(settings.log).child({ role: "oracle" });
  /* eslint-disable @typescript-eslint/no-require-imports -- ethers, the clients and the oracle only when it runs */
  const { JsonRpcProvider, Wallet } = require("ethers") as typeof import("ethers");
  const { JobEscrowClient } = require("../../clients/escrow") as typeof import("../../clients/escrow");
  const { JobOracle, serveOracle } = require("../../oracle") as typeof import("../../oracle");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const provider = new JsonRpcProvider(settings.rpcUrl, undefined, { pollingInterval: 250 });
  const wallet = new Wallet(settings.key, provider);
  const escrow = await JobEscrowClient.fromDeployment(wallet, settings.deployment);
  const oracle = new JobOracle({
    escrow,
    key: wallet,
    dataDir: settings.dataDir ?? `.accord/oracles/${wallet.address.toLowerCase()}`,
    policy: settings.policy,
  });
  const server = await serveOracle({ oracle, host: settings.host, port: settings.port, logger });
  logger.info(
    { url: server.url, oracle: wallet.address, policy: oracle.policy, signed: oracle.signedCount },
    "oracle listening",
  );
  closeOnSignal(async () => {
    await server.close();
    oracle.close();
    provider.destroy();
  });
}
