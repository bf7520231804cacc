// The contract events the indexer handles, their topics, and hand-written decoders (fixed ABI layouts: a few
// string slices per log instead of ethers' generic parseLog, which dominates CPU on large backfills).

import { id as keccakId } from "ethers";

// The enum names in index order are the data model's (the contracts use the same indices).
export {
  agreementStateNames as AGREEMENT_STATES,
  paymentReasonNames as PAYMENT_REASONS,
  paymentDirectionNames as PAYMENT_DIRECTIONS,
  serviceTypeNames as SERVICE_TYPES,
} from "../../model/enums";
export type { AgreementStateName, PaymentReasonName, PaymentDirectionName, ServiceTypeName } from "../../model/types";

const PRICING_TUPLE = "(uint256,uint256,uint256,uint256)";
const TIMEOUTS_TUPLE = "(uint64,uint64,uint64,uint64,uint256,uint256,uint256,uint256)";

/** Canonical signatures, as in IDealMarket / IServiceRegistry (enums are uint8). */
export const DEAL_MARKET_SIGNATURES = {
  DealCreated: `DealCreated(bytes32,address,address,bytes32,address,address[],${PRICING_TUPLE},${TIMEOUTS_TUPLE})`,
  PartyAgreed: "PartyAgreed(bytes32,address)",
  DealStateChange: "DealStateChange(bytes32,uint8)",
  ResultAdded: "ResultAdded(bytes32,bytes32,uint64)",
  MediationRequested: "MediationRequested(bytes32,uint256)",
  MediatorDrawn: "MediatorDrawn(bytes32,address,uint8)",
  Payment: "Payment(bytes32,address,uint256,uint8,uint8)",
  PayoutDeferred: "PayoutDeferred(address,uint256)",
  Withdrawn: "Withdrawn(address,address,uint256)",
} as const;

export const SERVICE_REGISTRY_SIGNATURES = {
  ServiceRegistered: "ServiceRegistered(address,uint8,bytes32,string)",
  ServiceRoleAdded: "ServiceRoleAdded(address,uint8)",
  ServiceRoleRemoved: "ServiceRoleRemoved(address,uint8)",
  ServiceUnregistered: "ServiceUnregistered(address)",
} as const;

export type DealMarketEventName = keyof typeof DEAL_MARKET_SIGNATURES;
export type ServiceRegistryEventName = keyof typeof SERVICE_REGISTRY_SIGNATURES;

export const TOPICS: Record<DealMarketEventName | ServiceRegistryEventName, string> = Object.fromEntries(
  Object.entries({ ...DEAL_MARKET_SIGNATURES, ...SERVICE_REGISTRY_SIGNATURES }).map(([name, sig]) => [
    name,
    keccakId(sig),
  ]),
) as Record<DealMarketEventName | ServiceRegistryEventName, string>;

/** A log as eth_getLogs returns it (hex quantities). */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
  /** Some nodes (geth ≥ 1.14.x, reth) include it; saves fetching the block. */
  blockTimestamp?: string;
}

export interface LogMeta {
  address: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
  blockTimestamp?: number;
}

export interface DealTerms {
  jobCreator: string;
  resourceProvider: string;
  solver: string;
  mediators: string[];
  instructionPrice: bigint;
  paymentCollateral: bigint;
  resultsCollateralMultiple: bigint;
  mediationFee: bigint;
  agreeTimeout: bigint;
  submitResultsTimeout: bigint;
  judgeResultsTimeout: bigint;
  mediateResultsTimeout: bigint;
  agreeCollateral: bigint;
  submitResultsCollateral: bigint;
  judgeResultsCollateral: bigint;
  mediateResultsCollateral: bigint;
}

/**
 * The decoded events, fields named as in the ABI. Every DealMarket event of a deal names it by `dealKey`
 * (`dealKey(dealId, jobCreator, resourceProvider)`, see src/model/deal-key.ts); only DealCreated carries `dealId`.
 */
export type AccordEvent =
  | {
      name: "DealCreated";
      dealKey: string;
      jobCreator: string;
      resourceProvider: string;
      dealId: string;
      terms: DealTerms;
    }
  | { name: "PartyAgreed"; dealKey: string; party: string }
  | { name: "DealStateChange"; dealKey: string; state: number }
  | { name: "ResultAdded"; dealKey: string; resultsId: string; instructionCount: bigint }
  | { name: "MediationRequested"; dealKey: string; drawBlock: bigint }
  | { name: "MediatorDrawn"; dealKey: string; mediator: string; mediatorIndex: number }
  | { name: "Payment"; dealKey: string; payee: string; amount: bigint; reason: number; direction: number }
  | { name: "PayoutDeferred"; account: string; amount: bigint }
  | { name: "Withdrawn"; account: string; to: string; amount: bigint }
  | { name: "ServiceRegistered"; account: string; roles: number; metadata: string; url: string }
  | { name: "ServiceRoleAdded"; account: string; role: number }
  | { name: "ServiceRoleRemoved"; account: string; role: number }
  | { name: "ServiceUnregistered"; account: string };

