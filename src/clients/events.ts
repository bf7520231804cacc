// Logs of the Accord contracts → decoded events, by src/abi's decoder compiled from the contracts' ABIs: the
// one decoded-event type the clients and the indexer share (`eventName`, `args` as in the ABI, `values` in ABI
// order), plus where each log was found. What the clients derive from events (a deal's terms from DealCreated, the
// mediator a MediationRequested draws) is computed here from the decoded arguments.

import { getAddress, type Log, type TransactionReceipt } from "ethers";
import {
  accordTokenDecoder,
  createEventDecoder,
  dealMarketDecoder,
  serviceRegistryDecoder,
  type AccordEvent,
  type AccordTokenEvent,
  type DecodedEventOf,
  type EventDecoder,
  type EventNamed,
} from "../abi";
import {
  capacityPoolsAbi,
  jobEscrowAbi,
  machineRegistryAbi,
  paymentChannelsAbi,
  quorumJobOracleAbi,
} from "../abi/generated";
import { IOperatorRegistry__factory, IQuorumMediator__factory, ITaskManager__factory } from "../../typechain-types";
import { mediatorDrawIndex } from "../model";
import type { OnChainDealTerms } from "./terms";

export {
  AbiDecodeError,
  dealMarketDecoder,
  serviceRegistryDecoder,
  accordTokenDecoder,
  type AccordEvent,
  type AccordEventName,
  type AccordEventOf,
  type AccordTokenEvent,
  type DealMarketEvent,
  type ServiceRegistryEvent,
} from "../abi";

/** A decoded event of CapacityPools (FarmCreated, PoolCreated, CapacityAdded, PoolUpdated, WorkloadStarted, …). */
export type CapacityPoolsEvent = DecodedEventOf<typeof capacityPoolsAbi>;

/** CapacityPools' event decoder, compiled from its generated ABI (src/abi/generated, the one ABI source). */
export const capacityPoolsDecoder = createEventDecoder(capacityPoolsAbi);

/** A decoded event of PaymentChannels (ChannelOpened, VoucherRedeemed, SettleStarted, ChannelCollected, …). */
export type PaymentChannelsEvent = DecodedEventOf<typeof paymentChannelsAbi>;

/** PaymentChannels' event decoder, compiled from its generated ABI. */
export const paymentChannelsDecoder = createEventDecoder(paymentChannelsAbi);

/** A decoded event of OperatorRegistry (OperatorRegistered, QuorumJoined, QuorumUpdated, UnbondingStarted, …). */
export type OperatorRegistryEvent = DecodedEventOf<typeof IOperatorRegistry__factory.abi>;
/** OperatorRegistry's event decoder, compiled from its interface's ABI (the events are all declared there). */
export const operatorRegistryDecoder = createEventDecoder(IOperatorRegistry__factory.abi);

/** A decoded event of TaskManager (TaskCreated, TaskResponded, ResponseChallenged). */
export type TaskManagerEvent = DecodedEventOf<typeof ITaskManager__factory.abi>;
/** TaskManager's event decoder, compiled from its interface's ABI. */
export const taskManagerDecoder = createEventDecoder(ITaskManager__factory.abi);

/** A decoded event of QuorumMediator (VerdictRequested, VerdictApplied, Withdrawn). */
export type QuorumMediatorEvent = DecodedEventOf<typeof IQuorumMediator__factory.abi>;
/** QuorumMediator's event decoder, compiled from its interface's ABI. */
export const quorumMediatorDecoder = createEventDecoder(IQuorumMediator__factory.abi);

/** The decoded events of the operator-quorum contracts. */
export type QuorumEvent = OperatorRegistryEvent | TaskManagerEvent | QuorumMediatorEvent;

/** A decoded event of MachineRegistry (MachineRegistered, MachineUpdated, MachineAvailabilitySet, MachineRemoved). */
export type MachineRegistryEvent = DecodedEventOf<typeof machineRegistryAbi>;
/** MachineRegistry's event decoder, compiled from its generated ABI. */
export const machineRegistryDecoder = createEventDecoder(machineRegistryAbi);

