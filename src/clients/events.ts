// Logs of the Accord contracts → typed events. Each event's fields are its ABI's (TypeChain's output objects),
// with enums and small integers as numbers and the CIDs of bytes32 digests added. Deal events name the deal by
// its key; DealCreated also carries the deal ID (bytes32 and CID) and the terms.

import { ZeroHash, getAddress, type Interface, type Log, type LogDescription, type TransactionReceipt } from "ethers";
import {
  AccordToken__factory,
  DealMarket__factory,
  ServiceRegistry__factory,
  type AccordToken,
  type DealMarket,
  type ServiceRegistry,
} from "../../typechain-types";
import type { TypedContractEvent } from "../../typechain-types/common";
import {
  bytes32ToCid,
  getAgreementStateString,
  mediatorDrawIndex,
  paymentDirectionNames,
  paymentReasonNames,
  serviceTypeNames,
  type AgreementState,
  type AgreementStateName,
  type PaymentDirection,
  type PaymentDirectionName,
  type PaymentReason,
  type PaymentReasonName,
  type ServiceType,
  type ServiceTypeName,
} from "../model";
import { termsFromResult, type OnChainDealTerms } from "./terms";

/** The named arguments TypeChain gives a contract's event `N`. */
type EventArgs<C extends { filters: object }, N extends keyof C["filters"]> =
  C["filters"][N] extends TypedContractEvent<infer _In, infer _Out, infer Args> ? Args : never;
type MarketArgs<N extends keyof DealMarket["filters"]> = EventArgs<DealMarket, N>;
type RegistryArgs<N extends keyof ServiceRegistry["filters"]> = EventArgs<ServiceRegistry, N>;
type TokenArgs<N extends keyof AccordToken["filters"]> = EventArgs<AccordToken, N>;

/** An event's ABI arguments with some fields retyped (enums as numbers). */
type Retyped<Args, Changes> = Omit<Args, keyof Changes> & Changes;

/** The fields of each Accord event, by event name. */
export type AccordEventFields = {
  /** The terms come flattened in the log (solver, mediators, pricing, timeouts); here they are whole. */
  DealCreated: Omit<MarketArgs<"DealCreated">, "solver" | "mediators" | "pricing" | "timeouts"> & {
    /** The CIDv0 of the deal ID. */
    dealCid: string;
    terms: OnChainDealTerms;
  };
  PartyAgreed: MarketArgs<"PartyAgreed">;
  DealStateChange: Retyped<MarketArgs<"DealStateChange">, { state: AgreementState }> & {
    stateName: AgreementStateName;
  };
  ResultAdded: MarketArgs<"ResultAdded"> & { resultsCid: string };
  /** The mediator is drawn from the hash of this log's block (`blockHash`): see `drawnMediatorOf`. */
  MediationRequested: Retyped<MarketArgs<"MediationRequested">, { drawBlock: number }>;
  MediatorDrawn: Retyped<MarketArgs<"MediatorDrawn">, { mediatorIndex: number }>;
  Payment: Retyped<MarketArgs<"Payment">, { reason: PaymentReason; direction: PaymentDirection }> & {
    reasonName: PaymentReasonName;
    directionName: PaymentDirectionName;
  };
  PayoutDeferred: MarketArgs<"PayoutDeferred">;
  Withdrawn: MarketArgs<"Withdrawn">;
  ServiceRegistered: Retyped<RegistryArgs<"ServiceRegistered">, { roles: number }> & {
    roleNames: ServiceTypeName[];
    /** null when the metadata digest is zero (no metadata). */
    metadataCid: string | null;
  };
  ServiceRoleAdded: Retyped<RegistryArgs<"ServiceRoleAdded">, { role: ServiceType }> & { roleName: ServiceTypeName };
  ServiceRoleRemoved: Retyped<RegistryArgs<"ServiceRoleRemoved">, { role: ServiceType }> & {
    roleName: ServiceTypeName;
  };
  ServiceUnregistered: RegistryArgs<"ServiceUnregistered">;
  Transfer: TokenArgs<"Transfer">;
  Approval: TokenArgs<"Approval">;
};

