// PaymentChannels' bounds, as contracts/abstracts/ChannelStore.sol declares them (test/channels checks they agree).

/** The settle delay of a channel opened with 0: 12 hours, as in the reference. */
export const DEFAULT_SETTLE_DELAY = 12n * 3600n;
/** The shortest settle delay a channel may choose. */
export const MIN_SETTLE_DELAY = 3600n;
/** The longest settle delay a channel may choose. */
export const MAX_SETTLE_DELAY = 30n * 86400n;
/** The longest secret a voucher may need. */
export const MAX_SECRET_BYTES = 256;
/** The most lanes one voucher may merge. */
export const MAX_MERGES = 16;
/** The largest lane ID: 2^63 − 1, the reference's bound. */
export const MAX_LANE = (1n << 63n) - 1n;
/** The native coin, as a channel's token. */
export const NATIVE_TOKEN = "0x0000000000000000000000000000000000000000";
