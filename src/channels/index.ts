// Payment channels (`accord/channels`): vouchers (EIP-712), the contract's rules as one pure model, the payer's
// channel manager, the payee's voucher store and settler.

export * from "./constants";
export * from "./voucher";
export * from "./rules";
export * from "./errors";
export { PayerChannelManager, type PayerChannelManagerOptions } from "./manager";
export { VoucherStore, type AcceptedVoucher, type VoucherStoreOptions } from "./store";
export { ChannelSettler, type ChannelSettlerOptions, type SettlerPass } from "./settler";