/** A decoded event of JobEscrow (JobOpened, JobAccepted, JobCompleted, JobAttested, JobRefunded, …). */
export type JobEscrowEvent = DecodedEventOf<typeof jobEscrowAbi>;
/** JobEscrow's event decoder, compiled from its generated ABI. */
export const jobEscrowDecoder = createEventDecoder(jobEscrowAbi);

/** A decoded event of QuorumJobOracle (AttestationRequested, AttestationApplied). */
export type QuorumJobOracleEvent = DecodedEventOf<typeof quorumJobOracleAbi>;
/** QuorumJobOracle's event decoder, compiled from its generated ABI. */
export const quorumJobOracleDecoder = createEventDecoder(quorumJobOracleAbi);

/** The decoded events of provider onboarding and job escrow. */
export type EscrowEvent = MachineRegistryEvent | JobEscrowEvent | QuorumJobOracleEvent;

/** Every decoded event of an Accord contract. */
type AnyAccordEvent =
  AccordEvent | CapacityPoolsEvent | PaymentChannelsEvent | QuorumEvent | EscrowEvent | AccordTokenEvent;

/** Where a log was found. */
export type AccordEventLocation = {
  /** The emitting contract. */
  address: string;
  blockNumber: number;
  /** The hash of the log's block (for MediationRequested, what the mediator is drawn from). */
  blockHash: string;
  transactionHash: string;
  logIndex: number;
};

/**
 * A decoded event of an Accord contract (any family, or the token) and where it was logged; narrow
 * on `eventName`.
 */
export type AccordLog = AnyAccordEvent & AccordEventLocation;
export type AccordLogName = AccordLog["eventName"];
export type AccordLogOf<N extends AccordLogName> = EventNamed<AnyAccordEvent, N> & AccordEventLocation;

/** Which contract a log comes from decides which ABI decodes it. */
export type AccordContractAddresses = {
  market?: string;
  registry?: string;
  pools?: string;
  channels?: string;
  /** OperatorRegistry. */
  operators?: string;
  /** TaskManager. */
  tasks?: string;
  quorumMediator?: string;
  /** MachineRegistry. */
  machines?: string;
  /** JobEscrow. */
  escrow?: string;
  /** QuorumJobOracle. */
  jobOracle?: string;
  token?: string;
};

function decoderFor(log: Log, addresses: AccordContractAddresses): EventDecoder | undefined {
  const address = log.address.toLowerCase();
  if (addresses.market && address === addresses.market.toLowerCase()) return dealMarketDecoder;
  if (addresses.registry && address === addresses.registry.toLowerCase()) return serviceRegistryDecoder;
  if (addresses.pools && address === addresses.pools.toLowerCase()) return capacityPoolsDecoder;
  if (addresses.channels && address === addresses.channels.toLowerCase()) return paymentChannelsDecoder;
  if (addresses.operators && address === addresses.operators.toLowerCase()) return operatorRegistryDecoder;
  if (addresses.tasks && address === addresses.tasks.toLowerCase()) return taskManagerDecoder;
  if (addresses.quorumMediator && address === addresses.quorumMediator.toLowerCase()) return quorumMediatorDecoder;
  if (addresses.machines && address === addresses.machines.toLowerCase()) return machineRegistryDecoder;
  if (addresses.escrow && address === addresses.escrow.toLowerCase()) return jobEscrowDecoder;
  if (addresses.jobOracle && address === addresses.jobOracle.toLowerCase()) return quorumJobOracleDecoder;
  if (addresses.token && address === addresses.token.toLowerCase()) return accordTokenDecoder;
  return undefined;
}

/**
 * Decodes one log of an Accord contract; `undefined` for other contracts' logs and events not in the ABI. A
 * market, registry or pools log that does not decode throws AbiDecodeError (those contracts cannot emit one); the token
 * may be any ERC20, so a token log that does not fit AccordToken's ABI is skipped.
 */
