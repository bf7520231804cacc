// What the indexer reads from the node: the head, block headers (batched), and logs in adaptive block ranges.

import type { RawLog } from "./types";
import type { JsonRpcClient } from "./rpc";
import { DeploymentMismatchError, RpcError, RpcFailure } from "./rpc-errors";

export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  /** The rest of the header, for the mappings' ethereum.Block (absent where the node leaves a field out). */
  unclesHash?: string;
  author?: string;
  stateRoot?: string;
  transactionsRoot?: string;
  receiptsRoot?: string;
  gasUsed?: bigint;
  gasLimit?: bigint;
  difficulty?: bigint;
  totalDifficulty?: bigint;
  size?: bigint;
  baseFeePerGas?: bigint;
  /** The block's transactions, when they were asked for (headers(…, withTransactions)). */
  transactions?: BlockTransaction[];
}

/** A transaction as the mappings' ethereum.Transaction needs it. */
export interface BlockTransaction {
  hash: string;
  index: number;
  from: string;
  to: string | null;
  value: bigint;
  gasLimit: bigint;
  gasPrice: bigint;
  input: string;
  nonce: bigint;
}

interface RawTransaction {
  hash: string;
  transactionIndex: string;
  from: string;
  to: string | null;
  value: string;
  gas: string;
  gasPrice?: string;
  input: string;
  nonce: string;
}

interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  sha3Uncles?: string;
  miner?: string;
  stateRoot?: string;
  transactionsRoot?: string;
  receiptsRoot?: string;
  gasUsed?: string;
  gasLimit?: string;
  difficulty?: string;
  totalDifficulty?: string;
  size?: string;
  baseFeePerGas?: string;
  transactions?: (RawTransaction | string)[];
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * The share of targetLogs (and of maxResponseBytes) a range aims at: near the target, so that batches are as large
 * as allowed (fewer statements and round trips per event), with room for the density to vary.
 */
const RANGE_AIM = 0.9;

export interface LogRangeOptions {
  /**
   * First range size (blocks). Default 100: the range doubles after each small answer, so a sparse chain reaches
   * large ranges within a few requests, while a dense one's first batch is not many times the target (it was the
   * backfill's peak memory at 1,000).
   */
  initialRange?: number;
  /** Largest range (blocks). Default 10,000. */
  maxRange?: number;
  /**
   * At most this many logs per range: each next range aims at 90% of it at the density just seen (at least halved
   * after an answer above it, at most doubled after one below). Default 2,000.
   */
  targetLogs?: number;
  /** Shrink the next range when a response is larger than this (bytes). Default 16 MiB. */
  maxResponseBytes?: number;
}

export class ChainReader {
  private range: number;
  /** The smallest range the node refused recently: growth stays below it for a while (then probes again). */
  private ceiling = Infinity;
  private sinceRefusal = 0;
  private readonly maxRange: number;
  private readonly targetLogs: number;
  private readonly maxResponseBytes: number;

