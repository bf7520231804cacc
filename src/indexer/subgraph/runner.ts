// Runs a subgraph's mappings on a batch of logs, as graph-node runs them: for each log in block and log-index order,
// every data source whose address and event (and topic filters) match calls its handler with an `ethereum.Event`
// built from the log, its block and its transaction, the parameters decoded from the data source's ABI.
//
// The host's store is synchronous and the database is not, so a trigger reads what memory knows (this batch's
// writes, the committed-entity cache, what earlier misses loaded); reading anything else stops the trigger
// (StoreMiss), the runner loads that entity and runs the trigger again from a fresh instance. A trigger's writes
// are kept aside and reach the batch only when it completes, so a trigger that stops or fails leaves nothing.
// Any other failure (an abort, a trap, data that breaks the schema) is deterministic: DeterministicIndexingError,
// naming the handler, the block and the transaction.

import { createEventDecoder, type EventDecoder } from "../../abi/decoder";
import type { EntityRecord } from "../store/types";
import type { MergeBase } from "../store/writer";
import type { BlockHeader, BlockTransaction } from "../sync/chain";
import type { AscHeap } from "../wasm/heap";
import { MappingAbort, type HostStore, type TriggerScope, LOG_LEVELS } from "../wasm/host";
import { MappingModule } from "../wasm/module";
import { ethereumValueToWasm, HandedValues, type AbiParam } from "../wasm/values";
import type { DataSource, EventHandler, SubgraphManifest } from "./manifest";

/** A log as the runner needs it (numbers decoded). */
export interface TriggerLog {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  transactionIndex: number;
  logIndex: number;
  /** The log's index within its transaction, when the node gives it. */
  transactionLogIndex?: number;
}

/** A block header as the chain reader gives it; fields the node did not give are zero (or null where graph-ts allows). */
export type TriggerBlock = BlockHeader;

/** An event's transaction, as the chain reader gives it. */
export type TriggerTransaction = BlockTransaction;

/** The synchronous part of the batch writer the runner uses (SqlBatchWriter). */
export interface RunnerWriter {
  peek(entity: string, id: string): EntityRecord | null | undefined;
  mergeBase(entity: string, id: string): MergeBase;
  lastWriteBlock(entity: string, id: string): number | undefined;
  /** `checked`: the record's fields were checked against the schema (as the host checks a save's). */
  setNow(entity: string, record: EntityRecord, block: number, checked?: boolean): void;
  setBlind(entity: string, fields: EntityRecord, block: number, checked?: boolean): void;
  removeNow(entity: string, id: string, block: number): void;
  prefetch(entity: string, ids: Iterable<string>): Promise<void>;
}

/** A mapping failed: as on graph-node, the subgraph stops at this block until the mapping (or the data) changes. */
export class DeterministicIndexingError extends Error {
  override name = "DeterministicIndexingError";
  constructor(
    message: string,
    readonly dataSource: string,
    readonly handler: string,
    readonly block: number,
    readonly transaction: string,
    readonly logIndex: number,
    override readonly cause?: unknown,
  ) {
    super(
      `${dataSource}.${handler} failed at block ${block} (transaction ${transaction}, log ${logIndex}): ${message}`,
    );
  }
}

class StoreMiss extends Error {
  override name = "StoreMiss";
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    // Control flow, not a failure: capturing a stack trace would be most of its cost.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${entity} ${id} is not in memory`);
    Error.stackTraceLimit = limit;
  }
}

const ZERO_HASH = "0x" + "00".repeat(32);
const ZERO_ADDRESS = "0x" + "00".repeat(20);
/** How long the runner holds the thread before letting the event loop run (I/O of the reads ahead). */
const YIELD_MS = 10;
/** Re-runs of one trigger for entities it had to load; past this, something reads without end. */
const MAX_LOADS_PER_TRIGGER = 10_000;

interface TriggerWrite {
  entity: string;
  id: string;
  record: EntityRecord | null;
  /** Saved without the stored entity (mergeBase unknown): merged under it later. */
  blind: boolean;
}