export function decodeAccordLog(log: Log, addresses: AccordContractAddresses): AccordLog | undefined {
  const decoder = decoderFor(log, addresses);
  if (!decoder) return undefined;
  let decoded;
  try {
    decoded = decoder.decode(log);
  } catch (error) {
    if (decoder === accordTokenDecoder) return undefined;
    throw error;
  }
  if (!decoded) return undefined;
  const event = decoded as AnyAccordEvent;
  return Object.assign(event, {
    address: log.address,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.index,
  });
}

/** Decodes the logs of the Accord contracts among `logs`, in order. */
export function decodeAccordLogs(logs: readonly Log[], addresses: AccordContractAddresses): AccordLog[] {
  const events: AccordLog[] = [];
  for (const log of logs) {
    const event = decodeAccordLog(log, addresses);
    if (event) events.push(event);
  }
  return events;
}

/**
 * A deal's terms, the contracts' DealTerms struct, from its DealCreated event: the event logs them flattened (the
 * parties are its indexed topics). Addresses lower-case, as the data model's conversion gives them.
 */
export function dealTermsOf(created: Pick<EventNamed<AccordEvent, "DealCreated">, "args">): OnChainDealTerms {
  const { jobCreator, resourceProvider, solver, mediators, pricing, timeouts } = created.args;
  return {
    members: { jobCreator, resourceProvider, solver, mediators: [...mediators] },
    pricing: { ...pricing },
    timeouts: { ...timeouts },
  };
}

/** A mediator of a deal's terms and its index among them. */
export type DrawnMediator = { mediator: string; mediatorIndex: number };

/**
 * The mediator a MediationRequested log draws: `mediators[mediatorDrawIndex(log's block hash, dealKey, n)]`. Known
 * off chain as soon as the log's block is (from checkResult's receipt, or getLogs); the chain itself reads it
 * from the next block on. `terms` must be the deal's (the key's) terms; a later MediatorDrawn fixes the same one.
 */
export function drawnMediatorOf(
  request: Pick<AccordLogOf<"MediationRequested">, "args" | "blockHash">,
  terms: OnChainDealTerms,
): DrawnMediator {
  const mediators = terms.members.mediators;
  const mediatorIndex = mediatorDrawIndex(request.blockHash, request.args.dealKey, mediators.length);
  return { mediator: getAddress(mediators[mediatorIndex]), mediatorIndex };
}

/** The events of one name among `events`. */
export function eventsNamed<N extends AccordLogName>(events: readonly AccordLog[], name: N): AccordLogOf<N>[] {
  return events.filter((event) => event.eventName === name) as AccordLogOf<N>[];
}

/** A mined transaction with its decoded Accord events. */
export class AccordTxResult {
  readonly receipt: TransactionReceipt;
  readonly events: readonly AccordLog[];
  /** The allowance transaction sent first (approve or permit), when one was needed. */
  approval: AccordTxResult | undefined;
  /** Permits a solver submitted for the parties before agreeWithSignatures. */
  permits: AccordTxResult[] = [];

  constructor(receipt: TransactionReceipt, events: readonly AccordLog[]) {
    this.receipt = receipt;
    this.events = events;
  }

  get hash(): string {
    return this.receipt.hash;
  }

  get blockNumber(): number {
    return this.receipt.blockNumber;
  }

  get gasUsed(): bigint {
    return this.receipt.gasUsed;
  }

  /** Every event of this name, in log order. */
  filter<N extends AccordLogName>(name: N): AccordLogOf<N>[] {
    return eventsNamed(this.events, name);
  }

  /** The first event of this name, if any. */
  find<N extends AccordLogName>(name: N): AccordLogOf<N> | undefined {
    return this.filter(name)[0];
  }

  /** The first event of this name; throws when the transaction emitted none. */
  get<N extends AccordLogName>(name: N): AccordLogOf<N> {
    const event = this.find(name);
    if (!event) throw new Error(`transaction ${this.hash} emitted no ${name} event`);
    return event;
  }
}
