// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Machine, MachineSpec } from "../types/EscrowTypes.sol";

/// @title IMachineRegistry
/// @notice Providers onboard machines: each machine is the digest of its full profile (the reference's capability
/// types as JSON, content-addressed: the sha2-256 digest of its CIDv0) and the fields people filter by (cores, CPU
/// clock, memory, disk, GPU count, largest GPU's VRAM, the onboarded CPU and memory share, price per minute,
/// availability). The onboarding rule of the reference is checked on chain: the onboarded CPU and memory are each
/// between 10% and 90% of the machine's, both bounds inclusive, checked exactly in integers
/// (`10 * onboarded >= total` and `10 * onboarded <= 9 * total`, no rounding).
/// @dev A machine's ID is keccak256(abi.encode(provider, salt)); only its provider changes it. A removed machine
/// keeps a tombstone (status Removed, spec zeroed): its ID is never registered again. Every change emits an event
/// with the machine ID and the provider indexed (the indexer builds per-provider lists; nothing here loops). No
/// admin.
interface IMachineRegistry {
    /// @notice A provider registered a machine.
    event MachineRegistered(bytes32 indexed machineId, address indexed provider, bytes32 salt, MachineSpec spec);

    /// @notice A provider replaced a machine's spec (its profile, filter fields, price and availability).
    event MachineUpdated(bytes32 indexed machineId, address indexed provider, MachineSpec spec);

    /// @notice A provider made a machine available for new jobs, or not.
    event MachineAvailabilitySet(bytes32 indexed machineId, address indexed provider, bool available);

    /// @notice A provider removed a machine (jobs already open on it keep their terms; none can be accepted).
    event MachineRemoved(bytes32 indexed machineId, address indexed provider);

    /// @notice The ID a machine registered by `provider` with `salt` gets: keccak256(abi.encode(provider, salt)).
    function machineId(address provider, bytes32 salt) external pure returns (bytes32);

    /// @notice A machine's record (all zero if never registered).
    function getMachine(bytes32 machineId) external view returns (Machine memory);

    /// @notice What a job on the machine needs in one read: its provider, its price per minute, and whether it
    /// takes new jobs (registered, not removed, available).
    function offer(bytes32 machineId) external view returns (address provider, uint128 pricePerMinute, bool available);

    /// @notice Whether `spec` passes the registry's checks (the errors `register` and `update` would revert with
    /// are those of the first failed check, in the order listed there).
    function isValidSpec(MachineSpec calldata spec) external pure returns (bool);

    /// @notice Registers a machine of the caller's.
    /// @param salt Any value; the ID is keccak256(abi.encode(caller, salt)).
    /// @param spec The machine's spec.
    /// @return id The machine's ID.
    /// @dev Reverts: `MachineRegistry_MachineExists` (the ID is taken, or was removed), and the spec's checks in
    /// this order: `MachineRegistry_ZeroProfile`, `_ZeroCapacity` (no cores, clock or memory), `_GpuMismatch` (GPUs
    /// without VRAM or VRAM without GPUs), `_CpuShareOutOfRange`, `_MemoryShareOutOfRange` (outside 10–90%).
    /// Emits {MachineRegistered}.
    function register(bytes32 salt, MachineSpec calldata spec) external returns (bytes32 id);

    /// @notice Replaces a machine's spec (open jobs keep the price they were opened at).
    /// @dev Reverts: `MachineRegistry_MachineNotFound` (none, or removed), `_NotProvider`, and the spec's checks
    /// (see `register`). Emits {MachineUpdated}.
    function update(bytes32 machineId, MachineSpec calldata spec) external;

    /// @notice Makes a machine available for new jobs, or not (a job opened earlier can be accepted only while it
    /// is available).
    /// @dev Reverts: `MachineRegistry_MachineNotFound`, `_NotProvider`. Emits {MachineAvailabilitySet}.
    function setAvailability(bytes32 machineId, bool available) external;

    /// @notice Removes a machine for good.
    /// @dev Reverts: `MachineRegistry_MachineNotFound`, `_NotProvider`. Emits {MachineRemoved}.
    function remove(bytes32 machineId) external;
}