export type AccordEventName = keyof AccordEventFields;

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

export type AccordEventOf<N extends AccordEventName> = { name: N } & AccordEventFields[N] & AccordEventLocation;

/** Any decoded Accord event; narrow on `name`. */
export type AccordEvent = { [N in AccordEventName]: AccordEventOf<N> }[AccordEventName];

const marketInterface: Interface = DealMarket__factory.createInterface();
const registryInterface: Interface = ServiceRegistry__factory.createInterface();
const tokenInterface: Interface = AccordToken__factory.createInterface();

/** Which contract a log comes from decides which ABI decodes it. */
export type AccordContractAddresses = { market?: string; registry?: string; token?: string };

/** The TypeChain arguments each decoded event is made from. */
type ArgsOf<N extends AccordEventName> = N extends keyof DealMarket["filters"]
  ? MarketArgs<N>
  : N extends keyof ServiceRegistry["filters"]
    ? RegistryArgs<N>
    : N extends keyof AccordToken["filters"]
      ? TokenArgs<N>
      : never;

function roleNamesOf(bitmap: number): ServiceTypeName[] {
  return serviceTypeNames.filter((_, i) => (bitmap & (1 << i)) !== 0);
}

function roleFields(a: { account: string; role: bigint }): {
  account: string;
  role: ServiceType;
  roleName: ServiceTypeName;
} {
  const role = Number(a.role) as ServiceType;
  return { account: a.account, role, roleName: serviceTypeNames[role] };
}

/** One decoder per event: ABI arguments (an ethers Result, read by name) → the event's fields. */
const decoders: { [N in AccordEventName]: (a: ArgsOf<N>) => AccordEventFields[N] } = {
  DealCreated: (a) => ({
    dealKey: a.dealKey,
    jobCreator: a.jobCreator,
    resourceProvider: a.resourceProvider,
    dealId: a.dealId,
    dealCid: bytes32ToCid(a.dealId),
    // The event carries the terms flattened (the parties are its indexed topics).
    terms: termsFromResult({
      members: {
        jobCreator: a.jobCreator,
        resourceProvider: a.resourceProvider,
        solver: a.solver,
        mediators: a.mediators,
      },
      pricing: a.pricing,
      timeouts: a.timeouts,
    }),
  }),
  PartyAgreed: (a) => ({ dealKey: a.dealKey, party: a.party }),
  DealStateChange: (a) => {
    const state = Number(a.state) as AgreementState;
    return { dealKey: a.dealKey, state, stateName: getAgreementStateString(state) };
  },
  ResultAdded: (a) => ({
    dealKey: a.dealKey,
    resultsId: a.resultsId,
    resultsCid: bytes32ToCid(a.resultsId),
    instructionCount: a.instructionCount,
  }),
  MediationRequested: (a) => ({ dealKey: a.dealKey, drawBlock: Number(a.drawBlock) }),
  MediatorDrawn: (a) => ({ dealKey: a.dealKey, mediator: a.mediator, mediatorIndex: Number(a.mediatorIndex) }),
  Payment: (a) => {
    const reason = Number(a.reason) as PaymentReason;
    const direction = Number(a.direction) as PaymentDirection;
    return {
      dealKey: a.dealKey,
      payee: a.payee,
      amount: a.amount,
      reason,
      reasonName: paymentReasonNames[reason],
      direction,
      directionName: paymentDirectionNames[direction],
    };
  },
  PayoutDeferred: (a) => ({ account: a.account, amount: a.amount }),
  Withdrawn: (a) => ({ account: a.account, to: a.to, amount: a.amount }),
  ServiceRegistered: (a) => {
    const roles = Number(a.roles);
    return {
      account: a.account,
      roles,
      roleNames: roleNamesOf(roles),
      metadata: a.metadata,
      metadataCid: a.metadata === ZeroHash ? null : bytes32ToCid(a.metadata),
      url: a.url,
    };
  },
  ServiceRoleAdded: roleFields,
  ServiceRoleRemoved: roleFields,
  ServiceUnregistered: (a) => ({ account: a.account }),
  Transfer: (a) => ({ from: a.from, to: a.to, value: a.value }),
  Approval: (a) => ({ owner: a.owner, spender: a.spender, value: a.value }),
};

