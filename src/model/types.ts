// The reference data model (Go `pkg/data`), field for field. Property names are the JSON names of the
// reference, in its declaration order: that order (not the caller's) is what IDs are computed over,
// see `schemas.ts`. Go `uint64` is `bigint` (values reach 2^64 - 1), Go `int` is `number`.

/** Any JSON value. Integers beyond 2^53 are carried as `bigint`. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** Hardware, in milli-GPU, milli-CPU and MB. Absolute in a resource offer, a minimum in a job offer. */
export type MachineSpec = {
  gpu: number;
  cpu: number;
  ram: number;
};

/** Pins a module template: a git repo (cloneable without credentials), a commit and a path in it. */
export type ModuleConfig = {
  name: string;
  repo: string;
  hash: string;
  path: string;
};

/** A rendered module: the machine it needs and the workload spec, which the model treats as opaque JSON. */
export type Module = {
  machine: MachineSpec;
  job: JsonValue;
};

/** The trusted parties of an offer. `mediator: null` is Go's nil slice, `[]` an empty one: they hash differently. */
export type ServiceConfig = {
  solver: string;
  mediator: string[] | null;
};

export type DealTimeout = {
  /** Seconds. */
  timeout: bigint;
  collateral: bigint;
};

export type DealTimeouts = {
  agree: DealTimeout;
  submit_results: DealTimeout;
  judge_results: DealTimeout;
  mediate_results: DealTimeout;
};

export type DealPricing = {
  instruction_price: bigint;
  payment_collateral: bigint;
  results_collateral_multiple: bigint;
  mediation_fee: bigint;
};

/**
 * `MarketPrice`: get me the best deal (job creators' default).
 * `FixedPrice`: take it or leave it (resource providers' default).
 */
export type PricingMode = "MarketPrice" | "FixedPrice";

export const PricingMode = {
  MarketPrice: "MarketPrice",
  FixedPrice: "FixedPrice",
} as const satisfies Record<PricingMode, PricingMode>;

export type JobOffer = {
  id: string;
  /** Milliseconds; doubles as a nonce. */
  created_at: number;
  job_creator: string;
  module: ModuleConfig;
  /** Minimum requirements. */
  spec: MachineSpec;
  /** Template inputs. `null` is Go's nil map, `{}` an empty one. */
  inputs: Record<string, string> | null;
  mode: PricingMode;
  pricing: DealPricing;
  timeouts: DealTimeouts;
  trusted_parties: ServiceConfig;
};

export type ResourceOffer = {
  id: string;
  created_at: number;
  resource_provider: string;
  index: number;
  /** Absolute resources. */
  spec: MachineSpec;
  /** Module IDs this provider runs; empty means all. */
  modules: string[] | null;
  mode: PricingMode;
  default_pricing: DealPricing;
  default_timeouts: DealTimeouts;
  module_pricing: Record<string, DealPricing> | null;
  module_timeouts: Record<string, DealTimeouts> | null;
  trusted_parties: ServiceConfig;
};

export type DealMembers = {
  solver: string;
  job_creator: string;
  resource_provider: string;
  mediators: string[] | null;
};

export type Deal = {
  id: string;
  members: DealMembers;
  pricing: DealPricing;
  timeouts: DealTimeouts;
  /** With its own ID filled in: the deal's ID covers it. */
  job_offer: JobOffer;
  /** With its own ID filled in: the deal's ID covers it. */
  resource_offer: ResourceOffer;
};

export type Result = {
  id: string;
  deal_id: string;
  /** The ID of the result data. */
  results_id: string;
  error: string;
  instruction_count: bigint;
};

export type MatchDecision = {
  job_offer: string;
  resource_offer: string;
  deal: string;
  result: boolean;
};

export type JobOfferContainer = {
  id: string;
  deal_id: string;
  job_creator: string;
  /** An AgreementState index (Go uint8). */
  state: number;
  job_offer: JobOffer;
};

