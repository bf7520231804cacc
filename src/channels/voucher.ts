// Vouchers: the reference's signed voucher as PaymentChannels' EIP-712 `Voucher`, its parse (errors name the field),
// its digest and signature, and its JSON form for the wire (integers as decimal strings).

import {
  getBytes,
  hexlify,
  TypedDataEncoder,
  verifyTypedData,
  ZeroAddress,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { AccordValidationError } from "../model/errors";
import { addressInput, bytes32Input, uintInput, ZERO_BYTES32 } from "../pools/inputs";
import { MAX_LANE, MAX_MERGES, MAX_SECRET_BYTES } from "./constants";

/** The EIP-712 name and version of PaymentChannels' domain. */
export const PAYMENT_CHANNELS_EIP712_NAME = "Accord PaymentChannels";
export const PAYMENT_CHANNELS_EIP712_VERSION = "1";

/** The `Voucher` and `Merge` types, field for field as contracts/libraries/ChannelHashing.sol hashes them. */
export const VOUCHER_TYPES: Record<string, TypedDataField[]> = {
  Voucher: [
    { name: "channelId", type: "bytes32" },
    { name: "timeLockMin", type: "uint64" },
    { name: "timeLockMax", type: "uint64" },
    { name: "secretHash", type: "bytes32" },
    { name: "extraTarget", type: "address" },
    { name: "extraData", type: "bytes" },
    { name: "lane", type: "uint64" },
    { name: "nonce", type: "uint64" },
    { name: "amount", type: "uint128" },
    { name: "minSettleHeight", type: "uint64" },
    { name: "merges", type: "Merge[]" },
  ],
  Merge: [
    { name: "lane", type: "uint64" },
    { name: "nonce", type: "uint64" },
  ],
};

/** The `CloseAuthorization` type both parties sign for a cooperative close. */
export const CLOSE_TYPES: Record<string, TypedDataField[]> = {
  CloseAuthorization: [
    { name: "channelId", type: "bytes32" },
    { name: "toSend", type: "uint128" },
    { name: "deadline", type: "uint64" },
  ],
};

/** A lane a voucher merges: its redeemed amount counts towards the voucher's; its nonce becomes `nonce`. */
export type Merge = { lane: bigint; nonce: bigint };

/** The reference's voucher. Times are unix seconds (block timestamps); 0 means "none" for each. */
export type Voucher = {
  channelId: string;
  timeLockMin: bigint;
  timeLockMax: bigint;
  /** keccak256 of a secret the submitter must reveal; zero for none. */
  secretHash: string;
  /** A contract whose `staticcall(extraData)` must return true; the zero address for none. */
  extraTarget: string;
  extraData: string;
  lane: bigint;
  nonce: bigint;
  /** The lane's cumulative amount, not a delta. */
  amount: bigint;
  minSettleHeight: bigint;
  merges: Merge[];
};

/** A voucher and its signer's EIP-712 signature. */
export type SignedVoucher = { voucher: Voucher; signature: string };

/** A cooperative close: `toSend` to the payee, the rest to the payer, submitted before `deadline`. */
export type CloseAuthorization = { channelId: string; toSend: bigint; deadline: bigint };

/** What `parseVoucher` accepts: integers as bigint, safe-integer numbers or decimal strings; absent fields are 0. */
export type VoucherInput = {
  channelId: string;
  timeLockMin?: bigint | number | string;
  timeLockMax?: bigint | number | string;
  secretHash?: string;
  extraTarget?: string;
  extraData?: string;
  lane?: bigint | number | string;
  nonce?: bigint | number | string;
  amount: bigint | number | string;
  minSettleHeight?: bigint | number | string;
  merges?: readonly { lane: bigint | number | string; nonce: bigint | number | string }[];
};

/** The JSON form of a signed voucher: every integer a decimal string. */
export type SignedVoucherJson = {
  voucher: {
    channelId: string;
    timeLockMin: string;
    timeLockMax: string;
    secretHash: string;
    extraTarget: string;
    extraData: string;
    lane: string;
    nonce: string;
    amount: string;
    minSettleHeight: string;
    merges: { lane: string; nonce: string }[];
  };
  signature: string;
};

const SUBJECT = "voucher";
const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

function fail(field: string, rule: string): never {
  throw new AccordValidationError(field, rule, { subject: SUBJECT });
}

function hexBytes(value: unknown, field: string, maxBytes?: number): string {
  if (value === undefined) return "0x";
  if (typeof value !== "string" || !HEX.test(value)) fail(field, "must be hex bytes (0x followed by pairs of digits)");
  if (maxBytes !== undefined && (value.length - 2) / 2 > maxBytes) fail(field, `must be at most ${maxBytes} bytes`);
  return value.toLowerCase();
}

/**
 * Checks a voucher's shape before it is signed or trusted: the types and ranges the contract takes (uint64 times,
 * lanes at most MAX_LANE, a uint128 amount, at most MAX_MERGES merges). Throws AccordValidationError naming the
 * field. The rules that need the channel's state are `applyVoucher`'s (rules.ts).
 */
export function parseVoucher(input: VoucherInput): Voucher {
  if (input === null || typeof input !== "object") fail("", "must be an object");
  const u64 = (value: unknown, field: string, unit: string) => uintInput(value, field, 64, SUBJECT, unit);
  const lane = u64(input.lane, "lane", "lane ID");
  if (lane > MAX_LANE) fail("lane", `must be at most ${MAX_LANE}`);
  const listed: unknown = input.merges;
  if (listed !== undefined && !Array.isArray(listed)) fail("merges", "must be a list of {lane, nonce}");
  const merges = (input.merges ?? []).map((merge, i) => {
    if (merge === null || typeof merge !== "object") fail(`merges[${i}]`, "must be {lane, nonce}");
    return { lane: u64(merge.lane, `merges[${i}].lane`, "lane ID"), nonce: u64(merge.nonce, `merges[${i}].nonce`, "") };
  });
  if (merges.length > MAX_MERGES) fail("merges", `may hold at most ${MAX_MERGES} merges`);
  return {
    channelId: bytes32Input(input.channelId, "channelId", SUBJECT),
    timeLockMin: u64(input.timeLockMin, "timeLockMin", "unix seconds"),
    timeLockMax: u64(input.timeLockMax, "timeLockMax", "unix seconds"),
    secretHash:
      input.secretHash === undefined
        ? ZERO_BYTES32
        : bytes32Input(input.secretHash, "secretHash", SUBJECT, { allowZero: true }),
    extraTarget:
      input.extraTarget === undefined ? ZeroAddress : addressInput(input.extraTarget, "extraTarget", SUBJECT),
    extraData: hexBytes(input.extraData, "extraData"),
    lane,
    nonce: u64(input.nonce, "nonce", "any number above the lane's"),
    amount: uintInput(input.amount, "amount", 128, SUBJECT, "token units, cumulative for the lane"),
    minSettleHeight: u64(input.minSettleHeight, "minSettleHeight", "unix seconds"),
    merges,
  };
}

/** Checks a secret's length (at most MAX_SECRET_BYTES) and returns its bytes. */
export function parseSecret(secret: string | Uint8Array | undefined): Uint8Array {
  if (secret === undefined) return new Uint8Array();
  const bytes = typeof secret === "string" ? getBytes(hexBytes(secret, "secret")) : secret;
  if (bytes.length > MAX_SECRET_BYTES) {
    throw new AccordValidationError("secret", `must be at most ${MAX_SECRET_BYTES} bytes`, { subject: SUBJECT });
  }
  return bytes;
}

export function paymentChannelsDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return {
    name: PAYMENT_CHANNELS_EIP712_NAME,
    version: PAYMENT_CHANNELS_EIP712_VERSION,
    chainId,
    verifyingContract,
  };
}

