// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { MachineStore } from "./abstracts/MachineStore.sol";
import { IMachineRegistry } from "./interfaces/IMachineRegistry.sol";
import { EscrowHashing } from "./libraries/EscrowHashing.sol";
import { Errors } from "./libraries/Errors.sol";
import { Machine, MachineSpec, MachineStatus } from "./types/EscrowTypes.sol";

/// @title MachineRegistry
/// @notice See {IMachineRegistry}. It holds no funds.
contract MachineRegistry is IMachineRegistry, MachineStore {
    /// @inheritdoc IMachineRegistry
    function register(bytes32 salt, MachineSpec calldata spec) external override returns (bytes32 id) {
        id = EscrowHashing.machineId(msg.sender, salt);
        Machine storage machine = _machines[id];
        if (machine.status != MachineStatus.None) revert Errors.MachineRegistry_MachineExists(id);
        _checkSpec(spec);
        machine.provider = msg.sender;
        machine.updatedAt = uint64(block.timestamp);
        machine.status = MachineStatus.Active;
        machine.spec = spec;
        emit MachineRegistered(id, msg.sender, salt, spec);
    }

    /// @inheritdoc IMachineRegistry
    function update(bytes32 id, MachineSpec calldata spec) external override {
        Machine storage machine = _ownMachine(id);
        _checkSpec(spec);
        machine.updatedAt = uint64(block.timestamp);
        machine.spec = spec;
        emit MachineUpdated(id, msg.sender, spec);
    }

    /// @inheritdoc IMachineRegistry
    function setAvailability(bytes32 id, bool available) external override {
        Machine storage machine = _ownMachine(id);
        machine.updatedAt = uint64(block.timestamp);
        machine.spec.available = available;
        emit MachineAvailabilitySet(id, msg.sender, available);
    }

    /// @inheritdoc IMachineRegistry
    function remove(bytes32 id) external override {
        Machine storage machine = _ownMachine(id);
        machine.updatedAt = uint64(block.timestamp);
        machine.status = MachineStatus.Removed;
        delete machine.spec;
        emit MachineRemoved(id, msg.sender);
    }

    /// @dev The caller's active machine `id`.
    function _ownMachine(bytes32 id) private view returns (Machine storage machine) {
        machine = _machines[id];
        if (machine.status != MachineStatus.Active) revert Errors.MachineRegistry_MachineNotFound(id, machine.status);
        if (machine.provider != msg.sender) revert Errors.MachineRegistry_NotProvider(id, msg.sender);
    }
}