export type ResourceOfferContainer = {
  id: string;
  deal_id: string;
  resource_provider: string;
  state: number;
  /** The resource offer. The reference names this key `job_offer`; kept for compatibility. */
  job_offer: ResourceOffer;
};

/** Transaction hashes, each set by its party when it submits the transaction ("" until then). */
export type DealTransactionsResourceProvider = {
  agree: string;
  add_result: string;
  timeout_agree: string;
  timeout_judge_result: string;
  timeout_mediate_result: string;
};

export type DealTransactionsJobCreator = {
  agree: string;
  accept_result: string;
  check_result: string;
  timeout_agree: string;
  timeout_submit_result: string;
  timeout_mediate_result: string;
};

export type DealTransactionsMediator = {
  mediation_accept_result: string;
  mediation_reject_result: string;
};

export type DealTransactions = {
  resource_provider: DealTransactionsResourceProvider;
  job_creator: DealTransactionsJobCreator;
  mediator: DealTransactionsMediator;
};

export type DealContainer = {
  id: string;
  job_creator: string;
  resource_provider: string;
  /** Job offer ID. */
  job_offer: string;
  /** Resource offer ID. */
  resource_offer: string;
  state: number;
  deal: Deal;
  transactions: DealTransactions;
  mediator: string;
};

// Enums: the index is the position, shared with the contracts. Never reorder; only append.

export const ServiceType = {
  Solver: 0,
  Mediator: 1,
  Directory: 2,
  ResourceProvider: 3,
  JobCreator: 4,
} as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];
export type ServiceTypeName = keyof typeof ServiceType;

export const AgreementState = {
  DealNegotiating: 0,
  DealAgreed: 1,
  ResultsSubmitted: 2,
  ResultsAccepted: 3,
  ResultsChecked: 4,
  MediationAccepted: 5,
  MediationRejected: 6,
  TimeoutSubmitResults: 7,
  TimeoutJudgeResults: 8,
  TimeoutMediateResults: 9,
  /** Accord's addition: the reference has the transition but no state for it. */
  TimeoutAgree: 10,
} as const;
export type AgreementState = (typeof AgreementState)[keyof typeof AgreementState];
export type AgreementStateName = keyof typeof AgreementState;

export const PaymentReason = {
  PaymentCollateral: 0,
  ResultsCollateral: 1,
  TimeoutCollateral: 2,
  JobPayment: 3,
  MediationFee: 4,
} as const;
export type PaymentReason = (typeof PaymentReason)[keyof typeof PaymentReason];
export type PaymentReasonName = keyof typeof PaymentReason;

export const PaymentDirection = {
  PaidIn: 0,
  PaidOut: 1,
  Refunded: 2,
  Slashed: 3,
} as const;
export type PaymentDirection = (typeof PaymentDirection)[keyof typeof PaymentDirection];
export type PaymentDirectionName = keyof typeof PaymentDirection;

/** A capacity pool's status (CapacityPools' `PoolStatus`; see src/pools/model.ts for what each means). */
export const PoolStatus = {
  Idle: 0,
  Active: 1,
  RunwayLow: 2,
  Empty: 3,
  GraceOver: 4,
} as const;
export type PoolStatus = (typeof PoolStatus)[keyof typeof PoolStatus];
export type PoolStatusName = keyof typeof PoolStatus;

/** A capacity pool workload's status (CapacityPools' `WorkloadStatus`). */
export const WorkloadStatus = {
  None: 0,
  Assigned: 1,
  Running: 2,
  Removed: 3,
  Expired: 4,
} as const;
export type WorkloadStatus = (typeof WorkloadStatus)[keyof typeof WorkloadStatus];
export type WorkloadStatusName = keyof typeof WorkloadStatus;

