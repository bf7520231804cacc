// Shared setup for the paid-retrieval tests: a Hardhat network of its own served over HTTP on 127.0.0.1 (so child
// processes reach it), Accord deployed on it, funded payer accounts, payloads of seeded random bytes imported with the
// ecosystem's importer, the real payment adapters (PayerChannelManager / VoucherStore), and `accord` processes
// (serve-data, retrieve) whose JSON log lines can be waited for.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider, Network, type HDNodeWallet } from "ethers";
import { PayerChannelManager } from "../../src/channels/manager";
import { VoucherStore } from "../../src/channels/store";
import { PaymentChannelsClient, SerialSigner } from "../../src/clients";
import { deployAccord } from "../../src/deployments";
import { accordCommand, hardhatAccount } from "../../src/devnet/accounts";
import { LOCAL_NETWORK, startLocalNode } from "../../src/devnet/local-node";
import { ResultStore } from "../../src/results";
import {
  ChannelManagerPayer,
  intervalBoundary,
  RetrievalClient,
  RetrievalProvider,
  VoucherStorePayee,
  type DealParams,
  type RetrievalProviderOptions,
} from "../../src/retrieval";
import { serveData, type DataServer } from "../../src/retrieval/server";
import { collectJsonLines, type LogLine } from "../helpers/json-lines";

export const TOKEN = 10n ** 18n;

export type Chain = {
  url: string;
  provider: JsonRpcProvider;
  deploymentPath: string;
  /** A PaymentChannelsClient for Hardhat account `index`. */
  channels(index: number): Promise<PaymentChannelsClient>;
  account(index: number): HDNodeWallet;
  close(): Promise<void>;
};

/** Payers are accounts 2..9 (funded here), payees 10..19. */
export async function startChain(dir: string): Promise<Chain> {
  const node = await startLocalNode({ port: 0 });
  const provider = new JsonRpcProvider(node.url, Network.from(LOCAL_NETWORK.chainId), {
    staticNetwork: true,
    pollingInterval: 100,
    batchMaxCount: 1,
  });
  const deployer = new SerialSigner(hardhatAccount(0).connect(provider));
  const deploymentPath = path.join(dir, "deployment.json");
  const { token } = await deployAccord(deployer, { network: "localhost", write: { path: deploymentPath } });
  for (let i = 2; i < 10; i++) {
    await (await token.connect(deployer).transfer(hardhatAccount(i).address, 1_000_000n * TOKEN)).wait();
  }
  return {
    url: node.url,
    provider,
    deploymentPath,
    channels: (index) =>
      PaymentChannelsClient.fromDeployment(new SerialSigner(hardhatAccount(index).connect(provider)), deploymentPath),
    account: hardhatAccount,
    async close() {
      provider.destroy();
      await node.close();
    },
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `accord-retrieval-${prefix}-`));
}

/** Seeded pseudo-random bytes (xorshift): the same payload, hence the same CID, every run. */
export function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A directory of `files` small files (sizes from `minBytes` to `maxBytes`, seeded) and one of `bigBytes` (more than one
 * 256 KiB chunk when large): many blocks of different sizes, so the intervals fall everywhere.
 */
export function writePayload(
  dir: string,
  options: { files: number; minBytes?: number; maxBytes?: number; bigBytes?: number; seed?: number },
): string {
  const seed = options.seed ?? 1;
  const min = options.minBytes ?? 200;
  const max = options.maxBytes ?? 6000;
  fs.mkdirSync(path.join(dir, "docs"), { recursive: true });
  const sizes = seededBytes(options.files * 2, seed);
  for (let i = 0; i < options.files; i++) {
    const size = min + ((sizes[2 * i] * 256 + sizes[2 * i + 1]) % (max - min + 1));
    const where = i % 3 === 0 ? path.join(dir, "docs", `doc-${i}.bin`) : path.join(dir, `file-${i}.bin`);
    fs.writeFileSync(where, seededBytes(size, seed * 7919 + i));
  }
  if (options.bigBytes) fs.writeFileSync(path.join(dir, "big.bin"), seededBytes(options.bigBytes, seed * 31 + 5));
  return dir;
}

/** The DAG's blocks' sizes in depth-first order (what the provider counts). */
export async function blockSizes(store: ResultStore, cid: string): Promise<number[]> {
  const sizes: number[] = [];
  for await (const block of store.blocksOf(cid)) sizes.push(block.bytes.length);
  return sizes;
}

/**
 * Terms whose boundaries fall exactly on block edges, the last one on the DAG's very end (where the reference hung):
 * b_1 after the first `firstBlocks` blocks, b_k = the whole DAG for the k found. Undefined when no k fits.
 */
export function alignedParams(sizes: number[], pricePerByte: bigint, unsealPrice: bigint): DealParams | undefined {
  const total = sizes.reduce((a, b) => a + b, 0);
  let prefix = 0;
  for (let m = 0; m < sizes.length - 1; m++) {
    prefix += sizes[m];
    for (let k = 8; k >= 2; k--) {
      const rest = total - k * prefix;
      const steps = (k * (k - 1)) / 2;
      if (rest < 0 || rest % steps !== 0) continue;
      const params = { pricePerByte, unsealPrice, paymentInterval: prefix, paymentIntervalIncrease: rest / steps };
      if (intervalBoundary(params, k) === total && prefix >= 1024) return params;
    }
  }
  return undefined;
}