export type DecodedLog = AccordEvent & { log: LogMeta };

export class LogDecodeError extends Error {
  override name = "LogDecodeError";
}

/** ABI words of a log's data, read lazily from the hex string. */
class Words {
  readonly count: number;
  constructor(private readonly hex: string) {
    if (!hex.startsWith("0x") || (hex.length - 2) % 64 !== 0)
      throw new LogDecodeError(`data is not ABI words (${hex.length} chars)`);
    this.count = (hex.length - 2) / 64;
  }
  word(i: number): string {
    if (i < 0 || i >= this.count) throw new LogDecodeError(`data word ${i} out of range (${this.count} words)`);
    return this.hex.substr(2 + i * 64, 64);
  }
  uint(i: number): bigint {
    return BigInt("0x" + this.word(i));
  }
  small(i: number, max: number): number {
    const v = this.uint(i);
    if (v > BigInt(max)) throw new LogDecodeError(`word ${i}: ${v} exceeds ${max}`);
    return Number(v);
  }
  address(i: number): string {
    const w = this.word(i);
    if (!/^0{24}/.test(w)) throw new LogDecodeError(`word ${i} is not an address`);
    return ("0x" + w.slice(24)).toLowerCase();
  }
  bytes32(i: number): string {
    return ("0x" + this.word(i)).toLowerCase();
  }
  /** An offset (bytes) as a word index relative to `base`. */
  offset(i: number, base: number): number {
    const off = this.small(i, this.count * 32);
    if (off % 32 !== 0) throw new LogDecodeError(`word ${i}: unaligned offset ${off}`);
    return base + off / 32;
  }
  bytesAt(start: number, length: number): Buffer {
    const from = 2 + start * 64;
    if (from + length * 2 > this.hex.length) throw new LogDecodeError("bytes out of range");
    return Buffer.from(this.hex.substr(from, length * 2), "hex");
  }
}

function topicAddress(topic: string | undefined): string {
  if (!topic || topic.length !== 66) throw new LogDecodeError("missing address topic");
  return ("0x" + topic.slice(26)).toLowerCase();
}

function topicBytes32(topic: string | undefined): string {
  if (!topic || topic.length !== 66) throw new LogDecodeError("missing bytes32 topic");
  return topic.toLowerCase();
}

function topicSmall(topic: string | undefined, max: number): number {
  if (!topic || topic.length !== 66) throw new LogDecodeError("missing uint topic");
  const v = BigInt(topic);
  if (v > BigInt(max)) throw new LogDecodeError(`topic ${topic} exceeds ${max}`);
  return Number(v);
}

/**
 * DealCreated's data after dealId (word 0): solver, mediators (offset), pricing (4 words), timeouts (8 words), then
 * the mediators.
 */
function decodeTerms(w: Words, jobCreator: string, resourceProvider: string): DealTerms {
  const k = w.offset(2, 0);
  const n = w.small(k, 1024);
  const mediators: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) mediators[i] = w.address(k + 1 + i);
  return {
    jobCreator,
    resourceProvider,
    solver: w.address(1),
    mediators,
    instructionPrice: w.uint(3),
    paymentCollateral: w.uint(4),
    resultsCollateralMultiple: w.uint(5),
    mediationFee: w.uint(6),
    agreeTimeout: w.uint(7),
    submitResultsTimeout: w.uint(8),
    judgeResultsTimeout: w.uint(9),
    mediateResultsTimeout: w.uint(10),
    agreeCollateral: w.uint(11),
    submitResultsCollateral: w.uint(12),
    judgeResultsCollateral: w.uint(13),
    mediateResultsCollateral: w.uint(14),
  };
}

type Decoder = (topics: string[], w: Words) => AccordEvent;

/** Enum indices are decoded as they come (Solidity enums are uint8); handlers skip unknown members. */
const ENUM_MAX = 255;

