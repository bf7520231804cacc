// The service registry: announce the roles this account offers, its metadata CID and URL; list who
// offers a role.

import { ZeroHash, isHexString } from "ethers";
import {
  bytes32ToCid,
  cidToBytes32,
  getServiceType,
  serviceTypeNames,
  type ServiceType,
  type ServiceTypeName,
} from "../model";
import { AccordClient, AccordClientError } from "./base";
import type { AccordTxResult } from "./events";

/** Roles as names, indices, or a bitmap (bit i = ServiceType i). */
export type RolesInput = ServiceTypeName | ServiceType | readonly (ServiceTypeName | ServiceType)[];
export type RoleInput = ServiceTypeName | ServiceType;

const ROLE_COUNT = serviceTypeNames.length;

function roleIndex(role: RoleInput): ServiceType {
  if (typeof role === "number") {
    if (!Number.isInteger(role) || role < 0 || role >= ROLE_COUNT) {
      throw new AccordClientError("INVALID_ARGUMENT", `no ServiceType of index ${role}`);
    }
    return role;
  }
  return getServiceType(role);
}

/** `Array.isArray` narrows a readonly array to `any[]`; this keeps the element type. */
function isRoleList(roles: RolesInput): roles is readonly RoleInput[] {
  return Array.isArray(roles);
}

/** Role names or indices → the registry's bitmap. */
export function rolesToBitmap(roles: RolesInput): number {
  const list = isRoleList(roles) ? roles : [roles];
  let bitmap = 0;
  for (const role of list) bitmap |= 1 << roleIndex(role);
  return bitmap;
}

/** The registry's bitmap → role names, in ServiceType order. */
export function bitmapToRoles(bitmap: number): ServiceTypeName[] {
  return serviceTypeNames.filter((_, i) => (bitmap & (1 << i)) !== 0);
}

/** A metadata CID (or bytes32 digest, or null for none) → the bytes32 the registry stores. */
export function metadataToBytes32(metadata: string | null | undefined): string {
  if (metadata === null || metadata === undefined || metadata === "") return ZeroHash;
  if (isHexString(metadata, 32)) return metadata.toLowerCase();
  return cidToBytes32(metadata);
}

/** A registry entry, decoded. */
export type ServiceEntry = {
  account: string;
  registered: boolean;
  roles: ServiceTypeName[];
  rolesBitmap: number;
  /** The stored bytes32 (zero for none). */
  metadata: string;
  /** Its CIDv0, or null for none. */
  metadataCid: string | null;
  url: string;
};

export type RegisterParams = {
  /** At least one role. */
  roles: RolesInput;
  /** Metadata document CID ("Qm…") or bytes32 digest; none by default. */
  metadata?: string | null;
  url?: string;
};

export type UpdateParams = {
  /** Replaces the roles. */
  roles?: RolesInput;
  addRoles?: RolesInput;
  removeRoles?: RolesInput;
  metadata?: string | null;
  url?: string;
};

export type RolePage = {
  accounts: string[];
  offset: number;
  /** Accounts offering the role when the page was read. */
  total: number;
  /** The offset of the next page, null after the last. */
  nextOffset: number | null;
};

export class RegistryClient extends AccordClient {
  /** Registers the signer (or replaces its entry). */
  async register(params: RegisterParams): Promise<AccordTxResult> {
    const roles = rolesToBitmap(params.roles);
    const metadata = metadataToBytes32(params.metadata);
    const url = params.url ?? "";
    return this.send("register", (overrides) => this.registry.register(roles, metadata, url, overrides));
  }

  /**
   * Changes the signer's entry: fields not given keep their value; roles can be replaced, added to or
   * removed from. AccordClientError NOT_FOUND when the signer is not registered.
   */
  async update(params: UpdateParams): Promise<AccordTxResult> {
    const current = await this.getService();
    if (!current.registered) {
      throw new AccordClientError("NOT_FOUND", `${current.account} is not registered; use register`);
    }
    let roles = params.roles !== undefined ? rolesToBitmap(params.roles) : current.rolesBitmap;
    if (params.addRoles !== undefined) roles |= rolesToBitmap(params.addRoles);
    if (params.removeRoles !== undefined) roles &= ~rolesToBitmap(params.removeRoles);
    const metadata = params.metadata !== undefined ? metadataToBytes32(params.metadata) : current.metadata;
    const url = params.url ?? current.url;
    return this.send("register", (overrides) => this.registry.register(roles, metadata, url, overrides));
  }

  /** Removes the signer's entry and every role. */
  async unregister(): Promise<AccordTxResult> {
    return this.send("unregister", (overrides) => this.registry.unregister(overrides));
  }

  /** The entry of `account` (default: the signer). */
  async getService(account?: string): Promise<ServiceEntry> {
    const who = account ?? (await this.getAddress());
    const service = await this.read("getService", () => this.registry.getService(who));
    const rolesBitmap = Number(service.roles);
    const metadata = service.metadata;
    return {
      account: who,
      registered: rolesBitmap !== 0,
      roles: bitmapToRoles(rolesBitmap),
      rolesBitmap,
      metadata,
      metadataCid: metadata === ZeroHash ? null : bytes32ToCid(metadata),
      url: service.url,
    };
  }

  /** Whether `account` (default: the signer) offers `role`. */
  async hasRole(role: RoleInput, account?: string): Promise<boolean> {
    const who = account ?? (await this.getAddress());
    return this.read("hasRole", () => this.registry.hasRole(who, roleIndex(role)));
  }

  /** How many accounts offer `role`. */
  async countByRole(role: RoleInput): Promise<number> {
    return Number(await this.read("countByRole", () => this.registry.countByRole(roleIndex(role))));
  }

  /**
   * One page of the accounts offering `role` (registration order, except that a removal moves the last
   * account into the freed place, so pages read across changes may skip or repeat an account).
   */
  async listByRole(role: RoleInput, page: { offset?: number; limit?: number } = {}): Promise<RolePage> {
    const index = roleIndex(role);
    const offset = page.offset ?? 0;
    const limit = page.limit ?? 100;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit <= 0) {
      throw new AccordClientError("INVALID_ARGUMENT", "offset must be ≥ 0 and limit > 0 (integers)");
    }
    const [accounts, total] = await Promise.all([
      this.read("getServicesByRole", () => this.registry.getServicesByRole(index, offset, limit)),
      this.countByRole(index),
    ]);
    const end = offset + accounts.length;
    return { accounts: [...accounts], offset, total, nextOffset: end < total ? end : null };
  }

  /** Every account offering `role`, read page by page. */
  async listAllByRole(role: RoleInput, options: { pageSize?: number } = {}): Promise<string[]> {
    const all: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page: RolePage = await this.listByRole(role, { offset, limit: options.pageSize ?? 100 });
      all.push(...page.accounts);
      offset = page.accounts.length === 0 ? null : page.nextOffset;
    }
    return all;
  }

  /** The entries of every account offering `role`. */
  async getServicesByRole(role: RoleInput, options: { pageSize?: number } = {}): Promise<ServiceEntry[]> {
    const accounts = await this.listAllByRole(role, options);
    return Promise.all(accounts.map((account) => this.getService(account)));
  }
}