/** The EIP-712 digest the voucher's signer signs (the contract's `voucherDigest`). */
export function voucherDigest(voucher: Voucher, domain: TypedDataDomain): string {
  return TypedDataEncoder.hash(domain, VOUCHER_TYPES, voucher);
}

/** The EIP-712 digest both parties sign to close cooperatively (the contract's `closeDigest`). */
export function closeDigest(close: CloseAuthorization, domain: TypedDataDomain): string {
  return TypedDataEncoder.hash(domain, CLOSE_TYPES, close);
}

/** Signs a voucher with `signer` (the party that pays by it). */
export async function signVoucher(signer: Signer, voucher: Voucher, domain: TypedDataDomain): Promise<SignedVoucher> {
  return { voucher, signature: await signer.signTypedData(domain, VOUCHER_TYPES, voucher) };
}

/** Signs a cooperative close with `signer` (each party signs the same close). */
export function signClose(signer: Signer, close: CloseAuthorization, domain: TypedDataDomain): Promise<string> {
  return signer.signTypedData(domain, CLOSE_TYPES, close);
}

/** The address that signed the voucher (ECDSA), or undefined when the signature does not recover. */
export function voucherSigner(signed: SignedVoucher, domain: TypedDataDomain): string | undefined {
  try {
    return verifyTypedData(domain, VOUCHER_TYPES, signed.voucher, signed.signature);
  } catch {
    return undefined;
  }
}

export function signedVoucherToJson(signed: SignedVoucher): SignedVoucherJson {
  const v = signed.voucher;
  return {
    voucher: {
      channelId: v.channelId,
      timeLockMin: v.timeLockMin.toString(),
      timeLockMax: v.timeLockMax.toString(),
      secretHash: v.secretHash,
      extraTarget: v.extraTarget,
      extraData: v.extraData,
      lane: v.lane.toString(),
      nonce: v.nonce.toString(),
      amount: v.amount.toString(),
      minSettleHeight: v.minSettleHeight.toString(),
      merges: v.merges.map((m) => ({ lane: m.lane.toString(), nonce: m.nonce.toString() })),
    },
    signature: signed.signature,
  };
}

/** Parses the JSON form of a signed voucher from an untrusted peer; AccordValidationError names the field. */
export function signedVoucherFromJson(json: unknown): SignedVoucher {
  if (json === null || typeof json !== "object") fail("", "must be an object {voucher, signature}");
  const { voucher, signature } = json as { voucher?: unknown; signature?: unknown };
  if (voucher === null || typeof voucher !== "object") fail("voucher", "must be an object");
  const sig = hexBytes(signature, "signature");
  if (sig === "0x") fail("signature", "must not be empty");
  return { voucher: parseVoucher(voucher as VoucherInput), signature: hexlify(sig) };
}
