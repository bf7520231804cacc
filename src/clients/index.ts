// Typed clients of the Accord contracts, one per role, over ethers v6 signers and the TypeChain factories.

export * from "./terms";
export * from "./errors";
export * from "./events";
export {
  AccordClient,
  AccordClientError,
  BLOCKHASH_WINDOW,
  sameAddress,
  type AccordClientOptions,
  type AllowanceMode,
  type DealDeadline,
  type DealMediation,
  type DealRecordView,
  type MediationDrawView,
  type MediatorDraw,
  type DealResult,
  type FromDeploymentOptions,
  type MediationStepOptions,
  type PermitSignature,
  type ResultStepOptions,
} from "./base";
export {
  PartyClient,
  type AgreeOptions,
  type PartyRole,
  type SignAgreementOptions,
  type SignedAgreement,
} from "./party";
export { JobCreatorClient, type CheckResultOptions, type CheckResultTxResult } from "./job-creator";
export { ResourceProviderClient, type AddResultOptions, type ResultInputRef } from "./resource-provider";
export { MediatorClient, type PendingMediation, type PendingMediationsOptions } from "./mediator";
export {
  SolverClient,
  type AgreeWithSignaturesOptions,
  type AgreementSignatureSource,
  type CollectSignaturesOptions,
  type CollectedAgreement,
} from "./solver";
export {
  RegistryClient,
  bitmapToRoles,
  metadataToBytes32,
  rolesToBitmap,
  type RegisterParams,
  type RoleInput,
  type RolePage,
  type RolesInput,
  type ServiceEntry,
  type UpdateParams,
} from "./registry";
export { FRESH_SLOT_HEADROOM, SerialSigner } from "./serial-signer";
export { GraphqlClient, GraphqlRequestError, type GraphqlSubscription, type SubscribeHandlers } from "./graphql";
export {
  CapacityPoolsClient,
  DEFAULT_LOG_RANGE,
  idFromName,
  parsePrices,
  parseRates,
  poolViewAt,
  storedPoolOf,
  toModelPool,
  type BlockRange,
  type CapacityPoolsClientOptions,
  type FarmView,
  type PoolView,
  type PoolsFromDeploymentOptions,
  type Prices,
  type PricesInput,
  type RatesInput,
  type ResourceBalanceView,
  type StoredPool,
  type WorkloadView,
} from "./pools";
export {
  CapacityPoolsCustomerClient,
  randomNonce,
  type AssignWorkloadInput,
  type AssignWorkloadTxResult,
  type BuildReservationOptions,
  type PreparedReservation,
  type ReservationDraft,
  type ReserveOptions,
  type ReserveTxResult,
} from "./pools-customer";
export {
  CapacityPoolsProviderClient,
  type AssignedWorkload,
  type CreateFarmTxResult,
  type ListAssignedWorkloadsOptions,
  type StartWorkloadTxResult,
  type WithdrawEarningsTxResult,
} from "./pools-provider";
export {
  PaymentChannelsClient,
  channelStateOf,
  type ChannelView,
  type OpenChannelInput,
  type PaymentChannelsClientOptions,
} from "./channels";
export {
  OperatorRegistryClient,
  QuorumMediatorClient,
  TaskManagerClient,
  QUORUM_CONTRACT_NAMES,
  keyHashOf,
  quorumBitmapOf,
  quorumsOfBitmap,
  type BuiltQuorumSignature,
  type CollectedSignature,
  type CreateTaskInput,
  type OperatorView,
  type QuorumCheckpointView,
  type QuorumClientOptions,
  type TaskView,
} from "./quorum";
export {
  MachineRegistryClient,
  machineSpecOf,
  type MachineRegistryClientOptions,
  type MachineSpecView,
  type MachineView,
  type RegisterMachineTxResult,
  type UpdateMachineTxResult,
} from "./machines";
export {
  JobEscrowClient,
  JobProviderClient,
  JobRequesterClient,
  JOB_ESCROW_CONTRACT_NAME,
  QUORUM_JOB_ORACLE_CONTRACT_NAME,
  type JobEscrowClientOptions,
  type JobView,
  type OpenJobInput,
  type OpenJobTxResult,
} from "./escrow";