export type Payment = {
  client: PaymentChannelsClient;
  manager: PayerChannelManager;
  payer: ChannelManagerPayer;
};

export async function payerFor(chain: Chain, index: number, dir: string): Promise<Payment> {
  const client = await chain.channels(index);
  const manager = await PayerChannelManager.open({ channels: client, dir });
  return { client, manager, payer: new ChannelManagerPayer(manager) };
}

export type Payee = { client: PaymentChannelsClient; vouchers: VoucherStore; payee: VoucherStorePayee };

export async function payeeFor(chain: Chain, index: number, dir: string): Promise<Payee> {
  const client = await chain.channels(index);
  const vouchers = await VoucherStore.open({ channels: client, dir });
  return { client, vouchers, payee: await VoucherStorePayee.open(vouchers) };
}

/** A provider in this process (for the ones that misbehave, and provider-side cancellation). */
export async function inProcessProvider(
  dir: string,
  payload: string,
  options: Omit<RetrievalProviderOptions, "store" | "dir"> & {
    make?: (options: RetrievalProviderOptions) => Promise<RetrievalProvider>;
    wrapStore?: (store: ResultStore) => RetrievalProviderOptions["store"];
  },
): Promise<{
  provider: RetrievalProvider;
  store: ResultStore;
  server: DataServer;
  cid: string;
  close(): Promise<void>;
}> {
  const store = await ResultStore.open(path.join(dir, "results"));
  const cid = await store.importDirectory(payload);
  const full: RetrievalProviderOptions = {
    ...options,
    store: options.wrapStore ? options.wrapStore(store) : store,
    dir: path.join(dir, "deals"),
  };
  const provider = options.make ? await options.make(full) : await RetrievalProvider.open(full);
  const server = await serveData({ provider, host: "127.0.0.1", port: 0 });
  return {
    provider,
    store,
    server,
    cid,
    async close() {
      await server.close();
      provider.close();
      await store.close();
    },
  };
}

export async function openClient(
  dir: string,
  payer?: ChannelManagerPayer,
  options: { reconnectTimeoutMs?: number } = {},
): Promise<{ client: RetrievalClient; store: ResultStore; close(): Promise<void> }> {
  const store = await ResultStore.open(path.join(dir, "results"));
  const client = await RetrievalClient.open({ store, dir: path.join(dir, "deals"), payer, ...options });
  return {
    client,
    store,
    async close() {
      client.close();
      await store.close();
    },
  };
}

/** A free TCP port on 127.0.0.1 (for a provider that must come back on the same URL after kill -9). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type { LogLine };

export type AccordProcess = {
  child: ChildProcess;
  lines: LogLine[];
  /** Resolves with the first line (stdout or stderr, JSON) matching, waiting up to `timeoutMs`. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
};

/** Runs `accord <args>` (from the TypeScript sources) with `env` added, collecting its JSON lines. */
export function spawnAccord(args: string[], env: Record<string, string> = {}): AccordProcess {
  const { command, args: base } = accordCommand();
  const child = spawn(command, [...base, ...args, "--log-format", "json"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectJsonLines(child, `accord ${args[0]}`);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    lines: output.lines,
    exited,
    waitFor: (match, timeoutMs = 60_000) => output.waitFor(match, timeoutMs),
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** `accord serve-data` as a process; resolves once it prints its URL and CID. */
export async function spawnServeData(
  chain: Chain | undefined,
  options: {
    payload: string;
    dataDir: string;
    payee?: number;
    port?: number;
    params?: Partial<DealParams>;
  },
): Promise<{ process: AccordProcess; url: string; cid: string; size: number; blocks: number }> {
  const args = ["serve-data", options.payload, "--data-dir", options.dataDir, "--port", String(options.port ?? 0)];
  const p = options.params ?? {};
  if (p.pricePerByte !== undefined) args.push("--price-per-byte", p.pricePerByte.toString());
  if (p.unsealPrice !== undefined) args.push("--unseal-price", p.unsealPrice.toString());
  if (p.paymentInterval !== undefined) args.push("--payment-interval", String(p.paymentInterval));
  if (p.paymentIntervalIncrease !== undefined) {
    args.push("--payment-interval-increase", String(p.paymentIntervalIncrease));
  }
  const env: Record<string, string> = {};
  if (chain !== undefined && options.payee !== undefined) {
    args.push("--rpc", chain.url, "--deployment", chain.deploymentPath);
    env.ACCORD_AGENT_KEY = chain.account(options.payee).privateKey;
  }
  const child = spawnAccord(args, env);
  const line = await child.waitFor((l) => typeof l.url === "string" && typeof l.cid === "string" && !("msg" in l));
  return {
    process: child,
    url: line.url as string,
    cid: line.cid as string,
    size: line.size as number,
    blocks: line.blocks as number,
  };
}

/** Resolves when `predicate` holds, polling every 20 ms for at most `timeoutMs`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
