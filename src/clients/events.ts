// Logs of the Accord contracts → typed events. Deal events carry the deal ID as bytes32 and as its CID.

import { ZeroHash, type Interface, type Log, type LogDescription, type TransactionReceipt } from "ethers";
import { AccordToken__factory, DealMarket__factory, ServiceRegistry__factory } from "../../typechain-types";
import {
  bytes32ToCid,
  getAgreementStateString,
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

/** The fields of each Accord event, by event name. */
export type AccordEventFields = {
  DealCreated: {
    dealId: string;
    dealCid: string;
    jobCreator: string;
    resourceProvider: string;
    terms: OnChainDealTerms;
  };
  PartyAgreed: { dealId: string; dealCid: string; party: string };
  DealStateChange: { dealId: string; dealCid: string; state: AgreementState; stateName: AgreementStateName };
  ResultAdded: {
    dealId: string;
    dealCid: string;
    /** bytes32 digest of the results' CID. */
    resultsId: string;
    resultsCid: string;
    instructionCount: bigint;
  };
  MediationRequested: { dealId: string; dealCid: string; mediator: string; mediatorIndex: number };
  Payment: {
    dealId: string;
    dealCid: string;
    payee: string;
    amount: bigint;
    reason: PaymentReason;
    reasonName: PaymentReasonName;
    direction: PaymentDirection;
    directionName: PaymentDirectionName;
  };
  PayoutDeferred: { account: string; amount: bigint };
  Withdrawn: { account: string; to: string; amount: bigint };
  ServiceRegistered: {
    account: string;
    roles: number;
    roleNames: ServiceTypeName[];
    metadata: string;
    /** null when the metadata digest is zero (no metadata). */
    metadataCid: string | null;
    url: string;
  };
  ServiceRoleAdded: { account: string; role: ServiceType; roleName: ServiceTypeName };
  ServiceRoleRemoved: { account: string; role: ServiceType; roleName: ServiceTypeName };
  ServiceUnregistered: { account: string };
  Transfer: { from: string; to: string; value: bigint };
  Approval: { owner: string; spender: string; value: bigint };
};

export type AccordEventName = keyof AccordEventFields;

/** Where a log was found. */
export type AccordEventLocation = {
  /** The emitting contract. */
  address: string;
  blockNumber: number;
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

function roleNamesOf(bitmap: number): ServiceTypeName[] {
  return serviceTypeNames.filter((_, i) => (bitmap & (1 << i)) !== 0);
}

function fieldsOf(parsed: LogDescription): AccordEvent | undefined {
  const a = parsed.args;
  switch (parsed.name) {
    case "DealCreated":
      return {
        name: "DealCreated",
        dealId: a.dealId,
        dealCid: bytes32ToCid(a.dealId),
        jobCreator: a.jobCreator,
        resourceProvider: a.resourceProvider,
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
      } as AccordEvent;
    case "PartyAgreed":
      return { name: "PartyAgreed", dealId: a.dealId, dealCid: bytes32ToCid(a.dealId), party: a.party } as AccordEvent;
    case "DealStateChange": {
      const state = Number(a.state) as AgreementState;
      return {
        name: "DealStateChange",
        dealId: a.dealId,
        dealCid: bytes32ToCid(a.dealId),
        state,
        stateName: getAgreementStateString(state),
      } as AccordEvent;
    }
    case "ResultAdded":
      return {
        name: "ResultAdded",
        dealId: a.dealId,
        dealCid: bytes32ToCid(a.dealId),
        resultsId: a.resultsId,
        resultsCid: bytes32ToCid(a.resultsId),
        instructionCount: a.instructionCount as bigint,
      } as AccordEvent;
    case "MediationRequested":
      return {
        name: "MediationRequested",
        dealId: a.dealId,
        dealCid: bytes32ToCid(a.dealId),
        mediator: a.mediator,
        mediatorIndex: Number(a.mediatorIndex),
      } as AccordEvent;
    case "Payment": {
      const reason = Number(a.reason) as PaymentReason;
      const direction = Number(a.direction) as PaymentDirection;
      return {
        name: "Payment",
        dealId: a.dealId,
        dealCid: bytes32ToCid(a.dealId),
        payee: a.payee,
        amount: a.amount as bigint,
        reason,
        reasonName: paymentReasonNames[reason],
        direction,
        directionName: paymentDirectionNames[direction],
      } as AccordEvent;
    }
    case "PayoutDeferred":
      return { name: "PayoutDeferred", account: a.account, amount: a.amount } as AccordEvent;
    case "Withdrawn":
      return { name: "Withdrawn", account: a.account, to: a.to, amount: a.amount } as AccordEvent;
    case "ServiceRegistered": {
      const roles = Number(a.roles);
      return {
        name: "ServiceRegistered",
        account: a.account,
        roles,
        roleNames: roleNamesOf(roles),
        metadata: a.metadata,
        metadataCid: a.metadata === ZeroHash ? null : bytes32ToCid(a.metadata),
        url: a.url,
      } as AccordEvent;
    }
    case "ServiceRoleAdded":
    case "ServiceRoleRemoved": {
      const role = Number(a.role) as ServiceType;
      return { name: parsed.name, account: a.account, role, roleName: serviceTypeNames[role] } as AccordEvent;
    }
    case "ServiceUnregistered":
      return { name: "ServiceUnregistered", account: a.account } as AccordEvent;
    case "Transfer":
      return { name: "Transfer", from: a.from, to: a.to, value: a.value } as AccordEvent;
    case "Approval":
      return { name: "Approval", owner: a.owner, spender: a.spender, value: a.value } as AccordEvent;
    default:
      return undefined; // e.g. OwnershipTransferred, EIP712DomainChanged
  }
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
    transactionHash: log.transactionHash,
    logIndex: log.index,
  });
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
