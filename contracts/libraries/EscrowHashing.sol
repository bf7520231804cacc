// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Attestation, OracleSet } from "../types/EscrowTypes.sol";

/// @title EscrowHashing
/// @notice The IDs and hashes of the provider onboarding and job escrow family: machine and job IDs, an oracle
/// set's commitment, and the EIP-712 struct hash of an attestation (signed under the JobEscrow's domain).
library EscrowHashing {
    bytes32 internal constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(bytes32 jobId,uint16 bps,uint64 runSeconds)"
    );

    /// @notice A machine's ID: keccak256(abi.encode(provider, salt)).
    function machineId(address provider, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(provider, salt));
    }

    /// @notice A job's ID: keccak256(abi.encode(requester, salt)).
    function jobId(address requester, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(requester, salt));
    }

    /// @notice An oracle set's commitment: keccak256(abi.encode(signers, threshold, oracleContract)).
    function hashOracleSet(OracleSet calldata oracle) internal pure returns (bytes32) {
        return keccak256(abi.encode(oracle.signers, oracle.threshold, oracle.oracleContract));
    }

    /// @notice The commitment of the set that is the oracle contract `oracleContract` alone.
    function hashOracleContract(address oracleContract) internal pure returns (bytes32) {
        return keccak256(abi.encode(new address[](0), uint8(0), oracleContract));
    }

    /// @notice hashStruct(Attestation).
    function hashAttestation(Attestation calldata attestation) internal pure returns (bytes32) {
        return keccak256(abi.encode(ATTESTATION_TYPEHASH, attestation.jobId, attestation.bps, attestation.runSeconds));
    }
}
