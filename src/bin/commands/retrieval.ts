// `accord serve-data <dir>`: imports a directory into a results store (its CIDv0 printed as a JSON line on stdout)
// and serves it for paid retrieval under /retrieval/ (src/retrieval), and unpaid as a trustless gateway under /ipfs/.
// A price needs the payee's key (ACCORD_AGENT_KEY), --rpc and --deployment: vouchers are checked against the chain.
//
// `accord retrieve <cid> --from <provider-url>`: retrieves a DAG through paid retrieval into --data-dir, verifying
// every block before paying for it (the payer's key in ACCORD_AGENT_KEY, with --rpc and --deployment, when the
// provider asks a price), then writes it out to --out. Killed and run again with the same --data-dir, it resumes the
// deal where it stood. One JSON line on stdout at the end; state transitions are logged (stderr).
import path from "node:path";
import type { Command } from "commander";
import type { Logger } from "pino";
import { closeOnSignal, createLogger } from "../indexing";
import {
  ENV_VARS,
  isTerminal,
  logFlags,
  optionalUrl,
  parseCount,
  resolveListen,
  resolveLog,
  type Env,
} from "../options";
import type { LogSettings } from "../options";

type ChainFlags = { rpc?: string; deployment?: string };

type ServeDataFlags = ChainFlags & {
  dataDir?: string;
  host?: string;
  port?: string;
  pricePerByte?: string;
  unsealPrice?: string;
  paymentInterval?: string;
  paymentIntervalIncrease?: string;
  logLevel?: string;
  logFormat?: string;
};

type RetrieveFlags = ChainFlags & {
  from?: string;
  out?: string;
  dataDir?: string;
  funds?: string;
  reconnectTimeout?: string;
  logLevel?: string;
  logFormat?: string;
};

/** The chain a priced side needs: the key (from the environment), the endpoint and the deployment. */
type ChainSettings = { key: string; rpcUrl: string; deployment: string };

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const amount = (value: string, what: string): bigint => {
  if (!/^\d+$/.test(value.trim())) throw new Error(`${what} must be a whole number of token units, got "${value}"`);
  return BigInt(value.trim());
};

/** The chain settings when all are given; undefined when none is; an error for a partial set. */
function resolveChain(flags: ChainFlags, env: Env, required: boolean): ChainSettings | undefined {
  const key = env[ENV_VARS.agentKey];
  const rpcUrl = optionalUrl(flags.rpc, "--rpc");
  const deployment = flags.deployment?.trim() || undefined;
  if (!required && key === undefined && rpcUrl === undefined && deployment === undefined) return undefined;
  if (key === undefined || !HEX32.test(key)) {
    throw new Error(`${ENV_VARS.agentKey} must be the account's private key (0x followed by 64 hex digits)`);
  }
  if (rpcUrl === undefined) throw new Error("--rpc is required to pay or be paid");
  if (deployment === undefined) throw new Error("--deployment is required to pay or be paid");
  return { key, rpcUrl, deployment };
}

export type ServeDataSettings = {
  dir: string;
  dataDir: string;
  host: string;
  port: number;
  ask: { pricePerByte: bigint; unsealPrice: bigint; paymentInterval?: number; paymentIntervalIncrease?: number };
  chain?: ChainSettings;
  log: LogSettings;
};

export function resolveServeData(dir: string, flags: ServeDataFlags, env: Env, terminal: boolean): ServeDataSettings {
  const pricePerByte = amount(flags.pricePerByte ?? "0", "--price-per-byte");
  const unsealPrice = amount(flags.unsealPrice ?? "0", "--unseal-price");
  const { host, port } = resolveListen({ host: flags.host, port: flags.port ?? "0" });
  return {
    dir,
    dataDir: flags.dataDir?.trim() || path.join(".accord", "serve-data"),
    host,
    port,
    ask: {
      pricePerByte,
      unsealPrice,
      paymentInterval:
        flags.paymentInterval === undefined ? undefined : parseCount(flags.paymentInterval, "--payment-interval", true),
      paymentIntervalIncrease:
        flags.paymentIntervalIncrease === undefined
          ? undefined
          : parseCount(flags.paymentIntervalIncrease, "--payment-interval-increase"),
    },
    chain: resolveChain(flags, env, pricePerByte > 0n || unsealPrice > 0n),
    log: resolveLog(flags, env, terminal),
  };
}

