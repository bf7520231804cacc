// Helpers shared by the mappings. These mappings are the only indexing rules: the embedded indexer (src/indexer)
// runs their compiled WebAssembly, as a Graph Node does.

import { Address, BigInt, ByteArray, Bytes, ethereum } from "@graphprotocol/graph-ts";

import { Account } from "../generated/schema";

// The enum tables and state sets come from the data model (src/model/enums.ts), generated into ./enums.ts.
export * from "./enums";

/** Whether `index` is a member of the enum `names` (the contract cannot send others; old ABIs could). */
export function isEnumIndex(names: string[], index: i32): boolean {
  return index >= 0 && index < names.length;
}

const SHA2_256_MULTIHASH_PREFIX = "0x1220";

/** The CIDv0 ("Qm…") of a sha256 digest as the contracts carry it: base58btc of 0x12 0x20 ‖ digest. */
export function cidV0(digest: Bytes): string {
  return ByteArray.fromHexString(SHA2_256_MULTIHASH_PREFIX).concat(digest).toBase58();
}

/** The ID of an entity made from one log: `<transaction hash>-<log index>`. */
export function eventId(event: ethereum.Event): string {
  return event.transaction.hash.toHexString() + "-" + event.logIndex.toString();
}

/** The account of `address`, created with zero balances (not yet saved) if it does not exist. */
export function loadOrNewAccount(address: Bytes): Account {
  let account = Account.load(address);
  if (account == null) {
    account = new Account(address);
    account.escrowBalance = BigInt.zero();
    account.totalPaidIn = BigInt.zero();
    account.totalReceived = BigInt.zero();
    account.deferredPayout = BigInt.zero();
  }
  return account;
}

/** Saves a zero account for `address` unless one exists. */
export function ensureAccount(address: Bytes): void {
  if (Account.load(address) != null) return;
  const account = loadOrNewAccount(address);
  account.save();
}

/** Address[] as Bytes[] (entity fields of type [Bytes!]!). */
export function addressesToBytes(addresses: Array<Address>): Array<Bytes> {
  const out = new Array<Bytes>(addresses.length);
  for (let i = 0; i < addresses.length; i++) out[i] = addresses[i];
  return out;
}
