// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ITaskManager } from "../interfaces/ITaskManager.sol";
import { BLS12381 } from "../libraries/BLS12381.sol";
import { QuorumSignature } from "../types/QuorumTypes.sol";

/// @notice Exposes the BLS12381 library so tests check it against src/quorum/bls.ts (noble), and measures with
/// gasleft() the gas of `TaskManager.checkSignatures` (the signature check alone, no transaction or calldata cost)
/// and of hash-to-G1.
contract QuorumCheckHarness {
    /// @notice BLS12381.hashToG1.
    function hashToG1(bytes32 message, bytes calldata dst) external view returns (bytes memory) {
        return BLS12381.hashToG1(message, dst);
    }

    /// @notice BLS12381.g1Add.
    function g1Add(bytes calldata a, bytes calldata b) external view returns (bytes memory) {
        return BLS12381.g1Add(a, b);
    }

    /// @notice BLS12381.g2Add.
    function g2Add(bytes calldata a, bytes calldata b) external view returns (bytes memory) {
        return BLS12381.g2Add(a, b);
    }

    /// @notice BLS12381.negateG2.
    function negateG2(bytes calldata a) external pure returns (bytes memory) {
        return BLS12381.negateG2(a);
    }

    /// @notice BLS12381.subG2InPlace on a copy of `a`.
    function subG2(bytes calldata a, bytes calldata b) external view returns (bytes memory acc) {
        acc = a;
        BLS12381.subG2InPlace(acc, b);
    }

    /// @notice BLS12381.g1Msm.
    function g1Msm(bytes[] calldata points, uint256[] calldata scalars) external view returns (bytes memory) {
        return BLS12381.g1Msm(_copy(points), scalars);
    }

    /// @notice BLS12381.g2Msm.
    function g2Msm(bytes[] calldata points, uint256[] calldata scalars) external view returns (bytes memory) {
        return BLS12381.g2Msm(_copy(points), scalars);
    }

    /// @notice BLS12381.mapFpToG1.
    function mapFpToG1(bytes calldata fp) external view returns (bytes memory) {
        return BLS12381.mapFpToG1(fp);
    }

    /// @notice BLS12381.mapFp2ToG2.
    function mapFp2ToG2(bytes calldata fp2) external view returns (bytes memory) {
        return BLS12381.mapFp2ToG2(fp2);
    }

    /// @notice BLS12381.pairing2.
    function pairing2(
        bytes calldata a1,
        bytes calldata b1,
        bytes calldata a2,
        bytes calldata b2
    ) external view returns (bool) {
        return BLS12381.pairing2(a1, b1, a2, b2);
    }

    /// @notice BLS12381.verify.
    function verify(
        bytes calldata signature,
        bytes calldata publicKey,
        bytes32 message,
        bytes calldata dst
    ) external view returns (bool) {
        return BLS12381.verify(signature, publicKey, message, dst);
    }

    /// @notice BLS12381.isValidEncoding.
    function isValidEncoding(bytes calldata point, uint256 length) external pure returns (bool) {
        return BLS12381.isValidEncoding(point, length);
    }

    /// @notice BLS12381.isInfinity.
    function isInfinity(bytes calldata point) external pure returns (bool) {
        return BLS12381.isInfinity(point);
    }

    /// @notice The gas of `taskManager.checkSignatures(...)` as an external call (what respondToTask spends on the
    /// check, without its calldata), and its results.
    function measureCheckSignatures(
        ITaskManager taskManager,
        bytes32 digest,
        uint8 quorum,
        uint32 referenceBlock,
        QuorumSignature calldata signature
    ) external view returns (uint256 gasUsed, uint96 signedStake, uint96 totalStake) {
        uint256 before = gasleft();
        (signedStake, totalStake, ) = taskManager.checkSignatures(digest, quorum, referenceBlock, signature);
        gasUsed = before - gasleft();
    }

    /// @notice The gas of BLS12381.hashToG1 (inline, no call overhead).
    function measureHashToG1(bytes32 message, bytes calldata dst) external view returns (uint256 gasUsed) {
        bytes memory dstCopy = dst;
        uint256 before = gasleft();
        BLS12381.hashToG1(message, dstCopy);
        gasUsed = before - gasleft();
    }

    function _copy(bytes[] calldata points) private pure returns (bytes[] memory copy) {
        copy = new bytes[](points.length);
        for (uint256 i = 0; i < points.length; ++i) copy[i] = points[i];
    }
}
