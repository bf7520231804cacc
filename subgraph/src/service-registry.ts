// ServiceRegistry → Service, Account.
//
// register() emits ServiceRegistered with the full new bitmap, then ServiceRoleAdded / ServiceRoleRemoved for
// each role that changed; unregister() emits ServiceRoleRemoved per role, then ServiceUnregistered. The role
// events therefore only confirm what ServiceRegistered already set; they are applied to the bitmap anyway so
// the flags stay right whatever the order.

import { Bytes, ethereum, log } from "@graphprotocol/graph-ts";

import {
  ServiceRegistered as ServiceRegisteredEvent,
  ServiceRoleAdded as ServiceRoleAddedEvent,
  ServiceRoleRemoved as ServiceRoleRemovedEvent,
  ServiceUnregistered as ServiceUnregisteredEvent,
} from "../generated/ServiceRegistry/ServiceRegistry";
import { Service } from "../generated/schema";
import { SERVICE_TYPES, cidV0, ensureAccount } from "./shared";

/** Sets roles, rolesBitmap and the is* flags from a bitmap (bit i = ServiceType i). */
function applyRoles(service: Service, bitmap: i32): void {
  const roles = new Array<string>();
  for (let i = 0; i < SERVICE_TYPES.length; i++) {
    if ((bitmap & (1 << i)) != 0) roles.push(SERVICE_TYPES[i]);
  }
  service.roles = roles;
  service.rolesBitmap = bitmap;
  service.isSolver = (bitmap & (1 << 0)) != 0;
  service.isMediator = (bitmap & (1 << 1)) != 0;
  service.isDirectory = (bitmap & (1 << 2)) != 0;
  service.isResourceProvider = (bitmap & (1 << 3)) != 0;
  service.isJobCreator = (bitmap & (1 << 4)) != 0;
}

function touch(service: Service, event: ethereum.Event): void {
  service.updatedAt = event.block.timestamp;
  service.updatedTx = event.transaction.hash;
}

function loadService(account: Bytes, event: ethereum.Event): Service | null {
  const service = Service.load(account);
  if (service == null) {
    log.warning("ServiceRegistry role event for unregistered account {} (tx {})", [
      account.toHexString(),
      event.transaction.hash.toHexString(),
    ]);
  }
  return service;
}

export function handleServiceRegistered(event: ServiceRegisteredEvent): void {
  const address = event.params.account;
  ensureAccount(address);

  let service = Service.load(address);
  if (service == null) {
    service = new Service(address);
    service.account = address;
    service.registeredAt = event.block.timestamp;
  }
  applyRoles(service, event.params.roles);
  service.metadata = event.params.metadata;
  service.metadataCid = cidV0(event.params.metadata);
  service.url = event.params.url;
  service.registered = true;
  touch(service, event);
  service.save();
}

export function handleServiceRoleAdded(event: ServiceRoleAddedEvent): void {
  const service = loadService(event.params.account, event);
  if (service == null) return;
  const role = event.params.role;
  if (role < 0 || role >= SERVICE_TYPES.length) return;
  const bitmap = service.rolesBitmap | (1 << role);
  if (bitmap == service.rolesBitmap) return; // already set by ServiceRegistered
  applyRoles(service, bitmap);
  touch(service, event);
  service.save();
}

export function handleServiceRoleRemoved(event: ServiceRoleRemovedEvent): void {
  const service = loadService(event.params.account, event);
  if (service == null) return;
  const role = event.params.role;
  if (role < 0 || role >= SERVICE_TYPES.length) return;
  const bitmap = service.rolesBitmap & ~(1 << role);
  if (bitmap == service.rolesBitmap) return; // already cleared by ServiceRegistered
  applyRoles(service, bitmap);
  touch(service, event);
  service.save();
}

export function handleServiceUnregistered(event: ServiceUnregisteredEvent): void {
  const service = loadService(event.params.account, event);
  if (service == null) return;
  applyRoles(service, 0);
  service.registered = false;
  touch(service, event);
  service.save();
}
