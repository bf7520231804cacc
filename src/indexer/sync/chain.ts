// What the indexer reads from the node: the head, block headers (batched), and logs in adaptive block ranges.

import type { RawLog } from "./events";
import { RpcError, RpcTransportError, type JsonRpcClient } from "./rpc";

export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
}

interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export interface LogRangeOptions {
  /** First range size (blocks). Default 1000. */
  initialRange?: number;
  /** Largest range (blocks). Default 10,000. */
  maxRange?: number;
  /** Aim for at most this many logs per range (the range shrinks above it, grows below half of it). Default 2,000. */
  targetLogs?: number;
  /** Shrink the next range when a response is larger than this (bytes). Default 16 MiB. */
  maxResponseBytes?: number;
}

/** Errors that mean "ask for fewer blocks": result limits, response size limits, timeouts. */
const SHRINK_RE = /too many|more than|limit|exceed|range|too large|size|timeout|timed out|query returned/i;

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
    private readonly filter: { addresses: string[]; topics: string[] },
    options: LogRangeOptions = {},
  ) {
    this.maxRange = Math.max(1, options.maxRange ?? 10_000);
    this.range = Math.min(this.maxRange, Math.max(1, options.initialRange ?? 1000));
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

  /** Headers of `numbers` (null for blocks the node does not have), in one or a few JSON-RPC batches. */
  async headers(numbers: number[]): Promise<Map<number, BlockHeader | null>> {
    const unique = [...new Set(numbers)];
    const blocks = await this.rpc.batch<RawBlock | null>(unique.map((n) => ["eth_getBlockByNumber", [hex(n), false]]));
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
   * actually reached. The range halves on errors that look like size limits (down to one block) and grows after
   * small answers.
   */
  async logs(from: number, maxTo: number): Promise<{ to: number; logs: RawLog[] }> {
    for (;;) {
      const to = Math.min(maxTo, from + this.range - 1);
      try {
        const logs = await this.rpc.call<RawLog[]>("eth_getLogs", [
          { fromBlock: hex(from), toBlock: hex(to), address: this.filter.addresses, topics: [this.filter.topics] },
        ]);
        const bytes = this.rpc.lastResponseBytes;
        if (++this.sinceRefusal > 20) this.ceiling = Infinity;
        if (logs.length > this.targetLogs || bytes > this.maxResponseBytes) {
          this.range = Math.max(1, Math.floor(this.range / 2));
        } else if (logs.length < this.targetLogs / 2 && to - from + 1 >= this.range) {
          this.range = Math.max(this.range, Math.min(this.maxRange, this.range * 2, this.ceiling - 1));
        }
        return { to, logs };
      } catch (error) {
        const shrinkable =
          error instanceof RpcTransportError || (error instanceof RpcError && SHRINK_RE.test(error.message));
        if (!shrinkable || to === from) throw error;
        this.ceiling = Math.min(this.ceiling, to - from + 1);
        this.sinceRefusal = 0;
        this.range = Math.max(1, Math.floor((to - from + 1) / 2));
      }
    }
  }
}

/** A JSON-RPC block as the indexer keeps it (hashes lower-cased), or null for a block the node does not have. */
function toHeader(b: RawBlock | null): BlockHeader | null {
  if (!b) return null;
  return {
    number: Number(b.number),
    hash: b.hash.toLowerCase(),
    parentHash: b.parentHash.toLowerCase(),
    timestamp: Number(b.timestamp),
  };
}