function isDecoded(name: string): name is AccordEventName {
  return Object.prototype.hasOwnProperty.call(decoders, name);
}

function fieldsOf(parsed: LogDescription): ({ name: AccordEventName } & Record<string, unknown>) | undefined {
  const name = parsed.name;
  if (!isDecoded(name)) return undefined; // e.g. OwnershipTransferred, EIP712DomainChanged
  const decode = decoders[name] as (a: unknown) => object;
  return { name, ...decode(parsed.args) };
}

function interfaceFor(log: Log, addresses: AccordContractAddresses): Interface | undefined {
  const address = log.address.toLowerCase();
  if (addresses.market && address === addresses.market.toLowerCase()) return marketInterface;
  if (addresses.registry && address === addresses.registry.toLowerCase()) return registryInterface;
  if (addresses.token && address === addresses.token.toLowerCase()) return tokenInterface;
  return undefined;
}

/** Decodes one log of an Accord contract; `undefined` for other contracts' logs and untyped events. */
export function decodeAccordLog(log: Log, addresses: AccordContractAddresses): AccordEvent | undefined {
  const iface = interfaceFor(log, addresses);
  if (!iface) return undefined;
  let parsed: LogDescription | null;
  try {
    parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return undefined;
  }
  if (!parsed) return undefined;
  const event = fieldsOf(parsed);
  if (!event) return undefined;
  return Object.assign(event, {
    address: log.address,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.index,
  }) as unknown as AccordEvent;
}

/** Decodes the logs of the Accord contracts among `logs`, in order. */
export function decodeAccordLogs(logs: readonly Log[], addresses: AccordContractAddresses): AccordEvent[] {
  const events: AccordEvent[] = [];
  for (const log of logs) {
    const event = decodeAccordLog(log, addresses);
    if (event) events.push(event);
  }
  return events;
}

/** A mediator of a deal's terms and its index among them. */
export type DrawnMediator = { mediator: string; mediatorIndex: number };

/**
 * The mediator a MediationRequested log draws: `mediators[mediatorDrawIndex(log's block hash, dealKey, n)]`. Known
 * off chain as soon as the log's block is (from checkResult's receipt, or getLogs); the chain itself reads it
 * from the next block on. `terms` must be the deal's (the key's) terms; a later MediatorDrawn fixes the same one.
 */
export function drawnMediatorOf(
  request: Pick<AccordEventOf<"MediationRequested">, "dealKey" | "blockHash">,
  terms: OnChainDealTerms,
): DrawnMediator {
  const mediators = terms.members.mediators;
  const mediatorIndex = mediatorDrawIndex(request.blockHash, request.dealKey, mediators.length);
  return { mediator: getAddress(mediators[mediatorIndex]), mediatorIndex };
}

/** The events of one name among `events`. */
export function eventsNamed<N extends AccordEventName>(events: readonly AccordEvent[], name: N): AccordEventOf<N>[] {
  return events.filter((event) => event.name === name) as unknown as AccordEventOf<N>[];
}

/** A mined transaction with its decoded Accord events. */
export class AccordTxResult {
  readonly receipt: TransactionReceipt;
  readonly events: readonly AccordEvent[];
  /** The allowance transaction sent first (approve or permit), when one was needed. */
  approval: AccordTxResult | undefined;
  /** Permits a solver submitted for the parties before agreeWithSignatures. */
  permits: AccordTxResult[] = [];

  constructor(receipt: TransactionReceipt, events: readonly AccordEvent[]) {
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
  filter<N extends AccordEventName>(name: N): AccordEventOf<N>[] {
    return eventsNamed(this.events, name);
  }

  /** The first event of this name, if any. */
  find<N extends AccordEventName>(name: N): AccordEventOf<N> | undefined {
    return this.filter(name)[0];
  }

  /** The first event of this name; throws when the transaction emitted none. */
  get<N extends AccordEventName>(name: N): AccordEventOf<N> {
    const event = this.find(name);
    if (!event) throw new Error(`transaction ${this.hash} emitted no ${name} event`);
    return event;
  }
}
