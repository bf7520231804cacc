// What a handler sees: the batch writer, the event's block and log, and small helpers shared by the handlers.

import type { EntityRecord } from "../store/types";
import type { DecodedLog, LogMeta } from "../sync/events";

/** The part of the store's batch writer handlers use. */
export interface HandlerWriter {
  get(entity: string, id: string): Promise<EntityRecord | null>;
  set(entity: string, record: EntityRecord, block: number): Promise<void>;
  prefetch?(entity: string, ids: Iterable<string>): Promise<void>;
}

export interface HandlerContext {
  w: HandlerWriter;
  log: LogMeta;
  /** The block's timestamp (seconds). */
  timestamp: bigint;
  blockNumber: bigint;
  /** Something worth a warning (an event for an unknown deal): the handlers skip such events. */
  warn(message: string, event: DecodedLog): void;
}

export function newAccount(address: string): EntityRecord {
  return { id: address, escrowBalance: 0n, totalPaidIn: 0n, totalReceived: 0n, deferredPayout: 0n };
}

/** The account, or a fresh all-zero one (not yet saved). */
export async function loadAccount(ctx: HandlerContext, address: string): Promise<EntityRecord> {
  return (await ctx.w.get("Account", address)) ?? newAccount(address);
}

/** Saves a zero account for `address` if it has none yet. */
export async function ensureAccount(ctx: HandlerContext, address: string): Promise<void> {
  if (!(await ctx.w.get("Account", address))) await ctx.w.set("Account", newAccount(address), ctx.log.blockNumber);
}
