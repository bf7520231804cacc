// MachineRegistry → Machine, MachineChange.
//
// A machine is stored as getMachine has it: every event carries what changed (the spec, or availability), and the
// event's block time is the contract's updatedAt. Removal zeroes the spec on chain, so it does here too.

import { BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";

import {
  MachineAvailabilitySet as MachineAvailabilitySetEvent,
  MachineRegistered as MachineRegisteredEvent,
  MachineRegisteredSpecStruct as MachineSpec,
  MachineRemoved as MachineRemovedEvent,
  MachineUpdated as MachineUpdatedEvent,
} from "../generated/MachineRegistry/MachineRegistry";
import { Machine, MachineChange } from "../generated/schema";
import { MACHINE_STATUSES, MACHINE_STATUS_ACTIVE, MACHINE_STATUS_REMOVED, cidV0, eventId } from "./shared";

const ZERO_DIGEST = Bytes.fromHexString("0x0000000000000000000000000000000000000000000000000000000000000000");

function touch(machine: Machine, event: ethereum.Event): void {
  machine.updatedAt = event.block.timestamp;
  machine.updatedAtBlock = event.block.number;
}

function applySpec(machine: Machine, spec: MachineSpec): void {
  machine.profile = spec.profile;
  machine.profileCid = cidV0(spec.profile);
  machine.cpuCores = spec.cpuCores.toI32();
  machine.cpuMhz = spec.cpuMhz.toI32();
  machine.memoryMb = spec.memoryMb.toI32();
  machine.diskGb = spec.diskGb.toI32();
  machine.gpuCount = spec.gpuCount;
  machine.maxGpuVramMb = spec.maxGpuVramMb.toI32();
  machine.onboardedCpuMhz = spec.onboardedCpuMhz.toI32();
  machine.onboardedMemoryMb = spec.onboardedMemoryMb.toI32();
  machine.pricePerMinute = spec.pricePerMinute;
  machine.available = spec.available;
}

function clearSpec(machine: Machine): void {
  machine.profile = ZERO_DIGEST;
  machine.profileCid = cidV0(ZERO_DIGEST);
  machine.cpuCores = 0;
  machine.cpuMhz = 0;
  machine.memoryMb = 0;
  machine.diskGb = 0;
  machine.gpuCount = 0;
  machine.maxGpuVramMb = 0;
  machine.onboardedCpuMhz = 0;
  machine.onboardedMemoryMb = 0;
  machine.pricePerMinute = BigInt.zero();
  machine.available = false;
}

/** The machine's change record, holding the spec the machine has after the event. */
function recordChange(machine: Machine, kind: string, event: ethereum.Event): void {
  const change = new MachineChange(eventId(event));
  change.machine = machine.id;
  change.kind = kind;
  change.provider = machine.provider;
  change.profile = machine.profile;
  change.cpuCores = machine.cpuCores;
  change.cpuMhz = machine.cpuMhz;
  change.memoryMb = machine.memoryMb;
  change.diskGb = machine.diskGb;
  change.gpuCount = machine.gpuCount;
  change.maxGpuVramMb = machine.maxGpuVramMb;
  change.onboardedCpuMhz = machine.onboardedCpuMhz;
  change.onboardedMemoryMb = machine.onboardedMemoryMb;
  change.pricePerMinute = machine.pricePerMinute;
  change.available = machine.available;
  change.timestamp = event.block.timestamp;
  change.blockNumber = event.block.number;
  change.transactionHash = event.transaction.hash;
  change.save();
}

function loadMachine(id: Bytes, event: ethereum.Event): Machine | null {
  const machine = Machine.load(id);
  if (machine == null) {
    log.warning("MachineRegistry event for unknown machine {} (tx {}, log {})", [
      id.toHexString(),
      event.transaction.hash.toHexString(),
      event.logIndex.toString(),
    ]);
  }
  return machine;
}

export function handleMachineRegistered(event: MachineRegisteredEvent): void {
  const machine = new Machine(event.params.machineId);
  machine.provider = event.params.provider;
  machine.salt = event.params.salt;
  machine.status = MACHINE_STATUSES[MACHINE_STATUS_ACTIVE];
  applySpec(machine, event.params.spec);
  machine.createdAt = event.block.timestamp;
  machine.createdAtBlock = event.block.number;
  touch(machine, event);
  machine.save();
  recordChange(machine, "Registered", event);
}

export function handleMachineUpdated(event: MachineUpdatedEvent): void {
  const machine = loadMachine(event.params.machineId, event);
  if (machine == null) return;
  // The update event's spec tuple has the registration's layout; graph-ts names the struct per event.
  applySpec(machine, changetype<MachineSpec>(event.params.spec));
  touch(machine, event);
  machine.save();
  recordChange(machine, "Updated", event);
}

export function handleMachineAvailabilitySet(event: MachineAvailabilitySetEvent): void {
  const machine = loadMachine(event.params.machineId, event);
  if (machine == null) return;
  machine.available = event.params.available;
  touch(machine, event);
  machine.save();
  recordChange(machine, "AvailabilitySet", event);
}

export function handleMachineRemoved(event: MachineRemovedEvent): void {
  const machine = loadMachine(event.params.machineId, event);
  if (machine == null) return;
  machine.status = MACHINE_STATUSES[MACHINE_STATUS_REMOVED];
  clearSpec(machine);
  touch(machine, event);
  machine.save();
  recordChange(machine, "Removed", event);
}