/** A payment channel's status (PaymentChannels' `ChannelStatus`; see src/channels/rules.ts). */
export const ChannelStatus = {
  None: 0,
  Open: 1,
  Closed: 2,
} as const;
export type ChannelStatus = (typeof ChannelStatus)[keyof typeof ChannelStatus];
export type ChannelStatusName = keyof typeof ChannelStatus;

/**
 * An operator's status (OperatorRegistry's `OperatorStatus`, contracts/types/QuorumTypes.sol). Active: bonded and in
 * its quorums; Unbonding: out of every quorum, its bond locked until `unbondingEndsAt`; Withdrawn: bond paid back.
 */
export const OperatorStatus = {
  None: 0,
  Active: 1,
  Unbonding: 2,
  Withdrawn: 3,
} as const;
export type OperatorStatus = (typeof OperatorStatus)[keyof typeof OperatorStatus];
export type OperatorStatusName = keyof typeof OperatorStatus;

/**
 * A quorum task's status (TaskManager's `TaskStatus`). Storage never holds Expired: an Open task past its
 * `responseDeadline` is Expired only as `taskStatus` reports it (and as the indexer's queries filter for it).
 */
export const TaskStatus = {
  None: 0,
  Open: 1,
  Responded: 2,
  Challenged: 3,
  Expired: 4,
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];
export type TaskStatusName = keyof typeof TaskStatus;

/**
 * A machine's status (MachineRegistry's `MachineStatus`, contracts/types/EscrowTypes.sol). Removed is a tombstone:
 * the ID is never registered again.
 */
export const MachineStatus = {
  None: 0,
  Active: 1,
  Removed: 2,
} as const;
export type MachineStatus = (typeof MachineStatus)[keyof typeof MachineStatus];
export type MachineStatusName = keyof typeof MachineStatus;

/**
 * An escrowed job's status (JobEscrow's `JobStatus`). A job stays Accepted past its time limit until the provider
 * reports or someone attests; it counts as completed from `JobEscrow.completionTime` on (its window runs from then).
 */
export const JobStatus = {
  None: 0,
  Open: 1,
  Accepted: 2,
  Completed: 3,
  Attested: 4,
  Refunded: 5,
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];
export type JobStatusName = keyof typeof JobStatus;

/** Why an escrowed job was refunded in full (JobEscrow's `RefundReason`). */
export const RefundReason = {
  Unaccepted: 0,
  Unattested: 1,
} as const;
export type RefundReason = (typeof RefundReason)[keyof typeof RefundReason];
export type RefundReasonName = keyof typeof RefundReason;

/**
 * What the encoder and the ID functions accept: the same shape with every field optional (a missing
 * string is "", a missing number 0, a missing struct its zero value, a missing slice or map nil),
 * uint64/int fields as `bigint` or a safe-integer `number`, and read-only arrays.
 */
export type Loose<T> = [T] extends [JsonValue] ? ([JsonValue] extends [T] ? JsonValue : LooseShape<T>) : LooseShape<T>;

type LooseShape<T> = T extends bigint | number
  ? bigint | number
  : T extends string | boolean | null
    ? T
    : T extends (infer E)[]
      ? readonly Loose<E>[]
      : T extends object
        ? { [K in keyof T]?: Loose<T[K]> }
        : T;

export type MachineSpecInput = Loose<MachineSpec>;
export type ModuleConfigInput = Loose<ModuleConfig>;
export type ModuleInput = Loose<Module>;
export type DealPricingInput = Loose<DealPricing>;
export type DealTimeoutInput = Loose<DealTimeout>;
export type DealTimeoutsInput = Loose<DealTimeouts>;
export type ServiceConfigInput = Loose<ServiceConfig>;
export type JobOfferInput = Loose<JobOffer>;
export type ResourceOfferInput = Loose<ResourceOffer>;
export type DealMembersInput = Loose<DealMembers>;
export type DealInput = Loose<Deal>;
export type ResultInput = Loose<Result>;