export type RetrieveSettings = {
  cid: string;
  providerUrl: string;
  out?: string;
  dataDir: string;
  funds?: bigint;
  reconnectTimeoutMs?: number;
  chain?: ChainSettings;
  log: LogSettings;
};

export function resolveRetrieve(cid: string, flags: RetrieveFlags, env: Env, terminal: boolean): RetrieveSettings {
  const providerUrl = optionalUrl(flags.from, "--from");
  if (providerUrl === undefined) throw new Error("--from (the provider's URL) is required");
  return {
    cid,
    providerUrl,
    out: flags.out?.trim() || undefined,
    dataDir: flags.dataDir?.trim() || path.join(".accord", "retrieve"),
    funds: flags.funds === undefined ? undefined : amount(flags.funds, "--funds"),
    reconnectTimeoutMs:
      flags.reconnectTimeout === undefined
        ? undefined
        : parseCount(flags.reconnectTimeout, "--reconnect-timeout", true),
    chain: resolveChain(flags, env, false),
    log: resolveLog(flags, env, terminal),
  };
}

function chainFlags(command: Command): Command {
  return command
    .option("--rpc <url>", "HTTP JSON-RPC endpoint (to pay or be paid)")
    .option("--deployment <file|name>", "the deployment (a file, or a network name for deployments/<network>.json)");
}

export function registerRetrieval(program: Command): void {
  const serve = chainFlags(
    program
      .command("serve-data <dir>")
      .description(`serve a directory for paid retrieval (a priced ask needs the payee's key in ${ENV_VARS.agentKey})`)
      .option("--data-dir <dir>", "the provider's store, deals and vouchers (default .accord/serve-data)")
      .option("--host <host>", "host (default 127.0.0.1)")
      .option("--port <port>", "port (default any free one; the URL is printed)")
      .option("--price-per-byte <units>", "token units per block byte (default 0)")
      .option("--unseal-price <units>", "token units paid before the first byte (default 0)")
      .option("--payment-interval <bytes>", "bytes of the first interval (default 1048576)")
      .option("--payment-interval-increase <bytes>", "how much longer each next interval is (default 1048576)"),
  );
  logFlags(serve).action(async (dir: string, flags: ServeDataFlags) => {
    await runServeData(resolveServeData(dir, flags, process.env, isTerminal()));
  });

  const retrieve = chainFlags(
    program
      .command("retrieve <cid>")
      .description(`retrieve a DAG through paid retrieval (the payer's key in ${ENV_VARS.agentKey} when priced)`)
      .option("--from <url>", "the provider's URL")
      .option("--out <dir>", "write the retrieved tree here (must not exist yet)")
      .option("--data-dir <dir>", "the client's store, deals and channels (default .accord/retrieve)")
      .option("--funds <units>", "what the channel is funded with for the deal (default the whole payload's price)")
      .option("--reconnect-timeout <ms>", "how long the provider may be unreachable (default 30000)"),
  );
  logFlags(retrieve).action(async (cid: string, flags: RetrieveFlags) => {
    await runRetrieve(resolveRetrieve(cid, flags, process.env, isTerminal()));
  });
}

/** A signer on the chain and the deployment's PaymentChannels client for it. */
async function channelsClient(chain: ChainSettings) {
  /* eslint-disable @typescript-eslint/no-require-imports -- ethers and the clients only when a price is involved */
  const { JsonRpcProvider, Wallet } = require("ethers") as typeof import("ethers");
  const clients = require("../../clients") as typeof import("../../clients");
  /* eslint-enable @typescript-eslint/no-require-imports */
  // No request batching: ethers' default holds each call 10 ms to batch it, and a voucher is checked on a read.
  const provider = new JsonRpcProvider(chain.rpcUrl, undefined, {
    pollingInterval: 250,
    staticNetwork: true,
    batchMaxCount: 1,
  });
  const signer = new clients.SerialSigner(new Wallet(chain.key, provider));
  const client = await clients.PaymentChannelsClient.fromDeployment(signer, chain.deployment);
  return { client, close: () => provider.destroy() };
}