/** One trigger's view of the store: its own writes over the batch's. */
class TriggerStore implements HostStore {
  /** By entity type, then id (a composite key was concatenated, flattened and hashed on every call). */
  private readonly byKey = new Map<string, Map<string, TriggerWrite>>();
  /** In the order first written (a write of the same entity again replaces its record in place). */
  private readonly writes: TriggerWrite[] = [];
  constructor(
    private readonly writer: RunnerWriter,
    private readonly block: number,
  ) {}
  private own(entity: string, id: string): TriggerWrite | undefined {
    return this.byKey.get(entity)?.get(id);
  }
  private write(entity: string, id: string, record: EntityRecord | null, blind: boolean): void {
    let byId = this.byKey.get(entity);
    if (!byId) this.byKey.set(entity, (byId = new Map<string, TriggerWrite>()));
    const earlier = byId.get(id);
    if (earlier) {
      earlier.record = record;
      earlier.blind = blind;
      return;
    }
    const write = { entity, id, record, blind };
    byId.set(id, write);
    this.writes.push(write);
  }
  get(entity: string, id: string): EntityRecord | null {
    const own = this.own(entity, id);
    if (own && !own.blind) return own.record;
    const known = own ? undefined : this.writer.peek(entity, id);
    if (known === undefined) throw new StoreMiss(entity, id);
    return known;
  }
  getInBlock(entity: string, id: string): EntityRecord | null {
    const own = this.own(entity, id);
    if (own && !own.blind) return own.record;
    if (!own && this.writer.lastWriteBlock(entity, id) !== this.block) return null;
    const known = own ? undefined : this.writer.peek(entity, id);
    if (known === undefined) throw new StoreMiss(entity, id);
    return known;
  }
  mergeBase(entity: string, id: string): MergeBase {
    const own = this.own(entity, id);
    if (own) return own.blind ? { known: false, partial: own.record } : { known: true, record: own.record };
    return this.writer.mergeBase(entity, id);
  }
  set(entity: string, id: string, record: EntityRecord): void {
    this.write(entity, id, record, false);
  }
  setBlind(entity: string, id: string, fields: EntityRecord): void {
    this.write(entity, id, fields, true);
  }
  remove(entity: string, id: string): void {
    this.write(entity, id, null, false);
  }
  /** Into the batch; every record was built by the host, which checked its fields against the schema. */
  commit(): void {
    for (const { entity, id, record, blind } of this.writes) {
      if (!record) this.writer.removeNow(entity, id, this.block);
      else if (blind) this.writer.setBlind(entity, record, this.block, true);
      else this.writer.setNow(entity, record, this.block, true);
    }
  }
}

/** Indexed parameters of dynamic types arrive as their topic (a keccak256): graph-node gives them as bytes32. */
function eventParams(handler: EventHandler): AbiParam[] {
  return handler.abiEvent.inputs.map((input) => {
    const dynamic =
      input.type === "string" || input.type === "bytes" || input.type.startsWith("tuple") || input.type.endsWith("]");
    return input.indexed && dynamic ? { name: input.name, type: "bytes32" } : input;
  });
}

interface CompiledSource {
  source: DataSource;
  module: MappingModule;
  decoder: EventDecoder;
  /** topic0 → handlers (a manifest may list one event twice, with different topic filters). */
  byTopic: Map<string, { handler: EventHandler; params: AbiParam[] }[]>;
}

export interface RunnerLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RunnerStats {
  /** Time in the mappings (host functions and event building included), ms. */
  mappingMs: number;
  /** Time decoding logs, ms. */
  decodeMs: number;
  triggers: number;
  /** Triggers run again after loading an entity they read. */
  reruns: number;
}

export class SubgraphRunner {
  private readonly sources: CompiledSource[];
  /** Where a data source's address and start block come from when the manifest's are placeholders. */
  readonly stats: RunnerStats = { mappingMs: 0, decodeMs: 0, triggers: 0, reruns: 0 };

  constructor(
    readonly manifest: SubgraphManifest,
    private readonly logger: RunnerLogger,
  ) {
    this.sources = manifest.dataSources.map((source) => {
      const module = new MappingModule(source.name, source.wasm, manifest.model);
      const byTopic = new Map<string, { handler: EventHandler; params: AbiParam[] }[]>();
      for (const handler of source.handlers) {
        if (!module.hasHandler(handler.handler)) {
          throw new MappingAbort(`${source.name}: the mapping exports no handler ${handler.handler}`);
        }
        const list = byTopic.get(handler.topic0) ?? [];
        list.push({ handler, params: eventParams(handler) });
        byTopic.set(handler.topic0, list);
      }
      return { source, module, decoder: createEventDecoder(source.abi), byTopic };
    });
  }

