// Operator quorums off chain: the operator node (`accord operator`) and its parts: BLS12-381 signing, the drawn
// aggregator order, the operator set by block, task types, the signature inbox and HTTP API, aggregation, the
// encrypted key store, the state that survives a restart, and the verdict keeper that asks for and applies the
// QuorumMediator's verdicts. The contracts' clients are in src/clients/quorum.ts.

export * from "./bls";
export * from "./aggregator-order";
export * from "./operator-set";
export * from "./task-types";
export * from "./inbox";
export * from "./server";
export * from "./aggregator";
export * from "./keystore";
export * from "./state";
export * from "./node";
export * from "./verdicts";
export {
  OperatorRegistryClient,
  QuorumMediatorClient,
  TaskManagerClient,
  QUORUM_CONTRACT_NAMES,
  quorumBitmapOf,
  quorumsOfBitmap,
  type BuiltQuorumSignature,
  type CreateTaskInput,
  type OperatorView,
  type QuorumClientOptions,
  type TaskView,
} from "../clients/quorum";
export * from "./job-attestation";
