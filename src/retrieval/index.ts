// Paid retrieval (the Filecoin retrieval market's deal flow over HTTP): a RetrievalProvider serves the DAGs of a
// ResultStore for vouchers on a payment channel, paused at every payment interval; a RetrievalClient retrieves a
// DAG into its own ResultStore, verifying every block before it pays for it. See README.md beside this file.

export {
  RetrievalClient,
  CLIENT_STATES,
  type ClientDeal,
  type ClientDealRecord,
  type ClientDealState,
  type RetrievalClientOptions,
  type RetrievalOutcome,
  type RetrieveOptions,
} from "./client";
export {
  RetrievalProvider,
  type BlockSource,
  type ProviderDealEvent,
  type ProviderDealRecord,
  type RetrievalProviderOptions,
} from "./provider";
export { ChannelManagerPayer, VoucherStorePayee, type RetrievalPayee, type RetrievalPayer } from "./payments";
export {
  amountFor,
  bytesPaidBy,
  DEFAULT_PAYMENT_INTERVAL,
  DEFAULT_PAYMENT_INTERVAL_INCREASE,
  intervalBoundary,
  maySend,
  nextBoundary,
  PROVIDER_STATES,
  RETRIEVAL_PREFIX,
  type Ask,
  type DealParams,
  type DealStatus,
  type Proposal,
  type ProviderDealState,
} from "./protocol";
export * from "./errors";