  /** The eth_getLogs filter: every data source's address (null if one has none) and every handled topic0. */
  get filter(): { addresses: string[] | null; topics: string[] } {
    const addresses = this.sources.map((s) => s.source.address);
    const topics = new Set<string>();
    for (const s of this.sources) for (const t of s.byTopic.keys()) topics.add(t);
    return {
      addresses: addresses.includes(null) ? null : [...new Set(addresses as string[])],
      topics: [...topics],
    };
  }

  /** The earliest start block of any data source. */
  get startBlock(): number {
    return Math.min(...this.sources.map((s) => s.source.startBlock));
  }

  /**
   * Runs every trigger of `logs` (sorted by block, then log index) into `writer`. Resolves with the number of
   * triggers run; rejects with DeterministicIndexingError when a mapping fails (nothing of that trigger written).
   */
  async run(
    writer: RunnerWriter,
    logs: readonly TriggerLog[],
    blocks: ReadonlyMap<number, TriggerBlock>,
    transactions?: ReadonlyMap<string, TriggerTransaction>,
  ): Promise<number> {
    let count = 0;
    let yielded = performance.now();
    for (const log of logs) {
      // Hand the thread to the event loop now and then: reads of the next ranges progress during a long batch.
      if ((count & 63) === 0 && performance.now() - yielded > YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = performance.now();
      }
      const address = log.address.toLowerCase();
      const topic0 = log.topics[0]?.toLowerCase();
      if (topic0 === undefined) continue;
      for (const compiled of this.sources) {
        const { source } = compiled;
        if (source.address !== null && source.address !== address) continue;
        if (log.blockNumber < source.startBlock || (source.endBlock !== null && log.blockNumber > source.endBlock)) {
          continue;
        }
        const handlers = compiled.byTopic.get(topic0);
        if (!handlers) continue;
        const decodeStart = performance.now();
        let values: unknown[] | undefined;
        for (const { handler, params } of handlers) {
          if (
            !handler.topics.every(
              (allowed, i) => allowed.length === 0 || allowed.includes(log.topics[i + 1]?.toLowerCase()),
            )
          ) {
            continue;
          }
          if (!values) {
            try {
              values = compiled.decoder.decodeOrThrow(log).values;
            } catch (error) {
              // graph-node skips a log its ABI cannot decode (another contract's event with the same topic0).
              this.logger.warn(
                { dataSource: source.name, block: log.blockNumber, tx: log.transactionHash, err: error },
                `skipping a ${handler.event} log that does not decode`,
              );
              break;
            }
            this.stats.decodeMs += performance.now() - decodeStart;
          }
          const block = blocks.get(log.blockNumber);
          if (!block) throw new Error(`block ${log.blockNumber} of a log was not fetched`);
          const started = performance.now();
          try {
            await this.trigger(
              writer,
              compiled,
              handler,
              params,
              values,
              log,
              block,
              transactions?.get(log.transactionHash),
            );
          } finally {
            this.stats.mappingMs += performance.now() - started;
          }
          count++;
        }
      }
    }
    this.stats.triggers += count;
    return count;
  }

  private async trigger(
    writer: RunnerWriter,
    compiled: CompiledSource,
    handler: EventHandler,
    params: AbiParam[],
    values: unknown[],
    log: TriggerLog,
    block: TriggerBlock,
    transaction: TriggerTransaction | undefined,
  ): Promise<void> {
    const { source, module } = compiled;
    const scope = (store: HostStore): TriggerScope => ({
      store,
      handed: new HandedValues(),
      dataSource: {
        name: source.name,
        address: source.address ?? log.address.toLowerCase(),
        network: source.network,
        context: source.context,
      },
      log: (level, message) => {
        const fields = {
          dataSource: source.name,
          handler: handler.handler,
          block: log.blockNumber,
          tx: log.transactionHash,
        };
        const name = LOG_LEVELS[level] ?? "info";
        if (name === "error") this.logger.error(fields, message);
        else if (name === "warning") this.logger.warn(fields, message);
        else if (name === "info") this.logger.info(fields, message);
        else this.logger.debug(fields, message);
      },
    });
    for (let loads = 0; ; loads++) {
      const store = new TriggerStore(writer, log.blockNumber);
      try {
        module.run(
          handler.handler,
          scope(store),
          (heap, blockPtr) => buildEvent(heap, params, values, log, blockPtr, transaction),
          { key: block, build: (heap) => buildBlock(heap, block) },
        );
        store.commit();
        return;
      } catch (error) {
        if (error instanceof StoreMiss && loads < MAX_LOADS_PER_TRIGGER) {
          this.stats.reruns++;
          await writer.prefetch(error.entity, [error.id]);
          continue;
        }
        const message = error instanceof Error ? error.message : String(error);
        throw new DeterministicIndexingError(
          message,
          source.name,
          handler.handler,
          log.blockNumber,
          log.transactionHash,
          log.logIndex,
          error,
        );
      }
    }
  }
}

