// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Errors } from "./Errors.sol";

/// @title BLS12381
/// @notice BLS12-381 through the EIP-2537 precompiles (live since Prague): point addition and multi-scalar
/// multiplication in G1 and G2, the pairing check, the maps to the curve, and RFC 9380 hash-to-G1.
/// @dev Points are `bytes` in the precompiles' encoding: a field element is 64 bytes big-endian whose top 16 bytes
/// are zero (so in memory it is two words: `hi` < 2^128, then `lo`); G1 is x, y (128 bytes); G2 is x.c0, x.c1,
/// y.c0, y.c1 (256 bytes); the point at infinity is all zeros. The precompiles refuse field elements not below p
/// and points off the curve; the MSMs and the pairing check also refuse points outside the prime-order subgroup.
/// Everything here agrees with src/quorum/bls.ts (noble's bls12_381), which tests check.
library BLS12381 {
    uint256 internal constant G1ADD = 0x0b;
    uint256 internal constant G1MSM = 0x0c;
    uint256 internal constant G2ADD = 0x0d;
    uint256 internal constant G2MSM = 0x0e;
    uint256 internal constant PAIRING_CHECK = 0x0f;
    uint256 internal constant MAP_FP_TO_G1 = 0x10;
    uint256 internal constant MAP_FP2_TO_G2 = 0x11;
    uint256 internal constant SHA256 = 0x02;
    uint256 internal constant MODEXP = 0x05;

    /// @notice Bytes of a field element, of a G1 point and of a G2 point.
    uint256 internal constant FP_BYTES = 64;
    uint256 internal constant G1_BYTES = 128;
    uint256 internal constant G2_BYTES = 256;

    /// @notice The field modulus p in two limbs: p = P_HI·2^256 + P_LO.
    uint256 internal constant P_HI = 0x1a0111ea397fe69a4b1ba7b6434bacd7;
    uint256 internal constant P_LO = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;

    // −g2 (the negated G2 generator) in eight words: x.c0, x.c1, y.c0, y.c1, each as hi, lo.
    uint256 private constant NEG_G2_X0_HI = 0x024aa2b2f08f0a91260805272dc51051;
    uint256 private constant NEG_G2_X0_LO = 0xc6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8;
    uint256 private constant NEG_G2_X1_HI = 0x13e02b6052719f607dacd3a088274f65;
    uint256 private constant NEG_G2_X1_LO = 0x596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e;
    uint256 private constant NEG_G2_Y0_HI = 0x0d1b3cc2c7027888be51d9ef691d77bc;
    uint256 private constant NEG_G2_Y0_LO = 0xb679afda66c73f17f9ee3837a55024f78c71363275a75d75d86bab79f74782aa;
    uint256 private constant NEG_G2_Y1_HI = 0x13fa4d4a0ad8b1ce186ed5061789213d;
    uint256 private constant NEG_G2_Y1_LO = 0x993923066dddaf1040bc3ff59f825c78df74f2d75467e25e0f55f8a00fa030ed;

    /*//////////////////////////////////////////////////////////////
                               VALIDATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether the field element (hi, lo) of an encoding is reduced: hi < 2^128 and hi·2^256 + lo < p.
    function isReducedFp(uint256 hi, uint256 lo) internal pure returns (bool) {
        return hi < P_HI || (hi == P_HI && lo < P_LO);
    }

    /// @notice Whether `point` is `length` bytes of reduced field elements, not all zero (the point at infinity).
    /// @dev Says nothing about the curve or the subgroup: the precompiles check those.
    function isValidEncoding(bytes memory point, uint256 length) internal pure returns (bool valid) {
        if (point.length != length) return false;
        bool nonZero;
        for (uint256 offset = 32; offset <= length; offset += FP_BYTES) {
            uint256 hi;
            uint256 lo;
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                hi := mload(add(point, offset))
                lo := mload(add(point, add(offset, 32)))
            }
            if (!isReducedFp(hi, lo)) return false;
            if (hi | lo != 0) nonZero = true;
        }
        return nonZero;
    }

    /// @notice Whether `point` is all zeros (the point at infinity in either group).
    function isInfinity(bytes memory point) internal pure returns (bool zero) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            zero := 1
            let end := add(add(point, 32), mload(point))
            for {
                let word := add(point, 32)
            } lt(word, end) {
                word := add(word, 32)
            } {
                if mload(word) {
                    zero := 0
                    break
                }
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                              ARITHMETIC
    //////////////////////////////////////////////////////////////*/

    /// @notice a + b in G1.
    function g1Add(bytes memory a, bytes memory b) internal view returns (bytes memory sum) {
        _requireLength(a, G1_BYTES);
        _requireLength(b, G1_BYTES);
        sum = _call(G1ADD, bytes.concat(a, b), G1_BYTES);
    }

    /// @notice a + b in G2.
    function g2Add(bytes memory a, bytes memory b) internal view returns (bytes memory sum) {
        _requireLength(a, G2_BYTES);
        _requireLength(b, G2_BYTES);
        sum = _call(G2ADD, bytes.concat(a, b), G2_BYTES);
    }

    /// @notice Σ scalars[i]·points[i] in G1 (points in the subgroup).
    function g1Msm(bytes[] memory points, uint256[] memory scalars) internal view returns (bytes memory) {
        return _call(G1MSM, _msmInput(points, scalars, G1_BYTES), G1_BYTES);
    }

    /// @notice Σ scalars[i]·points[i] in G2 (points in the subgroup).
    function g2Msm(bytes[] memory points, uint256[] memory scalars) internal view returns (bytes memory) {
        return _call(G2MSM, _msmInput(points, scalars, G2_BYTES), G2_BYTES);
    }

    /// @notice The G1 point of RFC 9380's map_to_curve (simplified SWU) for the field element `fp`, with the
    /// cofactor cleared, as MAP_FP_TO_G1 computes it.
    function mapFpToG1(bytes memory fp) internal view returns (bytes memory) {
        _requireLength(fp, FP_BYTES);
        return _call(MAP_FP_TO_G1, fp, G1_BYTES);
    }

    /// @notice The G2 point of map_to_curve for the Fp2 element `fp2` (c0, c1), cofactor cleared.
    function mapFp2ToG2(bytes memory fp2) internal view returns (bytes memory) {
        _requireLength(fp2, 2 * FP_BYTES);
        return _call(MAP_FP2_TO_G2, fp2, G2_BYTES);
    }

    /// @notice −a in G2: each Fp component of y becomes p − y (0 stays 0), so the infinity stays all zeros.
    function negateG2(bytes memory a) internal pure returns (bytes memory negated) {
        _requireLength(a, G2_BYTES);
        negated = bytes.concat(a);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            _negateFp(add(negated, 160))
            _negateFp(add(negated, 224))

            // p − (hi, lo) in place at `at`, with a borrow from the high limb; zero stays zero.
            function _negateFp(at) {
                let hi := mload(at)
                let lo := mload(add(at, 32))
                if or(hi, lo) {
                    mstore(add(at, 32), sub(P_LO, lo))
                    mstore(at, sub(sub(P_HI, hi), gt(lo, P_LO)))
                }
            }
        }
    }

    /// @notice Whether e(a1, b1) · e(a2, b2) = 1 (a's in G1, b's in G2). False also when the precompile refuses an
    /// input (a point off the curve or outside the subgroup), so a caller's check fails closed.
    function pairing2(
        bytes memory a1,
        bytes memory b1,
        bytes memory a2,
        bytes memory b2
    ) internal view returns (bool ok) {
        _requireLength(a1, G1_BYTES);
        _requireLength(b1, G2_BYTES);
        _requireLength(a2, G1_BYTES);
        _requireLength(b2, G2_BYTES);
        bytes memory input = bytes.concat(a1, b1, a2, b2);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let success := staticcall(gas(), PAIRING_CHECK, add(input, 32), 768, 0x00, 0x20)
            ok := and(success, eq(mload(0x00), 1))
        }
    }

    /// @notice Whether `signature` (G1) is `publicKey`'s (G2) over `message` under `dst`:
    /// e(signature, −g2) · e(H(message), publicKey) = 1. Both inputs must already be `G1_BYTES`/`G2_BYTES` long.
    /// @dev One 2-pair pairing check; −g2 is written straight into the precompile's input.
    function verify(
        bytes memory signature,
        bytes memory publicKey,
        bytes32 message,
        bytes memory dst
    ) internal view returns (bool ok) {
        bytes memory hashed = hashToG1(message, dst);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let input := mload(0x40)
            // e(signature, −g2)
            mcopy(input, add(signature, 32), 128)
            mstore(add(input, 128), NEG_G2_X0_HI)
            mstore(add(input, 160), NEG_G2_X0_LO)
            mstore(add(input, 192), NEG_G2_X1_HI)
            mstore(add(input, 224), NEG_G2_X1_LO)
            mstore(add(input, 256), NEG_G2_Y0_HI)
            mstore(add(input, 288), NEG_G2_Y0_LO)
            mstore(add(input, 320), NEG_G2_Y1_HI)
            mstore(add(input, 352), NEG_G2_Y1_LO)
            // e(H(message), publicKey)
            mcopy(add(input, 384), add(hashed, 32), 128)
            mcopy(add(input, 512), add(publicKey, 32), 256)
            let success := staticcall(gas(), PAIRING_CHECK, input, 768, 0x00, 0x20)
            ok := and(success, eq(mload(0x00), 1))
        }
    }

    /// @notice acc −= key in G2, in place (`acc` 256 bytes in memory, `key` a 256-byte G2 point in calldata).
    /// @dev The key's y is negated on the way into the G2ADD input, so nothing is allocated.
    function subG2InPlace(bytes memory acc, bytes calldata key) internal view {
        bool success;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let input := mload(0x40)
            let data := add(acc, 32)
            mcopy(input, data, 256)
            calldatacopy(add(input, 256), key.offset, 256)
            _negateFp(add(input, 384))
            _negateFp(add(input, 448))
            success := staticcall(gas(), G2ADD, input, 512, data, 256)

            function _negateFp(at) {
                let hi := mload(at)
                let lo := mload(add(at, 32))
                if or(hi, lo) {
                    mstore(add(at, 32), sub(P_LO, lo))
                    mstore(at, sub(sub(P_HI, hi), gt(lo, P_LO)))
                }
            }
        }
        if (!success) revert Errors.BLS12381_PrecompileFailed(G2ADD);
    }

    /*//////////////////////////////////////////////////////////////
                              HASH TO G1
    //////////////////////////////////////////////////////////////*/

    /// @notice RFC 9380 hash_to_curve(message) for the suite BLS12381G1_XMD:SHA-256_SSWU_RO_ under `dst`
    /// (at most 255 bytes): expand_message_xmd with SHA-256 to 128 bytes, two 64-byte chunks reduced mod p (MODEXP
    /// with exponent 1), each mapped by MAP_FP_TO_G1 (which clears the cofactor: clearing is linear, so mapping
    /// each and adding equals the RFC's clear(Q0 + Q1)), the two points added with G1ADD.
    // solhint-disable-next-line function-max-lines
    function hashToG1(bytes32 message, bytes memory dst) internal view returns (bytes memory point) {
        uint256 dstLength = dst.length;
        if (dstLength > 255) revert Errors.BLS12381_InvalidLength(dstLength, 255);
        point = new bytes(G1_BYTES);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ok := 1
            let buffer := mload(0x40)
            // msg_prime = Z_pad (64 zero bytes) || msg || I2OSP(128, 2) || I2OSP(0, 1) || DST || I2OSP(len(DST), 1)
            mstore(buffer, 0)
            mstore(add(buffer, 32), 0)
            mstore(add(buffer, 64), message)
            mstore(add(buffer, 96), 0x0080000000000000000000000000000000000000000000000000000000000000)
            mcopy(add(buffer, 99), add(dst, 32), dstLength)
            mstore8(add(buffer, add(99, dstLength)), dstLength)
            ok := and(ok, staticcall(gas(), SHA256, buffer, add(100, dstLength), 0x00, 0x20))
            let b0 := mload(0x00)

            // b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime), b_(0) of the xor being 0 for b_1; the
            // four b_i go to `uniform` (128 bytes), DST_prime right after the 33-byte prefix in `chunk`.
            let uniform := add(buffer, 384)
            let chunk := add(buffer, 512)
            mcopy(add(chunk, 33), add(dst, 32), dstLength)
            mstore8(add(chunk, add(33, dstLength)), dstLength)
            let chunkLength := add(34, dstLength)
            let previous := 0
            for {
                let i := 1
            } lt(i, 5) {
                i := add(i, 1)
            } {
                mstore(chunk, xor(b0, previous))
                mstore8(add(chunk, 32), i)
                ok := and(ok, staticcall(gas(), SHA256, chunk, chunkLength, 0x00, 0x20))
                previous := mload(0x00)
                mstore(add(uniform, mul(sub(i, 1), 32)), previous)
            }

            // u_j = OS2IP(uniform[64j : 64j + 64]) mod p, through MODEXP(base, 1, p); each written as a 64-byte
            // field element (16 zero bytes, then the 48-byte result) into `fields`.
            let modexp := add(buffer, 640)
            mstore(modexp, 64)
            mstore(add(modexp, 32), 1)
            mstore(add(modexp, 64), 48)
            // base at +96 (64 bytes), exponent at +160 (1 byte), modulus at +161 (48 bytes)
            let fields := add(buffer, 896)
            for {
                let j := 0
            } lt(j, 2) {
                j := add(j, 1)
            } {
                mcopy(add(modexp, 96), add(uniform, mul(j, 64)), 64)
                mstore8(add(modexp, 160), 1)
                mstore(add(modexp, 161), shl(128, P_HI))
                mstore(add(modexp, 177), P_LO)
                let out := add(fields, mul(j, 64))
                mstore(out, 0)
                ok := and(ok, staticcall(gas(), MODEXP, modexp, 209, add(out, 16), 48))
            }

            // Q_j = map_to_curve(u_j) with the cofactor cleared, side by side, then Q_0 + Q_1.
            let mapped := add(buffer, 1024)
            ok := and(ok, staticcall(gas(), MAP_FP_TO_G1, fields, 64, mapped, 128))
            ok := and(ok, staticcall(gas(), MAP_FP_TO_G1, add(fields, 64), 64, add(mapped, 128), 128))
            ok := and(ok, staticcall(gas(), G1ADD, mapped, 256, add(point, 32), 128))
            // Every input above is well formed, so only a chain without the precompiles fails here:
            // BLS12381_PrecompileFailed(MAP_FP_TO_G1).
            if iszero(ok) {
                mstore(0x00, shl(224, 0x45380dc9))
                mstore(0x04, MAP_FP_TO_G1)
                revert(0x00, 0x24)
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    function _requireLength(bytes memory data, uint256 expected) private pure {
        if (data.length != expected) revert Errors.BLS12381_InvalidLength(data.length, expected);
    }

    function _msmInput(
        bytes[] memory points,
        uint256[] memory scalars,
        uint256 pointBytes
    ) private pure returns (bytes memory input) {
        uint256 count = points.length;
        if (count == 0 || scalars.length != count) revert Errors.BLS12381_InvalidLength(scalars.length, count);
        for (uint256 i = 0; i < count; ++i) {
            _requireLength(points[i], pointBytes);
            input = bytes.concat(input, points[i], bytes32(scalars[i]));
        }
    }

    function _call(uint256 precompile, bytes memory input, uint256 outputBytes) private view returns (bytes memory) {
        bytes memory output = new bytes(outputBytes);
        bool success;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            success := staticcall(gas(), precompile, add(input, 32), mload(input), add(output, 32), outputBytes)
        }
        if (!success) revert Errors.BLS12381_PrecompileFailed(precompile);
        return output;
    }
}
