// MachineRegistry as a provider uses it: registers a machine from its profile (src/onboarding/profile.ts: the CID's
// digest and the fields people filter by), replaces its spec from a new profile, sets its availability, removes it;
// and reads a machine's record. Reverts are AccordContractError naming the custom error (MachineRegistry_…); bad
// arguments are AccordValidationError naming the field, thrown before anything is sent.

import { AbiCoder, keccak256, randomBytes, hexlify, type Signer, type TransactionReceipt } from "ethers";
import { IMachineRegistry__factory, type IMachineRegistry } from "../../typechain-types";
import type { MachineSpecStruct } from "../../typechain-types/contracts/interfaces/IMachineRegistry";
import type { AccordDeployment } from "../deployments";
import { bytes32ToCid } from "../model/cid";
import { machineStatusNames } from "../model/enums";
import { AccordValidationError } from "../model/errors";
import type { MachineStatusName } from "../model/types";
import { machineOnChainFields, parseMachineProfile, type MachineProfile } from "../onboarding/profile";
import { addressInput, bytes32Input, uintInput } from "../pools/inputs";
import {
  AccordClient,
  AccordClientError,
  loadClientDeployment,
  type AccordClientOptions,
  type FromDeploymentOptions,
} from "./base";
import { decodeAccordLogs, type AccordLog, type AccordTxResult } from "./events";

/** The deployment name of the registry. */
export const MACHINE_REGISTRY_CONTRACT_NAME = "MachineRegistry";

export type MachineRegistryClientOptions = AccordClientOptions & {
  /** MachineRegistry address. */
  machines?: string;
};

/** The spec MachineRegistry stores (its MachineSpec), as the client reads and writes it. */
export type MachineSpecView = {
  /** The profile's CID digest (bytes32) and the CID it stands for. */
  profile: string;
  profileCid: string | null;
  cpuCores: bigint;
  cpuMhz: bigint;
  memoryMb: bigint;
  diskGb: bigint;
  gpuCount: bigint;
  maxGpuVramMb: bigint;
  onboardedCpuMhz: bigint;
  onboardedMemoryMb: bigint;
  pricePerMinute: bigint;
  available: boolean;
};

/** A machine's record. `exists` is false for an ID never registered (every field zero). */
export type MachineView = {
  machineId: string;
  exists: boolean;
  provider: string;
  updatedAt: bigint;
  status: number;
  statusName: MachineStatusName;
  spec: MachineSpecView;
};

/** register's transaction, with the new machine's ID and the profile's CID. */
export type RegisterMachineTxResult = AccordTxResult & { machineId: string; salt: string; profileCid: string };

/** update's transaction, with the new profile's CID. */
export type UpdateMachineTxResult = AccordTxResult & { profileCid: string };

const SUBJECT = "machine";
const ZERO_BYTES32 = `0x${"0".repeat(64)}`;

type MachinesClientConstructor<T> = new (signer: Signer, options: MachineRegistryClientOptions) => T;

/**
 * The contract's MachineSpec of a profile: the profile is validated first (every field, the 10–90% rule), and each
 * figure must fit its on-chain width (uint32, uint16 GPUs, uint128 price), or AccordValidationError names it.
 */
export async function machineSpecOf(
  profile: MachineProfile,
  available: boolean,
): Promise<MachineSpecStruct & { profileCid: string }> {
  const checked = parseMachineProfile(profile);
  const fields = await machineOnChainFields(checked);
  const width = (value: bigint, field: string, bits: number): bigint => uintInput(value, field, bits, SUBJECT);
  return {
    profileCid: fields.profileCid,
    profile: fields.profileId,
    cpuCores: width(fields.cpuCores, "cpuCores", 32),
    cpuMhz: width(fields.cpuMhz, "cpuMhz", 32),
    memoryMb: width(fields.memoryMb, "memoryMb", 32),
    diskGb: width(fields.diskGb, "diskGb", 32),
    gpuCount: width(fields.gpuCount, "gpuCount", 16),
    maxGpuVramMb: width(fields.maxGpuVramMb, "maxGpuVramMb", 32),
    onboardedCpuMhz: width(fields.onboardedCpuMhz, "onboardedCpuMhz", 32),
    onboardedMemoryMb: width(fields.onboardedMemoryMb, "onboardedMemoryMb", 32),
    pricePerMinute: width(fields.pricePerMinute, "pricePerMinute", 128),
    available,
  };
}

export class MachineRegistryClient extends AccordClient {
  declare readonly options: Readonly<MachineRegistryClientOptions>;
  #machines: IMachineRegistry | undefined;

  constructor(signer: Signer, options: MachineRegistryClientOptions = {}) {
    super(signer, options);
  }

