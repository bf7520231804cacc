// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title QuorumHashing
/// @notice The EIP-712 struct hashes of the operator quorums: an operator's registration (what its proof of
/// possession signs, under the OperatorRegistry's domain) and a task response (what the quorum signs, under the
/// TaskManager's domain). The hash-to-G1 DSTs are the IETF BLS signature draft's POP ciphersuite.
library QuorumHashing {
    bytes32 internal constant REGISTRATION_TYPEHASH = keccak256("Registration(address operator,bytes32 keyHash)");

    bytes32 internal constant TASK_RESPONSE_TYPEHASH = keccak256("TaskResponse(bytes32 taskId,bytes32 responseHash)");

    /// @notice The DST task-response signatures are hashed to G1 under.
    bytes internal constant SIGNATURE_DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_";

    /// @notice The DST proofs of possession are hashed to G1 under (distinct, so a PoP is never a signature).
    bytes internal constant POP_DST = "BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_";

    /// @notice hashStruct(Registration).
    function hashRegistration(address operator, bytes32 keyHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(REGISTRATION_TYPEHASH, operator, keyHash));
    }

    /// @notice hashStruct(TaskResponse).
    function hashTaskResponse(bytes32 taskId, bytes32 responseHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(TASK_RESPONSE_TYPEHASH, taskId, responseHash));
    }
}