export async function runServeData(settings: ServeDataSettings): Promise<void> {
  const logger: Logger = createLogger(settings.log).child({ role: "data-provider" });
  /* eslint-disable @typescript-eslint/no-require-imports -- the stores and the server only when the command runs */
  const { ResultStore } = require("../../results") as typeof import("../../results");
  const retrieval = require("../../retrieval") as typeof import("../../retrieval");
  const { serveData } = require("../../retrieval/server") as typeof import("../../retrieval/server");
  const { VoucherStore } = require("../../channels/store") as typeof import("../../channels/store");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const store = await ResultStore.open(path.join(settings.dataDir, "results"));
  const cid = await store.importDirectory(settings.dir);
  const closers: (() => void | Promise<void>)[] = [];
  let payee: import("../../retrieval").RetrievalPayee | undefined;
  if (settings.chain !== undefined) {
    const { client, close } = await channelsClient(settings.chain);
    closers.push(close);
    const vouchers = await VoucherStore.open({ channels: client, dir: path.join(settings.dataDir, "vouchers") });
    closers.push(() => vouchers.close());
    payee = await retrieval.VoucherStorePayee.open(vouchers);
  }
  const provider = await retrieval.RetrievalProvider.open({
    store,
    dir: path.join(settings.dataDir, "deals"),
    ask: settings.ask,
    payee,
    logger,
  });
  const { size, blocks } = await provider.prepare(cid);
  const server = await serveData({ provider, plain: store, host: settings.host, port: settings.port, logger });
  logger.info({ cid, url: server.url, size, blocks }, "serving data");
  process.stdout.write(`${JSON.stringify({ cid, url: server.url, size, blocks })}\n`);
  closeOnSignal(async () => {
    await server.close();
    provider.close();
    for (const close of closers.reverse()) await close();
    await store.close();
  });
}

export async function runRetrieve(settings: RetrieveSettings): Promise<void> {
  const logger: Logger = createLogger(settings.log).child({ role: "retrieval-client" });
  /* eslint-disable @typescript-eslint/no-require-imports -- the stores and the client only when the command runs */
  const { ResultStore } = require("../../results") as typeof import("../../results");
  const retrieval = require("../../retrieval") as typeof import("../../retrieval");
  const { PayerChannelManager } = require("../../channels/manager") as typeof import("../../channels/manager");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const store = await ResultStore.open(path.join(settings.dataDir, "results"));
  const closers: (() => void | Promise<void>)[] = [];
  let payer: import("../../retrieval").RetrievalPayer | undefined;
  if (settings.chain !== undefined) {
    const { client, close } = await channelsClient(settings.chain);
    closers.push(close);
    const manager = await PayerChannelManager.open({ channels: client, dir: path.join(settings.dataDir, "channels") });
    closers.push(() => manager.close());
    payer = new retrieval.ChannelManagerPayer(manager);
  }
  const client = await retrieval.RetrievalClient.open({
    store,
    dir: path.join(settings.dataDir, "deals"),
    payer,
    reconnectTimeoutMs: settings.reconnectTimeoutMs,
    logger,
  });
  closers.unshift(() => client.close());
  const finish = async () => {
    for (const close of closers) await close();
    await store.close();
  };
  try {
    const outcome = await client.retrieve(settings.cid, settings.providerUrl, { funds: settings.funds });
    if (settings.out !== undefined) await store.extractTo(settings.cid, settings.out);
    process.stdout.write(
      `${JSON.stringify({ ...outcome, paid: outcome.paid.toString(), out: settings.out ?? null })}\n`,
    );
  } finally {
    await finish();
  }
}
