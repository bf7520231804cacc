// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IMachineRegistry } from "../interfaces/IMachineRegistry.sol";
import { EscrowHashing } from "../libraries/EscrowHashing.sol";
import { Errors } from "../libraries/Errors.sol";
import { Machine, MachineSpec, MachineStatus } from "../types/EscrowTypes.sol";

/// @title MachineStore
/// @notice The machine registry's storage (machines by ID), its views, and the spec's checks (the onboarding rule).
abstract contract MachineStore is IMachineRegistry {
    mapping(bytes32 machineId => Machine machine) internal _machines;

    /// @inheritdoc IMachineRegistry
    function machineId(address provider, bytes32 salt) external pure override returns (bytes32) {
        return EscrowHashing.machineId(provider, salt);
    }

    /// @inheritdoc IMachineRegistry
    function getMachine(bytes32 id) external view override returns (Machine memory) {
        return _machines[id];
    }

    /// @inheritdoc IMachineRegistry
    function offer(
        bytes32 id
    ) external view override returns (address provider, uint128 pricePerMinute, bool available) {
        Machine storage machine = _machines[id];
        return (
            machine.provider,
            machine.spec.pricePerMinute,
            machine.status == MachineStatus.Active && machine.spec.available
        );
    }

    /// @inheritdoc IMachineRegistry
    function isValidSpec(MachineSpec calldata spec) external pure override returns (bool) {
        return _specError(spec) == 0;
    }

    /// @dev Reverts with the spec's first failed check.
    function _checkSpec(MachineSpec calldata spec) internal pure {
        uint256 failure = _specError(spec);
        if (failure == 0) return;
        if (failure == 1) revert Errors.MachineRegistry_ZeroProfile();
        if (failure == 2) revert Errors.MachineRegistry_ZeroCapacity(spec.cpuCores, spec.cpuMhz, spec.memoryMb);
        if (failure == 3) revert Errors.MachineRegistry_GpuMismatch(spec.gpuCount, spec.maxGpuVramMb);
        if (failure == 4) revert Errors.MachineRegistry_CpuShareOutOfRange(spec.onboardedCpuMhz, spec.cpuMhz);
        revert Errors.MachineRegistry_MemoryShareOutOfRange(spec.onboardedMemoryMb, spec.memoryMb);
    }

    /// @dev The first failed check (1 profile, 2 capacity, 3 GPUs, 4 CPU share, 5 memory share), 0 if none.
    function _specError(MachineSpec calldata spec) private pure returns (uint256) {
        if (spec.profile == bytes32(0)) return 1;
        if (spec.cpuCores == 0 || spec.cpuMhz == 0 || spec.memoryMb == 0) return 2;
        if ((spec.gpuCount == 0) != (spec.maxGpuVramMb == 0)) return 3;
        if (!_withinShare(spec.onboardedCpuMhz, spec.cpuMhz)) return 4;
        if (!_withinShare(spec.onboardedMemoryMb, spec.memoryMb)) return 5;
        return 0;
    }

    /// @dev 10% * total <= part <= 90% * total, exactly (in 256 bits: no overflow, no rounding).
    function _withinShare(uint32 part, uint32 total) private pure returns (bool) {
        uint256 tenfold = uint256(part) * 10;
        return tenfold >= total && tenfold <= uint256(total) * 9;
    }
}