  constructor(
    readonly rpc: JsonRpcClient,
    private readonly filter: { addresses: string[] | null; topics: string[] },
    options: LogRangeOptions = {},
  ) {
    this.maxRange = Math.max(1, options.maxRange ?? 10_000);
    this.range = Math.min(this.maxRange, Math.max(1, options.initialRange ?? 100));
    this.targetLogs = options.targetLogs ?? 2_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  get currentRange(): number {
    return this.range;
  }

  async chainId(): Promise<number> {
    return Number(await this.rpc.call<string>("eth_chainId"));
  }

  async head(): Promise<number> {
    return Number(await this.rpc.call<string>("eth_blockNumber"));
  }

  /**
   * Checks that the node serves `expected`: the same chain (when a chain id is expected), and code at each contract
   * once the head has passed its deployment block (a node still syncing below it is not a mismatch). Throws
   * DeploymentMismatchError, which is permanent: no retry fixes a wrong RPC URL or deployment file.
   */
  async checkDeployment(expected: {
    chainId: number | null;
    contracts: Record<string, { address: string; blockNumber: number }>;
  }): Promise<void> {
    const contracts = Object.entries(expected.contracts);
    const [chainId, head, ...codes] = await this.rpc.batch<string>([
      ["eth_chainId", []],
      ["eth_blockNumber", []],
      ...contracts.map(([, c]): [string, unknown[]] => ["eth_getCode", [c.address, "latest"]]),
    ]);
    if (expected.chainId !== null && Number(chainId) !== expected.chainId) {
      throw new DeploymentMismatchError(
        `the node at ${this.rpc.url} is chain ${Number(chainId)}, the deployment is for chain ${expected.chainId}`,
      );
    }
    contracts.forEach(([name, contract], i) => {
      if (Number(head) >= contract.blockNumber && (codes[i] === "0x" || codes[i] === "0x0" || !codes[i])) {
        throw new DeploymentMismatchError(
          `no contract at ${name} ${contract.address} on chain ${Number(chainId)} (head ${Number(head)}, ` +
            `deployed at block ${contract.blockNumber}): wrong deployment file, subgraph or RPC URL?`,
        );
      }
    });
  }

  /** Headers of `numbers` (null for blocks the node does not have), in one or a few JSON-RPC batches. */
  async headers(numbers: number[], withTransactions?: ReadonlySet<number>): Promise<Map<number, BlockHeader | null>> {
    const unique = [...new Set(numbers)];
    const blocks = await this.rpc.batch<RawBlock | null>(
      unique.map((n) => ["eth_getBlockByNumber", [hex(n), withTransactions?.has(n) ?? false]]),
    );
    const out = new Map<number, BlockHeader | null>();
    unique.forEach((n, i) => {
      const b = blocks[i];
      out.set(n, toHeader(b));
    });
    return out;
  }

  /** The head and one header in a single round trip (the idle check). */
  async headAndHeader(n: number): Promise<{ head: number; header: BlockHeader | null }> {
    const [head, block] = await this.rpc.batch<unknown>([
      ["eth_blockNumber", []],
      ["eth_getBlockByNumber", [hex(n), false]],
    ]);
    const b = block as RawBlock | null;
    return {
      head: Number(head),
      header: toHeader(b),
    };
  }

  /**
   * Logs from `from` up to at most `maxTo`, over as many blocks as the adaptive range allows. Returns the block
   * actually reached. When the node refuses the range as too large (rpc-errors.ts recognises each provider's
   * wording), the next request uses the range the provider suggests, or half; a timeout halves it too; the range
   * grows again after small answers. Other errors are thrown as classified (permanent ones are not retried).
   */
  async logs(from: number, maxTo: number): Promise<{ to: number; logs: RawLog[] }> {
    for (;;) {
      const to = Math.min(maxTo, from + this.range - 1);
      try {
        const logs = await this.rpc.call<RawLog[]>(
          "eth_getLogs",
          [
            {
              fromBlock: hex(from),
              toBlock: hex(to),
              address: this.filter.addresses ?? undefined,
              topics: [this.filter.topics],
            },
          ],
          // A timeout over many blocks is answered with fewer blocks; over one block, only a retry can help.
          { retryTimeouts: to === from },
        );
        const bytes = this.rpc.lastResponseBytes;
        if (++this.sinceRefusal > 20) this.ceiling = Infinity;
        // Aim at RANGE_AIM of the target at the density just seen: over the target (or the size limit), at least
        // half; under it, at most double (and only after a full-size answer).
        const tried = to - from + 1;
        const aim = Math.floor((tried * this.targetLogs * RANGE_AIM) / Math.max(logs.length, 1));
        if (logs.length > this.targetLogs || bytes > this.maxResponseBytes) {
          const byBytes = Math.floor((tried * this.maxResponseBytes * RANGE_AIM) / Math.max(bytes, 1));
          this.range = Math.max(1, Math.min(Math.floor(this.range / 2), aim, byBytes));
        } else if (tried >= this.range && aim > this.range) {
          this.range = Math.max(this.range, Math.min(this.maxRange, this.range * 2, aim, this.ceiling - 1));
        }
        return { to, logs };
      } catch (error) {
        const tried = to - from + 1;
        const next = smallerRange(error, tried);
        if (next === undefined) throw error;
        this.ceiling = Math.min(this.ceiling, next.ceiling);
        this.sinceRefusal = 0;
        this.range = next.range;
      }
    }
  }
}

/**
 * The range to try after `error` answered a request over `tried` blocks, and the smallest range known to fail
 * (growth stays below it for a while); undefined when a smaller range would not help.
 */
function smallerRange(error: unknown, tried: number): { range: number; ceiling: number } | undefined {
  if (tried <= 1) return undefined;
  if (error instanceof RpcError && error.kind === "range" && error.ranges && error.ranges.length > 0) {
    const first = error.ranges[0];
    const range = Math.max(1, Math.min(tried - 1, first.to - first.from + 1));
    // A provider's own suggestion is what it accepts: stay at it rather than probe just below the refused size.
    return { range, ceiling: error.suggestedRange ? range + 1 : tried };
  }
  if (error instanceof RpcFailure && error.kind === "timeout") return { range: Math.floor(tried / 2), ceiling: tried };
  return undefined;
}

/** A JSON-RPC block as the indexer keeps it (hashes lower-cased), or null for a block the node does not have. */
const quantity = (value: string | undefined): bigint | undefined => (value === undefined ? undefined : BigInt(value));
const lower = (value: string | undefined): string | undefined => value?.toLowerCase();

function toTransaction(t: RawTransaction): BlockTransaction {
  return {
    hash: t.hash.toLowerCase(),
    index: Number(t.transactionIndex),
    from: t.from.toLowerCase(),
    to: t.to ? t.to.toLowerCase() : null,
    value: BigInt(t.value),
    gasLimit: BigInt(t.gas),
    gasPrice: BigInt(t.gasPrice ?? 0),
    input: t.input.toLowerCase(),
    nonce: BigInt(t.nonce),
  };
}

function toHeader(b: RawBlock | null): BlockHeader | null {
  if (!b) return null;
  const full = b.transactions?.filter((t): t is RawTransaction => typeof t === "object");
  return {
    number: Number(b.number),
    hash: b.hash.toLowerCase(),
    parentHash: b.parentHash.toLowerCase(),
    timestamp: Number(b.timestamp),
    unclesHash: lower(b.sha3Uncles),
    author: lower(b.miner),
    stateRoot: lower(b.stateRoot),
    transactionsRoot: lower(b.transactionsRoot),
    receiptsRoot: lower(b.receiptsRoot),
    gasUsed: quantity(b.gasUsed),
    gasLimit: quantity(b.gasLimit),
    difficulty: quantity(b.difficulty),
    totalDifficulty: quantity(b.totalDifficulty),
    size: quantity(b.size),
    baseFeePerGas: quantity(b.baseFeePerGas),
    transactions: full && full.length > 0 ? full.map(toTransaction) : undefined,
  };
}
