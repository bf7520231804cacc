// ServiceRegistry events → Service (and Account) entities.
// The subgraph's AssemblyScript mappings implement the same semantics; keep them identical.

import type { EntityRecord } from "../store/types";
import { SERVICE_TYPES, type DecodedLog } from "../sync/events";
import { ensureAccount, type HandlerContext } from "./context";
import { cidV0FromDigest } from "./ids";

type Ev<N extends DecodedLog["name"]> = Extract<DecodedLog, { name: N }>;

const FLAGS = ["isSolver", "isMediator", "isDirectory", "isResourceProvider", "isJobCreator"] as const;

/** roles (ServiceType names in enum order), rolesBitmap and the is* flags of a bitmap. */
export function roleFields(bitmap: number): EntityRecord {
  const fields: EntityRecord = {
    roles: SERVICE_TYPES.filter((_, i) => (bitmap & (1 << i)) !== 0),
    rolesBitmap: bitmap,
  };
  FLAGS.forEach((flag, i) => (fields[flag] = (bitmap & (1 << i)) !== 0));
  return fields;
}

function touch(service: EntityRecord, ctx: HandlerContext): void {
  service.updatedAt = ctx.timestamp;
  service.updatedTx = ctx.log.transactionHash;
}

export async function onServiceRegistered(ctx: HandlerContext, e: Ev<"ServiceRegistered">): Promise<void> {
  await ensureAccount(ctx, e.account);
  const existing = await ctx.w.get("Service", e.account);
  const service: EntityRecord = {
    id: e.account,
    account: e.account,
    ...roleFields(e.roles),
    metadata: e.metadata,
    metadataCid: cidV0FromDigest(e.metadata),
    url: e.url,
    registered: true,
    registeredAt: existing ? existing.registeredAt : ctx.timestamp,
    updatedAt: ctx.timestamp,
    updatedTx: ctx.log.transactionHash,
  };
  await ctx.w.set("Service", service, ctx.log.blockNumber);
}

async function loadService(ctx: HandlerContext, e: DecodedLog & { account: string }): Promise<EntityRecord | null> {
  const service = await ctx.w.get("Service", e.account);
  if (!service) ctx.warn(`${e.name} for unregistered account ${e.account}`, e);
  return service;
}

/** ServiceRoleAdded / ServiceRoleRemoved: confirm what ServiceRegistered set; applied only if they change the bitmap. */
async function changeRole(
  ctx: HandlerContext,
  e: Ev<"ServiceRoleAdded"> | Ev<"ServiceRoleRemoved">,
  add: boolean,
): Promise<void> {
  const service = await loadService(ctx, e);
  if (!service) return;
  if (e.role >= SERVICE_TYPES.length) return;
  const old = service.rolesBitmap as number;
  const bitmap = add ? old | (1 << e.role) : old & ~(1 << e.role);
  if (bitmap === old) return;
  Object.assign(service, roleFields(bitmap));
  touch(service, ctx);
  await ctx.w.set("Service", service, ctx.log.blockNumber);
}

export function onServiceRoleAdded(ctx: HandlerContext, e: Ev<"ServiceRoleAdded">): Promise<void> {
  return changeRole(ctx, e, true);
}

export function onServiceRoleRemoved(ctx: HandlerContext, e: Ev<"ServiceRoleRemoved">): Promise<void> {
  return changeRole(ctx, e, false);
}

export async function onServiceUnregistered(ctx: HandlerContext, e: Ev<"ServiceUnregistered">): Promise<void> {
  const service = await loadService(ctx, e);
  if (!service) return;
  Object.assign(service, roleFields(0));
  service.registered = false;
  touch(service, ctx);
  await ctx.w.set("Service", service, ctx.log.blockNumber);
}