  /** A client on the MachineRegistry of a deployment, checked against the signer's chain. */
  static override async fromDeployment<T extends AccordClient>(
    this: MachinesClientConstructor<T>,
    signer: Signer,
    deployment: AccordDeployment | string,
    options: FromDeploymentOptions = {},
  ): Promise<T> {
    const { loaded, clientOptions } = await loadClientDeployment(signer, deployment, options);
    const contracts = loaded.contracts;
    const machines = contracts[MACHINE_REGISTRY_CONTRACT_NAME];
    if (!machines) throw new AccordClientError("NOT_CONFIGURED", "the deployment has no MachineRegistry");
    return new this(signer, {
      fromBlock: machines.blockNumber,
      ...clientOptions,
      machines: machines.address,
      market: contracts.DealMarket.address,
      registry: contracts.ServiceRegistry.address,
      token: contracts.AccordToken.address,
    });
  }

  get machines(): IMachineRegistry {
    if (!this.options.machines) {
      throw new AccordClientError("NOT_CONFIGURED", "no MachineRegistry address was given to this client");
    }
    this.#machines ??= IMachineRegistry__factory.connect(this.options.machines, this.signer);
    return this.#machines;
  }

  /** The ID `provider` (default: the signer) gets for a machine registered with `salt`: keccak256(abi.encode(…)). */
  async machineIdOf(salt: string, provider?: string): Promise<string> {
    const who = provider === undefined ? await this.getAddress() : addressInput(provider, "provider", SUBJECT);
    const value = bytes32Input(salt, "salt", SUBJECT, { allowZero: true });
    return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [who, value]));
  }

  /** A machine's record; `exists` false (and every field zero) for an ID never registered. */
  async getMachine(machineId: string): Promise<MachineView> {
    const id = bytes32Input(machineId, "machineId", SUBJECT);
    const raw = await this.read("getMachine", () => this.machines.getMachine(id));
    const status = Number(raw.status);
    const spec = raw.spec;
    return {
      machineId: id,
      exists: status !== 0,
      provider: raw.provider,
      updatedAt: raw.updatedAt,
      status,
      statusName: machineStatusNames[status] ?? "None",
      spec: {
        profile: spec.profile,
        profileCid: spec.profile === ZERO_BYTES32 ? null : bytes32ToCid(spec.profile),
        cpuCores: spec.cpuCores,
        cpuMhz: spec.cpuMhz,
        memoryMb: spec.memoryMb,
        diskGb: spec.diskGb,
        gpuCount: spec.gpuCount,
        maxGpuVramMb: spec.maxGpuVramMb,
        onboardedCpuMhz: spec.onboardedCpuMhz,
        onboardedMemoryMb: spec.onboardedMemoryMb,
        pricePerMinute: spec.pricePerMinute,
        available: spec.available,
      },
    };
  }

  /**
   * Registers a machine of the signer's from its profile (available for jobs unless told otherwise). `salt`
   * (default random) makes the ID: AccordContractError MachineRegistry_MachineExists for one used before.
   */
  async register(
    profile: MachineProfile,
    options: { salt?: string; available?: boolean } = {},
  ): Promise<RegisterMachineTxResult> {
    const salt =
      options.salt === undefined
        ? hexlify(randomBytes(32))
        : bytes32Input(options.salt, "salt", SUBJECT, { allowZero: true });
    const { profileCid, ...spec } = await machineSpecOf(profile, options.available ?? true);
    const result = await this.send("register", (overrides) => this.machines.register(salt, spec, overrides));
    const machineId = result.get("MachineRegistered").args.machineId;
    return Object.assign(result, { machineId, salt, profileCid });
  }

  /** Replaces a machine's spec with a new profile's (availability as given, default available). */
  async update(
    machineId: string,
    profile: MachineProfile,
    options: { available?: boolean } = {},
  ): Promise<UpdateMachineTxResult> {
    const id = bytes32Input(machineId, "machineId", SUBJECT);
    const { profileCid, ...spec } = await machineSpecOf(profile, options.available ?? true);
    const result = await this.send("update", (overrides) => this.machines.update(id, spec, overrides));
    return Object.assign(result, { profileCid });
  }

  /** Makes a machine available for new jobs, or not. */
  async setAvailability(machineId: string, available: boolean): Promise<AccordTxResult> {
    const id = bytes32Input(machineId, "machineId", SUBJECT);
    if (typeof available !== "boolean") {
      throw new AccordValidationError("available", "must be a boolean", { subject: SUBJECT });
    }
    return this.send("setAvailability", (overrides) => this.machines.setAvailability(id, available, overrides));
  }

  /** Removes a machine for good (its ID is never registered again). */
  async remove(machineId: string): Promise<AccordTxResult> {
    const id = bytes32Input(machineId, "machineId", SUBJECT);
    return this.send("remove", (overrides) => this.machines.remove(id, overrides));
  }

  /** Decodes the registry's events among a receipt's logs. */
  override decodeLogs(logs: TransactionReceipt["logs"]): AccordLog[] {
    return decodeAccordLogs(logs, { machines: this.options.machines });
  }
}