function bigInt(heap: AscHeap, value: bigint | number): number {
  return heap.newBigInt(BigInt(value));
}

const hexBytes = (hex: string | undefined, fallback: string): Uint8Array =>
  Buffer.from((hex ?? fallback).slice(2), "hex");

/** A block's byte fields, converted once for all of its events. */
interface BlockBytes {
  hash: Uint8Array;
  parentHash: Uint8Array;
  unclesHash: Uint8Array;
  author: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
}
const blockBytesCache = new WeakMap<TriggerBlock, BlockBytes>();

function blockBytes(block: TriggerBlock): BlockBytes {
  let bytes = blockBytesCache.get(block);
  if (!bytes) {
    bytes = {
      hash: hexBytes(block.hash, ZERO_HASH),
      parentHash: hexBytes(block.parentHash, ZERO_HASH),
      unclesHash: hexBytes(block.unclesHash, ZERO_HASH),
      author: hexBytes(block.author, ZERO_ADDRESS),
      stateRoot: hexBytes(block.stateRoot, ZERO_HASH),
      transactionsRoot: hexBytes(block.transactionsRoot, ZERO_HASH),
      receiptsRoot: hexBytes(block.receiptsRoot, ZERO_HASH),
    };
    blockBytesCache.set(block, bytes);
  }
  return bytes;
}

/** graph-ts's ethereum.Block. */
function buildBlock(heap: AscHeap, block: TriggerBlock): number {
  const optional = (value: bigint | undefined): number => (value === undefined ? 0 : bigInt(heap, value));
  const b = blockBytes(block);
  return heap.newObject("EthereumBlock", [
    heap.newBytes(b.hash),
    heap.newBytes(b.parentHash),
    heap.newBytes(b.unclesHash),
    heap.newBytes(b.author),
    heap.newBytes(b.stateRoot),
    heap.newBytes(b.transactionsRoot),
    heap.newBytes(b.receiptsRoot),
    bigInt(heap, block.number),
    bigInt(heap, block.gasUsed ?? 0n),
    bigInt(heap, block.gasLimit ?? 0n),
    bigInt(heap, block.timestamp),
    bigInt(heap, block.difficulty ?? 0n),
    bigInt(heap, block.totalDifficulty ?? 0n),
    optional(block.size),
    optional(block.baseFeePerGas),
  ]);
}

/** graph-ts's ethereum.Event (apiVersion ≥ 0.0.7 layout: with `receipt`, here always null), on its block's object. */
function buildEvent(
  heap: AscHeap,
  params: readonly AbiParam[],
  values: readonly unknown[],
  log: TriggerLog,
  blockPtr: number,
  tx: TriggerTransaction | undefined,
): number {
  const eventParams = params.map((param, i) =>
    heap.newObject("EventParam", [heap.newString(param.name ?? ""), ethereumValueToWasm(heap, param, values[i])]),
  );
  const txPtr = heap.newObject("EthereumTransaction", [
    heap.newHexBytes(log.transactionHash),
    bigInt(heap, log.transactionIndex),
    heap.newHexBytes(tx?.from ?? ZERO_ADDRESS),
    tx?.to === null ? 0 : heap.newHexBytes(tx?.to ?? ZERO_ADDRESS),
    bigInt(heap, tx?.value ?? 0n),
    bigInt(heap, tx?.gasLimit ?? 0n),
    bigInt(heap, tx?.gasPrice ?? 0n),
    heap.newHexBytes(tx?.input ?? "0x"),
    bigInt(heap, tx?.nonce ?? 0n),
  ]);
  return heap.newObject("EthereumEvent", [
    heap.newHexBytes(log.address),
    bigInt(heap, log.logIndex),
    bigInt(heap, log.transactionLogIndex ?? log.logIndex),
    0,
    blockPtr,
    txPtr,
    heap.newArray(eventParams, "ArrayEventParam"),
    0,
  ]);
}