const DEAL_MARKET_DECODERS: Record<DealMarketEventName, Decoder> = {
  DealCreated: (t, w) => {
    const jobCreator = topicAddress(t[2]);
    const resourceProvider = topicAddress(t[3]);
    return {
      name: "DealCreated",
      dealKey: topicBytes32(t[1]),
      jobCreator,
      resourceProvider,
      dealId: w.bytes32(0),
      terms: decodeTerms(w, jobCreator, resourceProvider),
    };
  },
  PartyAgreed: (t) => ({ name: "PartyAgreed", dealKey: topicBytes32(t[1]), party: topicAddress(t[2]) }),
  DealStateChange: (t) => ({
    name: "DealStateChange",
    dealKey: topicBytes32(t[1]),
    state: topicSmall(t[2], ENUM_MAX),
  }),
  ResultAdded: (t, w) => ({
    name: "ResultAdded",
    dealKey: topicBytes32(t[1]),
    resultsId: w.bytes32(0),
    instructionCount: w.uint(1),
  }),
  MediationRequested: (t, w) => ({ name: "MediationRequested", dealKey: topicBytes32(t[1]), drawBlock: w.uint(0) }),
  MediatorDrawn: (t, w) => ({
    name: "MediatorDrawn",
    dealKey: topicBytes32(t[1]),
    mediator: topicAddress(t[2]),
    mediatorIndex: w.small(0, 255),
  }),
  Payment: (t, w) => ({
    name: "Payment",
    dealKey: topicBytes32(t[1]),
    payee: topicAddress(t[2]),
    amount: w.uint(0),
    reason: w.small(1, ENUM_MAX),
    direction: w.small(2, ENUM_MAX),
  }),
  PayoutDeferred: (t, w) => ({ name: "PayoutDeferred", account: topicAddress(t[1]), amount: w.uint(0) }),
  Withdrawn: (t, w) => ({ name: "Withdrawn", account: topicAddress(t[1]), to: topicAddress(t[2]), amount: w.uint(0) }),
};

const SERVICE_REGISTRY_DECODERS: Record<ServiceRegistryEventName, Decoder> = {
  ServiceRegistered: (t, w) => {
    const u = w.offset(2, 0);
    const length = w.small(u, w.count * 32);
    return {
      name: "ServiceRegistered",
      account: topicAddress(t[1]),
      roles: w.small(0, 255),
      metadata: w.bytes32(1),
      url: w.bytesAt(u + 1, length).toString("utf8"),
    };
  },
  ServiceRoleAdded: (t) => ({
    name: "ServiceRoleAdded",
    account: topicAddress(t[1]),
    role: topicSmall(t[2], ENUM_MAX),
  }),
  ServiceRoleRemoved: (t) => ({
    name: "ServiceRoleRemoved",
    account: topicAddress(t[1]),
    role: topicSmall(t[2], ENUM_MAX),
  }),
  ServiceUnregistered: (t) => ({ name: "ServiceUnregistered", account: topicAddress(t[1]) }),
};

export interface ContractAddresses {
  dealMarket: string;
  serviceRegistry: string;
}

/** Decodes the logs of the Accord contracts: (address, topic0) → decoder, precomputed. */
export class LogDecoder {
  private readonly byKey = new Map<string, Decoder>();
  readonly addresses: string[];
  readonly topics: string[];

  constructor(contracts: ContractAddresses) {
    const market = contracts.dealMarket.toLowerCase();
    const registry = contracts.serviceRegistry.toLowerCase();
    for (const [name, decoder] of Object.entries(DEAL_MARKET_DECODERS)) {
      this.byKey.set(`${market}:${TOPICS[name as DealMarketEventName]}`, decoder);
    }
    for (const [name, decoder] of Object.entries(SERVICE_REGISTRY_DECODERS)) {
      this.byKey.set(`${registry}:${TOPICS[name as ServiceRegistryEventName]}`, decoder);
    }
    this.addresses = [market, registry];
    this.topics = Object.values(TOPICS);
  }

  /** The decoded event, or null for a log this indexer does not handle. Throws LogDecodeError on malformed data. */
  decode(raw: RawLog): DecodedLog | null {
    const topic0 = raw.topics[0];
    if (!topic0 || raw.removed) return null;
    const decoder = this.byKey.get(`${raw.address.toLowerCase()}:${topic0.toLowerCase()}`);
    if (!decoder) return null;
    let event: AccordEvent;
    try {
      event = decoder(raw.topics, new Words(raw.data));
    } catch (error) {
      throw new LogDecodeError(
        `cannot decode log ${raw.transactionHash}#${Number(raw.logIndex)} (${topic0}): ${(error as Error).message}`,
      );
    }
    const log: LogMeta = {
      address: raw.address.toLowerCase(),
      blockNumber: Number(raw.blockNumber),
      blockHash: raw.blockHash.toLowerCase(),
      transactionHash: raw.transactionHash.toLowerCase(),
      logIndex: Number(raw.logIndex),
    };
    if (raw.blockTimestamp !== undefined && raw.blockTimestamp !== null)
      log.blockTimestamp = Number(raw.blockTimestamp);
    return Object.assign(event, { log });
  }
}
